// Checks GB/T 38540 (v4) and GM/T 0031 (v1) seal data against this platform's records: the
// maker signature (seal/seseal.h), the maker certificate (issued by one of this platform's CAs
// under the seal_maker profile, within its validity, not revoked), the seal's own dates, and the
// certificate(s) the seal is bound to (issued here and not revoked; and, when `expected_cert` is
// given, that exact certificate among them).
//
// The maker chain is this platform's issuance record: the maker certificate must be byte for
// byte one that a CA here issued (pki_certificate), so its issuer is that CA; anyone outside can
// check the same chain with /ca/{id}/chain.pem and the CRL or OCSP responder.
//
// Contract: thread-safe; reads only. Every check is reported (name, ok, detail) and `valid` is
// true only when all pass. Errors: bad_seal_data (the bytes are not seal data at all).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

struct SealCheck {
  std::string name;  // maker_signature, maker_certificate, maker_validity, maker_revocation, seal_dates, bound_certificate
  bool ok = false;
  std::string detail;
};

struct SealVerification {
  bool valid = false;
  int version = 0;
  std::string seal_id, name, vendor_id, maker_certificate_id;
  std::vector<SealCheck> checks;
};

Result<SealVerification> verify_seal_data(store::Database& db, const Clock& clock, BytesView der,
                                          BytesView expected_cert = {});

}  // namespace certseal::service
