// The phone as a PC key (移动电子密钥, SPEC §11; docs/PKCS11.md): a PC program signs or decrypts
// with a certificate of the user's phone through the PKCS#11 module libcertseal-pkcs11.so. The
// PC never holds a share: the module asks the platform, the platform queues the operation for
// the phone, the phone (the certseal client) shows it, asks the certificate password (or uses
// its PIN cache), runs the two-party step with the server and posts the result, which the
// module collects.
//
// Pairing (the PC has no account session):
//   start_pairing (PC, public)          -> pending link: a bearer token for the PC (shown once),
//                                          a pairing code for the QR payload (shown once);
//                                          both stored as SHA-256 only; 10 minutes
//   approve (phone, user session, code) -> active, bound to that account. A wrong code counts;
//                                          after kMaxCodeFailures the pairing fails for good
//   remove (phone) / unpair (PC)        -> removed: the token opens nothing any more
// Operations (the PC presents its token; the phone its session):
//   create_request (PC)   -> pending, for one certificate of the link's account that is
//                            current and valid; at most kMaxOpenRequests open per link
//   complete (phone)      -> completed: a signature is verified under the certificate's key
//                            before it is accepted (for "sm2-sm3" over SM3(Z_A ‖ data) with the
//                            default ID; for "sm2" data is the digest e; for "rsa-sha256" a
//                            PKCS#1 v1.5 signature of SHA-256(data); for "rsa-sha256-digest" of
//                            the SHA-256 digest data; for "ecdsa-sha256" an ECDSA P-256 r‖s
//                            over SHA-256(data), for "ecdsa-sha256-digest" over the digest data)
//   refuse (phone)        -> refused (the module returns CKR_FUNCTION_REJECTED)
//   past expires_at       -> expired
// The PC reads its request (get_request); after it has seen a final state the data and result
// are cleared. Nobody else's token or session reaches a link or request: 401 for a token that
// is unknown, pending or removed; 404 for another account's request or link.
//
// Thread-safe. Each method opens its own transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

class ShieldService;

struct PcOptions {
  std::int64_t pairing_ttl_s = 600;  // a started pairing waits this long for the phone
  std::int64_t request_ttl_s = 120;  // an operation waits this long for the phone
};

inline constexpr int kMaxCodeFailures = 5;
inline constexpr int kMaxOpenRequests = 32;
inline constexpr std::size_t kMaxPcData = 16384;  // bytes of data to sign or ciphertext to decrypt

struct PcLinkView {
  std::string id, name, status, account_id, created_at, paired_at, removed_at;
  std::int64_t expires_at = 0;
};

struct PcPairingStarted {
  PcLinkView link;
  std::string token;  // the PC's bearer token: shown once
  std::string code;   // the pairing code (QR payload): shown once
};

struct PcCertificate {
  std::string certificate_id, key_id, serial, subject, algorithm;
  std::int64_t not_before = 0, not_after = 0;
  Bytes der, public_key;
};

struct PcRequestView {
  std::string id, link_id, link_name, certificate_id, key_id, operation, mechanism, status, reason;
  std::string key_algorithm;  // the certificate's key: "sm2", "rsa-2048", "rsa-3072", "ec-p256"
  std::string created_at, finished_at, data_sha256;
  std::int64_t expires_at = 0;
  Bytes data;    // what to sign or decrypt (cleared once the PC has seen the outcome)
  Bytes result;  // signature (SM2/ECDSA r‖s, 64 bytes; RSA k bytes) or plaintext, when completed
};

struct PcRequestInput {
  std::string certificate_id;
  std::string operation;  // "sign" or "decrypt"
  // The mechanism must fit the certificate's key (the key type travels with it):
  //   SM2 key: sign "sm2-sm3" (data = message) or "sm2" (data = 32-byte digest e);
  //            decrypt "sm2" (data = C1‖C3‖C2, C1 uncompressed)
  //   RSA key: sign "rsa-sha256" (data = message, PKCS#1 v1.5 with SHA-256) or
  //            "rsa-sha256-digest" (data = the 32-byte SHA-256 digest); decrypt "rsa-pkcs1"
  //            (data = a ciphertext as long as the modulus, PKCS#1 v1.5 padding)
  //   P-256 key (two-party ECDSA): sign "ecdsa-sha256" (data = message) or
  //            "ecdsa-sha256-digest" (data = the 32-byte SHA-256 digest); no decryption
  std::string mechanism;
  Bytes data;
};

class PcService {
 public:
  PcService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, ShieldService& shield,
            PcOptions opts = {});

  // PC side: a new pairing. Errors: invalid_field (name: 1-64 characters, no control characters).
  Result<PcPairingStarted> start_pairing(const std::string& name);
  // The link of a PC token, whatever its state (the PC asks whether the phone has approved).
  // Errors: pc_not_paired (kUnauthenticated: unknown token).
  Result<PcLinkView> link_of_token(const std::string& token);
  // PC side: forget the link. Errors: pc_not_paired.
  Status unpair(const std::string& token);

  // Phone side: a pending pairing to show before approving. Errors: pc_pairing_not_found,
  // pc_pairing_not_waiting (approved, failed or removed), pc_pairing_expired.
  Result<PcLinkView> pairing(const std::string& id);
  // Errors: those of pairing(), pc_pairing_code_mismatch (kPermissionDenied; counted; the
  // pairing fails after kMaxCodeFailures).
  Result<PcLinkView> approve(const std::string& account_id, const std::string& id,
                             const std::string& code);
  Result<std::vector<PcLinkView>> links(const std::string& account_id);
  // Errors: pc_link_not_found.
  Status remove(const std::string& account_id, const std::string& id);

  // PC side: the certificates its module exposes: current, valid now, of the linked account.
  // Errors: pc_not_paired (the token is not of an active link).
  Result<std::vector<PcCertificate>> certificates(const std::string& token);
  // Errors: pc_not_paired, certificate_not_found (not the link's account's, or not current and
  // valid), invalid_field (operation, mechanism, data size), mechanism_key_mismatch
  // (kInvalidArgument: a mechanism of another key type than the certificate's), too_many_requests
  // (kResourceExhausted).
  Result<PcRequestView> create_request(const std::string& token, const PcRequestInput& in);
  // Errors: pc_not_paired, pc_request_not_found (another link's request too).
  Result<PcRequestView> get_request(const std::string& token, const std::string& id);

  // Phone side: open requests of the account's active links, oldest first.
  Result<std::vector<PcRequestView>> pending(const std::string& account_id);
  // Errors: pc_request_not_found.
  Result<PcRequestView> request(const std::string& account_id, const std::string& id);
  // result: the signature (SM2 or ECDSA r‖s, or the k-byte RSA signature), or the plaintext.
  // Errors:
  // pc_request_not_found,
  // pc_request_not_pending, pc_request_expired, pc_not_paired (the link was removed meanwhile),
  // bad_signature (kInvalidArgument: does not verify under the certificate's key),
  // invalid_field (a plaintext of the wrong length: SM2 as long as C2, RSA at most k − 11).
  Result<PcRequestView> complete(const std::string& account_id, const std::string& id,
                                 const Bytes& result);
  // Errors: as complete's, minus the result checks.
  Result<PcRequestView> refuse(const std::string& account_id, const std::string& id,
                               const std::string& reason);

 private:
  Result<PcLinkView> active_link(store::Tx& tx, const std::string& token);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  ShieldService& shield_;
  PcOptions opts_;
};

}  // namespace certseal::service
