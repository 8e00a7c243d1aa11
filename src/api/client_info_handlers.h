// What clients learn about themselves (docs/CLI.md "about, update check, logs";
// service/clientinfo/client_releases.h): the latest release of a client business and the support
// certificate client logs are exported to (public), and the operators' side that sets them.
// One release endpoint for every business (?business=legacy|cloudkey|unified).
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> get_client_release_latest(RequestContext& ctx);      // GET /api/v1/client/releases/latest
Result<Reply> get_client_support_certificate(RequestContext& ctx);  // GET /api/v1/client/support-certificate
Result<Reply> op_post_client_release(RequestContext& ctx);          // POST /api/v1/operator/client/releases
Result<Reply> op_put_client_support_certificate(RequestContext& ctx);  // PUT /api/v1/operator/client/support-certificate

}  // namespace certseal::api
