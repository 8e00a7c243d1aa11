// Self-service certificates for hardware and file tokens (自助服务, SPEC §11; docs/PKCS11.md
// "Token certificates"): the key pair is generated inside the user's token (the private key never
// leaves it); the platform certifies its public key.
//
//   submit (user session)  the token's public key (SPKI), the user's name and ID number, and a
//                          proof of possession: the token key's ECDSA-SHA256 (or SM2) signature
//                          over pop_message(). Standard flow -> pending_review; pre-entered flow
//                          (the name and ID number match an unused roster entry an operator
//                          uploaded for an organisation) -> issued at once, the entry used up.
//   approve / reject       (operator) pending_review -> issued (the CA certifies the key) |
//   rejected requests (user)        "business query": the account's requests with their
//   certificates, for
//                          the client to install into the token
//   renew (user)           an issued request's certificate is renewed (same key, new validity;
//                          the old certificate revoked as superseded); the request points to the
//                          new one
//
// Thread-safe. Each method opens its own transactions. Errors: invalid_field, pop_invalid
// (kPermissionDenied: the signature is not the key's), token_request_not_found,
// token_request_not_pending, token_request_not_issued, and the CA service's issuance errors.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "service/ca/ca_service.h"
#include "store/db.h"

namespace certseal::service {

struct TokenCertOptions {
  std::string ca_id = "intl";  // the CA that certifies token keys (ECDSA/RSA: tokens have no SM2)
  std::string profile = "personal_sign";
  int validity_days = 365;
};

struct TokenRequestInput {
  std::string name, id_number;
  Bytes spki;  // SubjectPublicKeyInfo DER of the token's key
  Bytes pop;   // DER signature over pop_message() with that key
};

struct TokenRequestView {
  std::string id, account_id, flow, name, id_number, status, certificate_id, reason, created_at,
      reviewed_by;
  Bytes certificate_der;  // when issued
};

struct RosterEntry {
  std::string name, id_number;
};

class TokenCertificates {
 public:
  TokenCertificates(store::Database& db, const Clock& clock, Rng& rng, Logger& log,
                    ca::CaService& ca, TokenCertOptions opts = {})
      : db_(db), clock_(clock), rng_(rng), log_(log), ca_(ca), opts_(std::move(opts)) {}

  // What the token's key signs to prove possession (SHA-256 of the SPKI binds the key).
  static Bytes pop_message(const std::string& account_id, const std::string& name,
                           const std::string& id_number, BytesView spki);

  Result<TokenRequestView> submit(const std::string& account_id, const TokenRequestInput& in);
  Result<std::vector<TokenRequestView>> requests(const std::string& account_id);
  Result<TokenRequestView> renew(const std::string& account_id, const std::string& id);

  Status add_roster(const std::string& operator_id, const std::vector<RosterEntry>& entries);
  Result<std::vector<TokenRequestView>> pending();
  Result<TokenRequestView> approve(const std::string& operator_id, const std::string& id);
  Result<TokenRequestView> reject(const std::string& operator_id, const std::string& id,
                                  const std::string& reason);

 private:
  Result<TokenRequestView> issue(const TokenRequestView& r, const std::string& reviewer);
  Result<TokenRequestView> load(const std::string& id);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  ca::CaService& ca_;
  TokenCertOptions opts_;
};

}  // namespace certseal::service
