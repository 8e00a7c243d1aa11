// OCSP (RFC 6960): request parsing and BasicOCSPResponse assembly, signed through a Signer (the
// delegated OCSP signing certificate of a CA, §4.2.2.2).
//
// Contract: pure functions; thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "pki/crl.h"
#include "pki/signer.h"

namespace certseal::pki {

struct OcspCertId {
  Bytes der;        // the CertID exactly as received (echoed in the SingleResponse)
  std::string hash; // "SHA1", "SHA256", "SM3"
  Bytes name_hash, key_hash;
  Bytes serial;     // magnitude
};

struct OcspRequest {
  std::vector<OcspCertId> ids;
  std::optional<Bytes> nonce;  // extnValue content of id-pkix-ocsp-nonce (§4.4.1), echoed back
};

// "bad_ocsp_request" (malformedRequest) for anything that does not parse or has no CertID.
Result<OcspRequest> parse_ocsp_request(BytesView der);

// Does this CertID name the CA with that Name DER and subjectPublicKey bits (§4.1.1)?
bool cert_id_matches(const OcspCertId& id, BytesView issuer_name, BytesView issuer_key_bits);

enum class CertStatus { kGood, kRevoked, kUnknown };

struct SingleStatus {
  CertStatus status = CertStatus::kUnknown;
  SysTime revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;
  SysTime this_update, next_update;
};
// SingleResponse DER (§4.2.1) for the CertID bytes received.
Bytes single_response(BytesView cert_id_der, const SingleStatus& s);

struct OcspResponseTemplate {
  Bytes responder_key_hash;  // SHA-1 of the responder's public key bits (ResponderID byKey)
  SysTime produced_at;
  std::vector<Bytes> singles;    // from single_response()
  std::optional<Bytes> nonce;    // echoed
  std::vector<Bytes> certs;      // the responder certificate (DER), so clients can check it
};

// A successful OCSPResponse (responseStatus 0, id-pkix-ocsp-basic).
Result<Bytes> sign_ocsp_response(const OcspResponseTemplate& t, Signer& signer);
// An OCSPResponse without responseBytes: 1 malformedRequest, 2 internalError, 3 tryLater,
// 5 sigRequired, 6 unauthorized.
Bytes ocsp_error_response(int status);

}  // namespace certseal::pki
