// Accounts: SMS codes, login (first login registers), sessions, passwords, identities,
// deregistration, and the operator's view of the SMS outbox.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> post_sms_codes(RequestContext& ctx);          // POST /api/v1/sms-codes
Result<Reply> post_account_sms_codes(RequestContext& ctx);  // POST /api/v1/account/sms-codes
Result<Reply> post_sessions(RequestContext& ctx);           // POST /api/v1/sessions
Result<Reply> delete_current_session(RequestContext& ctx);  // DELETE /api/v1/sessions/current
Result<Reply> put_session_identity(RequestContext& ctx);    // PUT /api/v1/sessions/current/identity
Result<Reply> get_account(RequestContext& ctx);             // GET /api/v1/account
Result<Reply> put_account_password(RequestContext& ctx);    // PUT /api/v1/account/password
Result<Reply> post_password_resets(RequestContext& ctx);    // POST /api/v1/password-resets
Result<Reply> get_identities(RequestContext& ctx);          // GET /api/v1/identities
Result<Reply> post_deregistration(RequestContext& ctx);     // POST /api/v1/account/deregistration
Result<Reply> delete_deregistration(RequestContext& ctx);   // DELETE /api/v1/account/deregistration
Result<Reply> get_sms_outbox(RequestContext& ctx);          // GET /api/v1/operator/sms-outbox

}  // namespace certseal::api
