// The operators' dashboard figures that no list endpoint gives (Role::kOperator): orders placed
// since the start of the operator's day (service/order/order_counts.h) and the mobile shield's
// signatures and wrong-password unlocks by hour (service/shield/shield_activity.h).
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> op_get_dashboard(RequestContext& ctx);  // GET /api/v1/operator/dashboard?hours=N&since=T

}  // namespace certseal::api
