#include "api/system_handlers.h"

#include "api/metrics.h"
#include "api/openapi.h"
#include "api/services.h"

namespace certseal::api {

Result<Reply> get_healthz(RequestContext&) {
  // A constant body, rendered once.
  static const std::string kBody = R"({"status":"ok"})";
  return Reply::text(kBody, "application/json");
}

Result<Reply> get_readyz(RequestContext& ctx) {
  auto& s = ctx.services();
  Status ping = s.db.ping();
  if (!ping) {
    return unavailable("database_unreachable", "the database is not reachable",
                       ping.error().cause);
  }
  return Reply::json({{"status", "ready"},
                      {"database", store::engine_name(s.db.engine())},
                      {"node_id", s.node_id}});
}

Result<Reply> get_metrics(RequestContext& ctx) {
  return Reply::text(ctx.services().metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
}

Result<Reply> get_openapi(RequestContext&) {
  return Reply::text(std::string(openapi_document()), "application/yaml");
}

Result<Reply> get_info(RequestContext& ctx) {
  auto& s = ctx.services();
  return Reply::json({{"name", "certseald"},
                      {"version", s.version},
                      {"database", store::engine_name(s.db.engine())},
                      {"time", format_rfc3339(s.clock.now())},
                      {"development_mode", !s.development_components.empty()},
                      {"development_components", s.development_components}});
}

}  // namespace certseal::api
