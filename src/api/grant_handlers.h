// Organisation grants over HTTP (docs/GRANTS.md): an employee asks for one of the organisation's
// certificates on a trading platform, sees whom to ring and their own grants; the admin identity
// approves (window, optional uses), refuses with a reason, takes a grant back; the employee's
// device starts the pairing through which the holder's device adds it to the key. Thin:
// GrantService and ShieldService decide who may; the acting identity is checked first.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> post_org_grant(RequestContext& ctx);
Result<Reply> get_org_grants(RequestContext& ctx);
Result<Reply> get_org_grant_uses(RequestContext& ctx);
Result<Reply> get_org_grant(RequestContext& ctx);
Result<Reply> get_org_grantable_certificates(RequestContext& ctx);
Result<Reply> get_org_grantable_seals(RequestContext& ctx);
Result<Reply> get_org_admin_contacts(RequestContext& ctx);
Result<Reply> post_org_grant_approval(RequestContext& ctx);
Result<Reply> post_org_grant_refusal(RequestContext& ctx);
Result<Reply> post_org_grant_revocation(RequestContext& ctx);
Result<Reply> get_my_grants(RequestContext& ctx);
Result<Reply> post_grant_pairing(RequestContext& ctx);

}  // namespace certseal::api
