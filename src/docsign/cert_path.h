// Does a signer's certificate chain to one of the given roots, and was every certificate on the
// way valid at a given time? A small path builder for document verification (RFC 5280 §6 in its
// simplest form: names chained issuer → subject, each signature checked under the issuer's key,
// validity periods at `at`; no policy or name constraints). SM2 certificate signatures are tried
// with the GM/T 0009 ID and with OpenSSL's empty ID (our CAs may use either, docs/PKI.md).
//
// Contract: pure function, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"

namespace certseal::docsign {

struct PathResult {
  bool trusted = false;        // reached a root in `roots` with every signature valid
  bool valid_at_time = false;  // and every certificate's validity period covers `at`
  std::string problem;         // why not, in English (for the report)
};

// The certificate among `candidates` that issued `cert` (its subject is cert's issuer and its key
// verifies cert's signature); none when there is none.
std::optional<Bytes> find_issuer(BytesView cert, const std::vector<Bytes>& candidates);

PathResult check_cert_path(BytesView leaf, const std::vector<Bytes>& intermediates, const std::vector<Bytes>& roots,
                           SysTime at);

}  // namespace certseal::docsign
