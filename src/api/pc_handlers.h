// The phone as a PC key (docs/PKCS11.md): the PC's side (its PKCS#11 module and `certseal pc
// pair`), authenticated by the PC's bearer token (`Authorization: PC <token>`, checked here; the
// routes are public to the dispatcher), and the phone's side (user session): approve a pairing,
// list and remove linked PCs, confirm or refuse the operations a PC asks for.
#pragma once

#include "api/router.h"

namespace certseal::api {

// PC
Result<Reply> post_pc_pairing(RequestContext& ctx);
Result<Reply> get_pc_link(RequestContext& ctx);
Result<Reply> delete_pc_link(RequestContext& ctx);
Result<Reply> get_pc_certificates(RequestContext& ctx);
Result<Reply> post_pc_request(RequestContext& ctx);
Result<Reply> get_pc_request(RequestContext& ctx);
// Phone
Result<Reply> get_pc_pairing(RequestContext& ctx);
Result<Reply> post_pc_pairing_approval(RequestContext& ctx);
Result<Reply> get_account_pcs(RequestContext& ctx);
Result<Reply> post_account_pc_removal(RequestContext& ctx);
Result<Reply> get_account_pc_requests(RequestContext& ctx);
Result<Reply> get_account_pc_request(RequestContext& ctx);
Result<Reply> post_account_pc_request_completion(RequestContext& ctx);
Result<Reply> post_account_pc_request_refusal(RequestContext& ctx);

}  // namespace certseal::api
