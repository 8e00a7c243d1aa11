// The operators' dashboard figures that no list endpoint gives (Role::kOperator): the mobile
// shield's signatures and wrong-password unlocks by hour (service/shield/shield_activity.h).
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> op_get_shield_activity(RequestContext& ctx);  // GET /api/v1/operator/shield-activity?hours=N

}  // namespace certseal::api
