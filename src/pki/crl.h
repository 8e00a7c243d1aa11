// X.509 v2 CRLs (RFC 5280 §5) assembled in DER and signed through a Signer.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "pki/signer.h"

namespace certseal::pki {

// CRLReason (RFC 5280 §5.3.1); 7 is not used.
enum class RevocationReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};
std::string_view reason_name(RevocationReason r);  // "keyCompromise", as openssl prints them
// Accepts the RFC names (camelCase) and snake_case; "unspecified" included.
Result<RevocationReason> reason_from_name(std::string_view name);

struct RevokedEntry {
  Bytes serial;  // magnitude
  SysTime revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;
};

struct CrlTemplate {
  Bytes issuer;            // Name DER
  Bytes authority_key_id;  // issuer's key identifier
  std::int64_t number = 1; // cRLNumber (§5.2.3), increases with every CRL
  SysTime this_update, next_update;
  std::vector<RevokedEntry> revoked;
};

Result<Bytes> issue_crl(const CrlTemplate& t, Signer& signer);

}  // namespace certseal::pki
