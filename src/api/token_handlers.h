// Self-service token certificates (docs/PKCS11.md "Token certificates"): the user submits the
// public key of a key pair generated inside a token, with a proof of possession; an operator
// reviews (or an uploaded roster pre-approves); the user's "business query" collects the
// certificate to install into the token; renewal.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> post_token_request(RequestContext& ctx);
Result<Reply> get_token_requests(RequestContext& ctx);
Result<Reply> post_token_request_renewal(RequestContext& ctx);
Result<Reply> op_post_token_roster(RequestContext& ctx);
Result<Reply> op_get_token_requests(RequestContext& ctx);
Result<Reply> op_post_token_request_approval(RequestContext& ctx);
Result<Reply> op_post_token_request_rejection(RequestContext& ctx);

}  // namespace certseal::api
