// THE route table of certseald: every endpoint, its method, path, required role and handler.
// docs/openapi.yaml documents exactly these (api/openapi_test.cpp keeps the two in step).
#include "api/router.h"
#include "api/system_handlers.h"

namespace certseal::api {
namespace {

constexpr Route kRoutes[] = {
    // Operations
    {"GET", "/healthz", Role::kPublic, get_healthz},
    {"GET", "/readyz", Role::kPublic, get_readyz},
    {"GET", "/metrics", Role::kPublic, get_metrics},
    {"GET", "/api/openapi.yaml", Role::kPublic, get_openapi},
    {"GET", "/api/v1/info", Role::kPublic, get_info},
};

}  // namespace

std::span<const Route> route_table() { return kRoutes; }

}  // namespace certseal::api
