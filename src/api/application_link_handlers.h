// Application links (docs/INTEGRATION.md "Application links"): a relying party's printed QR code
// that starts a certificate application for its platform. Relying parties create, list and
// disable them (signed requests); anyone resolves a token; /a/{token} is the address in the QR
// code and sends a phone's browser to the app's purchase page.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> rp_post_application_link(RequestContext& ctx);
Result<Reply> rp_get_application_links(RequestContext& ctx);
Result<Reply> rp_get_application_link(RequestContext& ctx);
Result<Reply> rp_post_application_link_disabling(RequestContext& ctx);
Result<Reply> get_application_link(RequestContext& ctx);
Result<Reply> get_application_short_url(RequestContext& ctx);

}  // namespace certseal::api
