// PKI endpoints: publication at root paths (RFC 5280 / RFC 6960 / RFC 3161 media types) and the
// operator lifecycle under /api/v1 (Role::kOperator). Handlers are thin: decode, call
// service::ca::CaService, render. 503 "ca_unavailable" when the CA service is not wired.
#pragma once

#include "api/router.h"

namespace certseal::api {

// Publication (public).
Result<Reply> list_cas(RequestContext& ctx);        // GET /ca
Result<Reply> get_ca_chain(RequestContext& ctx);    // GET /ca/{id}/chain.pem
Result<Reply> get_ca_cert(RequestContext& ctx);     // GET /ca/{id}/ca.cer (issuing CA, DER)
Result<Reply> get_ca_root(RequestContext& ctx);     // GET /ca/{id}/root.cer (root, DER)
Result<Reply> get_ca_crl(RequestContext& ctx);      // GET /ca/{id}/crl
Result<Reply> post_ocsp(RequestContext& ctx);       // POST /ocsp/{id}  (application/ocsp-request)
Result<Reply> get_ocsp(RequestContext& ctx);        // GET /ocsp/{id}/{request} (RFC 6960 App. A.1)
Result<Reply> post_tsa(RequestContext& ctx);        // POST /tsa, /tsa/{id} (application/timestamp-query)

// Lifecycle (operators and services).
Result<Reply> issue_certificate(RequestContext& ctx);    // POST /api/v1/cas/{id}/certificates
Result<Reply> get_certificate(RequestContext& ctx);      // GET /api/v1/certificates/{id}
Result<Reply> renew_certificate(RequestContext& ctx);    // POST /api/v1/certificates/{id}/renewals
Result<Reply> change_certificate(RequestContext& ctx);   // POST /api/v1/certificates/{id}/changes
Result<Reply> revoke_certificate(RequestContext& ctx);   // POST /api/v1/certificates/{id}/revocations
Result<Reply> reissue_certificate(RequestContext& ctx);  // POST /api/v1/certificates/{id}/reissues
Result<Reply> revoke_by_serial(RequestContext& ctx);     // POST /api/v1/cas/{id}/revocations

// Operators (the console's CA page).
Result<Reply> op_get_cas(RequestContext& ctx);           // GET /api/v1/operator/cas
Result<Reply> op_get_certificates(RequestContext& ctx);  // GET /api/v1/operator/certificates

}  // namespace certseal::api
