// The admin-transfer letter (service/org/admin_letter_service.h): drawn and prepared for the
// admin's signature, signed (the roles change then), downloaded. 503 letters_unavailable when
// the service is not wired.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> post_admin_letter(RequestContext& ctx);
Result<Reply> get_admin_letter(RequestContext& ctx);
Result<Reply> post_admin_letter_signature(RequestContext& ctx);
Result<Reply> get_admin_letter_pdf(RequestContext& ctx);
Result<Reply> get_admin_letter_page(RequestContext& ctx);
Result<Reply> op_get_admin_letter_pdf(RequestContext& ctx);

}  // namespace certseal::api
