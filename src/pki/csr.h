// PKCS#10 certification requests (RFC 2986). The request's own signature is checked over the
// exact CertificationRequestInfo bytes received (SM2-with-SM3 with the GM/T 0009 ID
// 1234567812345678 or the empty ID OpenSSL 3.0's `openssl req` uses, ECDSA-SHA256, RSA-SHA256), so
// a CSR proves possession of its key.
#pragma once

#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "pki/certificate.h"

namespace certseal::pki {

struct Csr {
  Bytes spki;                     // SubjectPublicKeyInfo DER
  std::vector<NameEntry> subject;  // short names ("CN", "O", ...) or dotted OIDs
};

// Accepts PEM ("CERTIFICATE REQUEST") or DER. Errors (kInvalidArgument): "bad_csr" (not a CSR),
// "csr_signature_invalid", "unsupported_signature_algorithm".
Result<Csr> parse_csr(BytesView pem_or_der);

}  // namespace certseal::pki
