// Revocation data as a relying party reads it: X.509 CRLs (RFC 5280 §5) and OCSP responses
// (RFC 6960 §4.2), checked offline — the data embedded in a PDF's Document Security Store
// (dss.h) says whether a certificate was revoked at a given time, without any network.
//
//   ocsp_request      an OCSPRequest for one certificate (CertID with SHA-1, as every OCSP client
//                     and `openssl ocsp -cert` use), optionally with a nonce (so a responder
//                     answers freshly rather than from a cache).
//   check_revocation  the status of `cert` at `at` from the CRLs and OCSP responses given:
//     - a CRL counts when its issuer is the certificate's issuer, its signature verifies under the
//       issuer's key, and it was current at `at` or issued after it (thisUpdate <= at <=
//       nextUpdate, or thisUpdate >= at). The certificate is revoked then when its serial is listed
//       with a revocation date at or before `at`.
//     - an OCSP response counts when it is successful and basic, one SingleResponse's CertID names
//       this certificate (issuer name hash, issuer key hash and serial; SHA-1 or SHA-256), it is
//       signed by the issuer itself or by a responder certificate the issuer signed that carries
//       id-kp-OCSPSigning (RFC 6960 §4.2.2.2), and its thisUpdate is at or after `at` (it speaks of
//       a time after the one asked about). good → not revoked then; revoked → revoked then when the
//       revocation time is at or before `at`; unknown → does not count.
//     Data that does not count is not used, and the reason is kept (`rejected`): a CRL of another
//     CA, an answer for another certificate, a forged signature.
//   SM2 signatures are tried with the GM/T 0009 ID and with OpenSSL's empty one (docs/PKI.md).
//
// Contract: pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace certseal::docsign {

// OCSPRequest DER for `cert` issued by `issuer_cert` (both DER). Errors: bad_certificate.
Result<Bytes> ocsp_request(BytesView cert, BytesView issuer_cert, BytesView nonce = {});

struct RevocationVerdict {
  bool known = false;      // some CRL or OCSP response counted
  bool revoked = false;    // revoked at or before `at`
  std::optional<SysTime> revoked_at;
  std::string source;      // "ocsp", "crl" or "ocsp+crl": what counted
  // Pieces that did not count, in English: `rejected` are bad on their own (a signature that does
  // not verify, a responder the issuer did not authorise, stale or unsuccessful answers);
  // `unrelated` are about another certificate or from another issuer (a DSS is shared by every
  // signature and certificate of the file, so these are normal there — unless nothing counted).
  std::vector<std::string> rejected;
  std::vector<std::string> unrelated;
};

// `issuer_cert`: the certificate that issued `cert` (its name and key). `pool`: other certificates
// (a delegated OCSP responder's may be here as well as in the response).
RevocationVerdict check_revocation(BytesView cert, BytesView issuer_cert, const std::vector<Bytes>& crls,
                                   const std::vector<Bytes>& ocsps, const std::vector<Bytes>& pool, SysTime at);

}  // namespace certseal::docsign
