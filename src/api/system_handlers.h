// Operational endpoints: liveness, readiness, metrics, the OpenAPI document, server info.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> get_healthz(RequestContext& ctx);       // 200 while the process serves
Result<Reply> get_readyz(RequestContext& ctx);        // 200 when the database answers, else 503
Result<Reply> get_metrics(RequestContext& ctx);       // Prometheus text format
Result<Reply> get_openapi(RequestContext& ctx);       // docs/openapi.yaml
Result<Reply> get_info(RequestContext& ctx);          // version, database engine

}  // namespace certseal::api
