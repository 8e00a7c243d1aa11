#include "api/dashboard_handlers.h"

#include <charconv>

#include "api/services.h"
#include "service/order/order_counts.h"
#include "service/shield/shield_activity.h"

namespace certseal::api {
namespace {

// An integer query parameter, `fallback` when absent; 400 `code` when it is not one.
template <class T>
Result<T> integer_param(RequestContext& ctx, const char* name, T fallback, const char* code, const char* expected) {
  auto q = ctx.query(name);
  if (!q) return fallback;
  T v{};
  auto [end, ec] = std::from_chars(q->data(), q->data() + q->size(), v);
  if (ec != std::errc() || end != q->data() + q->size()) {
    return invalid_argument(code, std::string(name) + " must be " + expected).with_field(name, "invalid", expected);
  }
  return v;
}

}  // namespace

Result<Reply> op_get_dashboard(RequestContext& ctx) {
  const Clock& clock = ctx.services().clock;
  CS_ASSIGN(int hours, integer_param(ctx, "hours", 24, "bad_hours", "an integer, 1 to 168"));
  CS_ASSIGN(std::int64_t since,
            integer_param<std::int64_t>(ctx, "since", clock.now_unix() / 86400 * 86400, "bad_since", "unix seconds"));
  if (since < 0 || since > clock.now_unix()) {
    return invalid_argument("bad_since", "since must be a past moment in unix seconds")
        .with_field("since", "out_of_range", "unix seconds, not in the future");
  }
  CS_ASSIGN(auto list, service::shield_activity(ctx.services().db, clock, hours));
  CS_ASSIGN(std::int64_t orders, service::count_orders_since(ctx.services().db, since));
  nlohmann::json items = nlohmann::json::array();
  std::int64_t signatures = 0, failed = 0;
  for (const auto& h : list) {
    items.push_back({{"hour", h.hour}, {"signatures", h.signatures}, {"failed_unlocks", h.failed_unlocks}});
    signatures += h.signatures;
    failed += h.failed_unlocks;
  }
  return Reply::json({{"since", format_rfc3339(sys_time_from_unix(since))},
                      {"orders_since", orders},
                      {"hours", items},
                      {"signatures", signatures},
                      {"failed_unlocks", failed}});
}

}  // namespace certseal::api
