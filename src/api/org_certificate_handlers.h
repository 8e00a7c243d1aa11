// 单位证书管理 over HTTP: an organisation's certificates for the session acting as its admin (or
// legal representative) — list, details, usage records, renew, revoke. Thin: ShieldService
// decides who may (from memberships); the acting identity is checked first (api/acting_for.h).
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> get_org_certificates(RequestContext& ctx);
Result<Reply> get_org_certificate(RequestContext& ctx);
Result<Reply> get_org_certificate_events(RequestContext& ctx);
Result<Reply> post_org_certificate_renewal(RequestContext& ctx);
Result<Reply> post_org_certificate_revocation(RequestContext& ctx);

}  // namespace certseal::api
