// THE route table of certseald: every endpoint, its method, path, required role and handler.
// docs/openapi.yaml documents exactly these (api/openapi_test.cpp keeps the two in step).
#include "api/ca_handlers.h"
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
    // PKI publication: short root paths that go into certificates (docs/PKI.md)
    {"GET", "/ca", Role::kPublic, list_cas},
    {"GET", "/ca/{id}/chain.pem", Role::kPublic, get_ca_chain},
    {"GET", "/ca/{id}/crl", Role::kPublic, get_ca_crl},
    {"POST", "/ocsp/{id}", Role::kPublic, post_ocsp, BodyKind::kAny},
    {"GET", "/ocsp/{id}/{request}", Role::kPublic, get_ocsp},
    {"POST", "/tsa", Role::kPublic, post_tsa, BodyKind::kAny},
    {"POST", "/tsa/{id}", Role::kPublic, post_tsa, BodyKind::kAny},
    // Certificate lifecycle (operators and platform services)
    {"POST", "/api/v1/cas/{id}/certificates", Role::kOperator, issue_certificate},
    {"POST", "/api/v1/cas/{id}/revocations", Role::kOperator, revoke_by_serial},
    {"GET", "/api/v1/certificates/{id}", Role::kOperator, get_certificate},
    {"POST", "/api/v1/certificates/{id}/renewals", Role::kOperator, renew_certificate},
    {"POST", "/api/v1/certificates/{id}/changes", Role::kOperator, change_certificate},
    {"POST", "/api/v1/certificates/{id}/revocations", Role::kOperator, revoke_certificate},
    {"POST", "/api/v1/certificates/{id}/reissues", Role::kOperator, reissue_certificate},
};

}  // namespace

std::span<const Route> route_table() { return kRoutes; }

}  // namespace certseal::api
