// THE route table of certseald: every endpoint, its method, path, required role and handler.
// docs/openapi.yaml documents exactly these (api/openapi_test.cpp keeps the two in step).
#include "api/account_handlers.h"
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

    // Accounts and sessions
    {"POST", "/api/v1/sms-codes", Role::kPublic, post_sms_codes},
    {"POST", "/api/v1/sessions", Role::kPublic, post_sessions},
    {"DELETE", "/api/v1/sessions/current", Role::kAccount, delete_current_session},
    {"PUT", "/api/v1/sessions/current/identity", Role::kUser, put_session_identity},
    {"POST", "/api/v1/password-resets", Role::kPublic, post_password_resets},
    {"GET", "/api/v1/account", Role::kAccount, get_account},
    {"PUT", "/api/v1/account/password", Role::kAccount, put_account_password},
    {"POST", "/api/v1/account/sms-codes", Role::kUser, post_account_sms_codes},
    {"POST", "/api/v1/account/deregistration", Role::kUser, post_deregistration},
    {"DELETE", "/api/v1/account/deregistration", Role::kAccount, delete_deregistration},
    {"GET", "/api/v1/identities", Role::kUser, get_identities},

    // Operators
    {"GET", "/api/v1/operator/sms-outbox", Role::kOperator, get_sms_outbox},
};

}  // namespace

std::span<const Route> route_table() { return kRoutes; }

}  // namespace certseal::api
