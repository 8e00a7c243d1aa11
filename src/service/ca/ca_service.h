// CaService: the CAs of this platform (支持多CA) and the lifecycle of every certificate they
// issue — issue, renew (延期, same key), change (变更, new subject; the old one revoked as
// superseded), revoke (注销/作废, RFC 5280 §5.3.1 reasons), reissue (补发, new key; the old one
// revoked as superseded) — plus publication: chains, CRLs (RFC 5280 §5), OCSP (RFC 6960) and
// RFC 3161 time stamps.
//
// Each configured CA is a two-level hierarchy (root → issuing CA) plus two delegated service
// certificates issued by the issuing CA: an OCSP signer (EKU OCSPSigning, id-pkix-ocsp-nocheck)
// and a time-stamp signer (EKU timeStamping, critical). All four keys live in the KeyManager; a
// missing CA is created on first start (concurrent starts on PostgreSQL: the loser of the insert
// destroys its fresh keys and loads the winner's CA).
//
// Idempotency: every lifecycle call carries a request id. The first call records
// (request id → action, hash of the input, certificate id) in the same transaction as its effect;
// a retry with the same id and input returns that certificate and changes nothing; the same id
// with another input is 409 "request_id_reused".
//
// Caching: the CRL is stored and regenerated on every revocation and when less than half of its
// validity is left. Signed OCSP answers for requests without a nonce are cached per CertID in
// process memory together with the status they state; each request still reads the status from
// the database (several nodes may revoke), and a cached answer is used only while the status is
// unchanged and less than half of its validity has passed, otherwise it is re-signed.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "keystore/key_manager.h"
#include "pki/crl.h"
#include "pki/ocsp.h"
#include "pki/profile.h"
#include "service/ca/ca_backend.h"
#include "service/ledger/recorder.h"
#include "store/db.h"

namespace certseal::service::ca {

struct CaSettings {
  std::string id;         // [a-z0-9_-]{1,32}; appears in URLs
  std::string name;       // CN of the issuing CA
  std::string algorithm;  // "sm2", "ec-p256", "rsa-2048", "rsa-3072"
  int root_validity_days = 7300;
  int issuing_validity_days = 3650;
  // SM2 signer ID for everything this CA signs (see pki/signer.h): GM/T 0009's default, or ""
  // for OpenSSL 3.0's CLI.
  std::string sm2_id = std::string(crypto::kSm2DefaultId);
};

struct CaServiceOptions {
  std::vector<CaSettings> cas;
  std::string public_url;             // "http://host:port", put into certificates (CRL DP, AIA)
  std::int64_t crl_validity_s = 86'400;
  std::int64_t ocsp_validity_s = 3'600;
  std::string default_tsa;            // CA id whose TSA answers /tsa; default: the first CA
  std::size_t ocsp_max_certids = 10;  // more in one request: malformedRequest, unsigned (M7)
};

struct CertificateRecord {
  std::string id, ca_id, serial, profile, subject, status;
  std::int64_t not_before = 0, not_after = 0;
  std::optional<std::int64_t> revoked_at;
  std::optional<int> reason;
  std::optional<std::string> predecessor_id;
  Bytes der;
  nlohmann::json subject_info;
  nlohmann::json to_json() const;  // with PEM and details
};

// One CA's publication state for operators (ca_search.cpp): the current CRL's number and
// window, how many certificates it issued and revoked, and the expiry of its delegated OCSP and
// time-stamp certificates (an expired one means that service no longer answers validly).
struct CaStatus {
  std::string id;
  std::int64_t crl_number = 0;
  std::optional<std::int64_t> crl_this_update, crl_next_update;
  std::int64_t issued = 0, revoked = 0;
  std::optional<std::int64_t> ocsp_not_after, tsa_not_after;
  nlohmann::json to_json(std::int64_t now) const;
};

// An operator's certificate search (ca_search.cpp). `query` matches, any of: the serial (hex,
// colons, spaces and case ignored), a part of the subject, the holder's account id or phone.
// Empty fields do not filter. Results by id; `after` is the last id of the previous page.
struct CertificateSearch {
  std::string query, ca_id, status, after;
  int limit = 20;
};
struct CertificateHit {
  std::string id;  // the certificate's, also the page cursor
  CertificateRecord record;
  std::string holder_account_id, holder_phone;  // empty: not held by an account (issued over the CA API)
};

struct IssueInput {
  std::string request_id;
  std::string ca_id;
  std::string profile;
  pki::SubjectInfo subject;
  std::string public_key;  // SPKI as PEM or base64 DER (a two-party key's public key) ...
  std::string csr;         // ... or a PKCS#10 CSR (PEM or base64 DER); exactly one of them
  int validity_days = 365;
};

// What a PAdES B-LT signature embeds for one certificate (CaService::validation_material).
struct ValidationMaterial {
  std::vector<Bytes> certs;   // the issuing CA's and the root's certificates, the OCSP signer's
  std::optional<Bytes> crl;   // the issuing CA's current CRL (absent: none current, see below)
  std::optional<Bytes> ocsp;  // an OCSPResponse about the certificate (certificates of record only)
};

struct CaRuntime;

class CaService {
 public:
  static Result<std::unique_ptr<CaService>> open(store::Database& db, keystore::KeyManager& km, const Clock& clock,
                                                 Rng& rng, Logger& log, CaServiceOptions opts);
  ~CaService();

  nlohmann::json list() const;
  Result<std::string> chain_pem(std::string_view ca_id) const;
  // One certificate in DER, for the AIA caIssuers URIs (RFC 5280 §4.2.2.1 wants a single DER
  // certificate): the issuing CA's (root false, /ca/{id}/ca.cer) or the root's (/ca/{id}/root.cer).
  Result<Bytes> certificate_der(std::string_view ca_id, bool root) const;
  Result<Bytes> crl(std::string_view ca_id);
  // Always an OCSPResponse (errors become malformedRequest / unauthorized / internalError).
  Bytes ocsp(std::string_view ca_id, BytesView request);
  // Always a TimeStampResp (refusals carry PKIFailureInfo). Empty ca_id: the default TSA.
  Bytes timestamp(std::string_view ca_id, BytesView request);

  // PAdES B-LT: for a certificate one of these CAs issued (a subscriber's, or
  // the CA's own time-stamp or OCSP signer), the issuers up to the root, the issuing CA's current
  // CRL and, for certificates of record, an OCSP answer asked in process with a nonce (so signed
  // now, never a cached one). refresh_crl: regenerate a CRL past half its validity (crl(); a write,
  // so call it outside any transaction); false: only read the stored one, left out when past its
  // nextUpdate (safe inside the caller's transaction). Errors: bad_certificate, ca_not_found (no CA
  // here issued it). Own transactions.
  Result<ValidationMaterial> validation_material(BytesView cert_der, bool refresh_crl);

  Result<CertificateRecord> issue(const IssueInput& in);
  Result<CertificateRecord> renew(const std::string& request_id, const std::string& cert_id, int validity_days);
  Result<CertificateRecord> change(const std::string& request_id, const std::string& cert_id,
                                   const pki::SubjectInfo& subject, int validity_days);
  Result<CertificateRecord> revoke(const std::string& request_id, const std::string& cert_id,
                                   pki::RevocationReason reason);
  Result<CertificateRecord> revoke_serial(const std::string& request_id, const std::string& ca_id,
                                          const std::string& serial_hex, pki::RevocationReason reason);
  Result<CertificateRecord> reissue(const std::string& request_id, const std::string& cert_id,
                                    const std::string& public_key, const std::string& csr, int validity_days);
  Result<CertificateRecord> get(const std::string& cert_id);
  Result<nlohmann::json> history(const std::string& cert_id);
  Result<std::int64_t> count_certificates(const std::string& ca_id);
  // Every CA's CaStatus, in configuration order. Errors: internal (database). Own read transaction.
  Result<std::vector<CaStatus>> status();
  // Up to limit + 1 certificates matching `s` (see CertificateSearch), by id. Errors: bad_status
  // (status not valid/revoked/expired), ca_not_found (unknown ca_id). Own read transaction.
  Result<std::vector<CertificateHit>> search(const CertificateSearch& s);
  // Every certificate event also goes into the transparency log (docs/LEDGER.md), in its transaction.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }

 private:
  ledger::Recorder* ledger_ = nullptr;
  CaService(store::Database& db, keystore::KeyManager& km, const Clock& clock, Rng& rng, Logger& log,
            CaServiceOptions opts);
  Status load_or_create(const CaSettings& s);
  const CaRuntime* find(std::string_view id) const;
  Result<const CaRuntime*> require_ca(std::string_view id) const;

  Result<std::string> issue_in_tx(store::Tx& tx, const CaRuntime& ca, const std::string& profile,
                                  const pki::SubjectInfo& subject, const Bytes& spki, int validity_days,
                                  const std::optional<std::string>& predecessor, const std::string& request_id,
                                  const std::string& action);
  Status revoke_in_tx(store::Tx& tx, const CaRuntime& ca, const std::string& cert_id, pki::RevocationReason reason,
                      const std::string& request_id);
  Status regenerate_crl(store::Tx& tx, const CaRuntime& ca);
  Status add_event(store::Tx& tx, const std::string& cert_id, const std::string& action,
                   const std::string& request_id, const nlohmann::json& detail);
  Result<CertificateRecord> idempotent(const std::string& request_id, const std::string& action,
                                       const std::string& input_hash,
                                       const std::function<Result<std::string>(store::Tx&)>& fn);
  Result<CertificateRecord> load(store::Tx& tx, const std::string& cert_id);
  Bytes new_serial();

  store::Database& db_;
  keystore::KeyManager& km_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  CaServiceOptions opts_;
  std::vector<std::unique_ptr<CaRuntime>> cas_;

  struct CachedOcsp {
    std::string status;
    std::int64_t revoked_at = 0;
    std::int64_t this_update = 0;
    Bytes response;
  };
  std::mutex ocsp_mu_;
  std::map<std::string, CachedOcsp, std::less<>> ocsp_cache_;
};

// Parses a public key given as PEM ("PUBLIC KEY") or base64 DER SubjectPublicKeyInfo.
Result<Bytes> parse_public_key_input(std::string_view text);

}  // namespace certseal::service::ca
