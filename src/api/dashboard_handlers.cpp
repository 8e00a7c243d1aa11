#include "api/dashboard_handlers.h"

#include <charconv>

#include "api/services.h"
#include "service/shield/shield_activity.h"

namespace certseal::api {

Result<Reply> op_get_shield_activity(RequestContext& ctx) {
  int hours = 24;
  if (auto q = ctx.query("hours")) {
    auto [end, ec] = std::from_chars(q->data(), q->data() + q->size(), hours);
    if (ec != std::errc() || end != q->data() + q->size()) {
      return invalid_argument("bad_hours", "hours must be 1 to 168").with_field("hours", "invalid", "an integer, 1 to 168");
    }
  }
  CS_ASSIGN(auto list, service::shield_activity(ctx.services().db, ctx.services().clock, hours));
  nlohmann::json items = nlohmann::json::array();
  std::int64_t signatures = 0, failed = 0;
  for (const auto& h : list) {
    items.push_back({{"hour", h.hour}, {"signatures", h.signatures}, {"failed_unlocks", h.failed_unlocks}});
    signatures += h.signatures;
    failed += h.failed_unlocks;
  }
  return Reply::json({{"hours", items}, {"signatures", signatures}, {"failed_unlocks", failed}});
}

}  // namespace certseal::api
