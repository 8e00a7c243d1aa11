// Electronic seals (docs/SEALS.md): the holder's seals, the live preview, seal-data
// verification, and the operators' review queue and seal makers. Thin: decode, call
// SealService, render.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> post_seal_preview(RequestContext& ctx);
Result<Reply> get_seals(RequestContext& ctx);
Result<Reply> post_seal(RequestContext& ctx);
Result<Reply> get_seal(RequestContext& ctx);
Result<Reply> put_seal_picture(RequestContext& ctx);
Result<Reply> delete_seal(RequestContext& ctx);
Result<Reply> get_seal_picture(RequestContext& ctx);
Result<Reply> get_seal_data(RequestContext& ctx);
Result<Reply> post_seal_use(RequestContext& ctx);
Result<Reply> get_seal_events(RequestContext& ctx);
Result<Reply> post_seal_verification(RequestContext& ctx);
Result<Reply> op_get_seals(RequestContext& ctx);
Result<Reply> op_get_seal(RequestContext& ctx);
Result<Reply> op_get_seal_picture(RequestContext& ctx);
Result<Reply> op_post_seal_approval(RequestContext& ctx);
Result<Reply> op_post_seal_rejection(RequestContext& ctx);
Result<Reply> op_post_seal_maker_certificate(RequestContext& ctx);

}  // namespace certseal::api
