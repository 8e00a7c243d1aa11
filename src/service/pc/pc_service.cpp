#include "service/pc/pc_service.h"

#include <algorithm>
#include <cctype>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "service/shield/shield_service.h"

namespace certseal::service {
namespace {

constexpr std::string_view kCodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t kCodeChars = 12;  // 60 bits, shown as XXXX-XXXX-XXXX

std::string sha256_hex(std::string_view s) {
  return hex_encode(crypto::sha256(as_bytes(s)));
}

// Upper case, without the dashes and spaces a user may type.
std::string normalise_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

Error not_paired() {
  return Error(ErrorKind::kUnauthenticated, "pc_not_paired",
               "this PC is not paired with a phone (certseal pc pair)");
}
Error request_not_found() {
  return not_found("pc_request_not_found", "no such PC request");
}
Error bad_field(const std::string& f, const std::string& what) {
  return invalid_argument("invalid_field", f + " must be " + what).with_field(f, "invalid", what);
}

PcLinkView link_from_row(const store::Row& r) {
  PcLinkView v;
  v.id = r.text("id");
  v.name = r.text("name");
  v.status = r.text("status");
  v.account_id = r.text("account_id");
  v.created_at = r.text("created_at");
  v.paired_at = r.text("paired_at");
  v.removed_at = r.text("removed_at");
  v.expires_at = r.integer("expires_at");
  return v;
}

PcRequestView request_from_row(const store::Row& r) {
  PcRequestView v;
  v.id = r.text("id");
  v.link_id = r.text("link_id");
  v.certificate_id = r.text("certificate_id");
  v.key_id = r.text("key_id");
  v.operation = r.text("operation");
  v.mechanism = r.text("mechanism");
  v.status = r.text("status");
  v.reason = r.text("reason");
  v.created_at = r.text("created_at");
  v.finished_at = r.text("finished_at");
  v.data_sha256 = r.text("data_sha256");
  v.key_algorithm = r.text("key_algorithm");  // when the query joins shield_keys
  v.expires_at = r.integer("expires_at");
  v.data = r.blob("data");
  v.result = r.blob("result");
  return v;
}

bool is_rsa_algorithm(const std::string& a) {
  return a == "rsa-2048" || a == "rsa-3072";
}

// The key family a mechanism belongs to: "rsa", "ecdsa" (two-party P-256) or "sm2".
std::string mechanism_family(const std::string& m) {
  if (m.rfind("rsa-", 0) == 0) return "rsa";
  if (m.rfind("ecdsa-", 0) == 0) return "ecdsa";
  return "sm2";
}
std::string key_family(const std::string& algorithm) {
  if (is_rsa_algorithm(algorithm)) return "rsa";
  if (algorithm == "ec-p256") return "ecdsa";
  return algorithm == "sm2" ? "sm2" : "";
}

// The modulus length k in bytes of an RSA key algorithm.
std::size_t rsa_modulus_bytes(const std::string& a) {
  return a == "rsa-3072" ? 384 : 256;
}

// Whether (operation, mechanism) is one the PC link knows, and the data fits its shape before
// the key is known. The key's side is checked by fits_key.
Status check_shape(const PcRequestInput& in) {
  if (in.operation != "sign" && in.operation != "decrypt")
    return bad_field("operation", "sign or decrypt");
  if (in.operation == "sign") {
    if (in.mechanism == "sm2" || in.mechanism == "rsa-sha256-digest" ||
        in.mechanism == "ecdsa-sha256-digest") {
      if (in.data.size() != 32)
        return bad_field("data", "a 32-byte digest for mechanism " + in.mechanism);
    } else if (in.mechanism == "sm2-sm3" || in.mechanism == "rsa-sha256" ||
               in.mechanism == "ecdsa-sha256") {
      if (in.data.empty() || in.data.size() > kMaxPcData) return bad_field("data", "1-16384 bytes");
    } else {
      return bad_field("mechanism",
                       "sm2, sm2-sm3, rsa-sha256, rsa-sha256-digest, ecdsa-sha256 or "
                       "ecdsa-sha256-digest for a signature");
    }
    return {};
  }
  if (in.mechanism == "sm2") {
    if (in.data.size() < 98 || in.data.size() > kMaxPcData || in.data[0] != 0x04) {
      return bad_field("data",
                       "an SM2 ciphertext C1||C3||C2 with C1 uncompressed (98-16384 bytes)");
    }
  } else if (in.mechanism != "rsa-pkcs1") {
    return bad_field("mechanism", "sm2 or rsa-pkcs1 for a decryption");
  }
  return {};
}

// The mechanism fits the certificate's key: SM2 mechanisms for SM2 keys, RSA ones (and an RSA
// ciphertext as long as the modulus) for RSA keys, ECDSA ones for two-party P-256 keys (which
// sign only: check_shape offers no ECDSA decryption).
Status fits_key(const PcRequestInput& in, const std::string& algorithm) {
  if (mechanism_family(in.mechanism) != key_family(algorithm)) {
    return invalid_argument("mechanism_key_mismatch",
                            "mechanism " + in.mechanism + " does not fit the certificate's " +
                                algorithm + " key")
        .with_field("mechanism", "invalid", "one the certificate's key supports");
  }
  if (in.mechanism == "rsa-pkcs1" && in.data.size() != rsa_modulus_bytes(algorithm)) {
    return bad_field("data", "an RSA ciphertext of " +
                                 std::to_string(rsa_modulus_bytes(algorithm)) + " bytes");
  }
  return {};
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

PcService::PcService(store::Database& db, const Clock& clock, Rng& rng, Logger& log,
                     ShieldService& shield, PcOptions opts)
    : db_(db), clock_(clock), rng_(rng), log_(log), shield_(shield), opts_(opts) {}

Result<PcPairingStarted> PcService::start_pairing(const std::string& name) {
  if (!valid_name(name)) return bad_field("name", "1-64 characters without control characters");
  PcPairingStarted out;
  out.token = "pc_" + base64url_encode(rng_.bytes(32));
  const Bytes raw = rng_.bytes(kCodeChars);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.code.push_back('-');
    out.code.push_back(kCodeAlphabet[raw[i] % 32]);
  }
  PcLinkView& v = out.link;
  v.id = new_uuid_v7(clock_, rng_);
  v.name = name;
  v.status = "pending";
  v.created_at = format_rfc3339(clock_.now());
  v.expires_at = clock_.now_unix() + opts_.pairing_ttl_s;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(
        tx.exec("INSERT INTO pc_links (id, name, token_hash, code_hash, status, failures, "
                "expires_at, created_at) "
                "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
                {v.id, v.name, sha256_hex(out.token), sha256_hex(normalise_code(out.code)),
                 v.expires_at, v.created_at}));
    return {};
  }));
  return out;
}

Result<PcLinkView> PcService::link_of_token(const std::string& token) {
  return db_.read_value<PcLinkView>([&](store::Tx& tx) -> Result<PcLinkView> {
    CS_ASSIGN(auto r,
              tx.query_one("SELECT * FROM pc_links WHERE token_hash = ?", {sha256_hex(token)}));
    if (!r) return not_paired();
    return link_from_row(*r);
  });
}

Status PcService::unpair(const std::string& token) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r,
              tx.query_one("SELECT * FROM pc_links WHERE token_hash = ?", {sha256_hex(token)}));
    if (!r || r->text("status") == "removed") return not_paired();
    CS_TRY(tx.exec("UPDATE pc_links SET status = 'removed', removed_at = ? WHERE id = ?",
                   {format_rfc3339(clock_.now()), r->text("id")}));
    CS_TRY(
        tx.exec("UPDATE pc_requests SET status = 'refused', reason = 'pc_unpaired', data = NULL, "
                "result = NULL, "
                "finished_at = ? WHERE link_id = ? AND status = 'pending'",
                {format_rfc3339(clock_.now()), r->text("id")}));
    return {};
  });
}

Result<PcLinkView> PcService::pairing(const std::string& id) {
  return db_.read_value<PcLinkView>([&](store::Tx& tx) -> Result<PcLinkView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM pc_links WHERE id = ?", {id}));
    if (!r) return not_found("pc_pairing_not_found", "no such PC pairing");
    PcLinkView v = link_from_row(*r);
    if (v.status != "pending")
      return conflict("pc_pairing_not_waiting", "this PC pairing is no longer waiting");
    if (v.expires_at <= clock_.now_unix())
      return conflict("pc_pairing_expired", "this PC pairing has expired");
    v.account_id.clear();
    return v;
  });
}

Result<PcLinkView> PcService::approve(const std::string& account_id, const std::string& id,
                                      const std::string& code) {
  std::optional<Error> refusal;
  CS_ASSIGN(auto v, db_.write_value<PcLinkView>([&](store::Tx& tx) -> Result<PcLinkView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM pc_links WHERE id = ?", {id}));
    if (!r) return not_found("pc_pairing_not_found", "no such PC pairing");
    PcLinkView v = link_from_row(*r);
    if (v.status != "pending")
      return conflict("pc_pairing_not_waiting", "this PC pairing is no longer waiting");
    if (v.expires_at <= clock_.now_unix())
      return conflict("pc_pairing_expired", "this PC pairing has expired");
    const std::string given = sha256_hex(normalise_code(code));
    if (!constant_time_equal(as_bytes(given), as_bytes(r->text("code_hash")))) {
      // Counted in this transaction and committed: the refusal is returned after it.
      const std::int64_t failures = r->integer("failures") + 1;
      const bool failed = failures >= kMaxCodeFailures;
      CS_TRY(tx.exec("UPDATE pc_links SET failures = ?, status = ? WHERE id = ?",
                     {failures, std::string(failed ? "failed" : "pending"), id}));
      refusal = permission_denied(
          "pc_pairing_code_mismatch",
          failed ? "wrong pairing code; the pairing has failed, start it again on the PC"
                 : "wrong pairing code");
      return v;
    }
    v.status = "active";
    v.account_id = account_id;
    v.paired_at = format_rfc3339(clock_.now());
    CS_TRY(
        tx.exec("UPDATE pc_links SET status = 'active', account_id = ?, paired_at = ? WHERE id = ?",
                {account_id, v.paired_at, id}));
    return v;
  }));
  if (refusal) return *refusal;
  log_.info("pc paired", {{"link_id", v.id}, {"account_id", account_id}});
  return v;
}

Result<std::vector<PcLinkView>> PcService::links(const std::string& account_id) {
  return db_.read_value<std::vector<PcLinkView>>(
      [&](store::Tx& tx) -> Result<std::vector<PcLinkView>> {
        CS_ASSIGN(auto rows,
                  tx.query("SELECT * FROM pc_links WHERE account_id = ? ORDER BY id DESC LIMIT 100",
                           {account_id}));
        std::vector<PcLinkView> out;
        for (const auto& r : rows) out.push_back(link_from_row(r));
        return out;
      });
}

Status PcService::remove(const std::string& account_id, const std::string& id) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM pc_links WHERE id = ?", {id}));
    if (!r || r->text("account_id") != account_id || r->text("status") != "active") {
      return not_found("pc_link_not_found", "no such linked PC");
    }
    const std::string now = format_rfc3339(clock_.now());
    CS_TRY(
        tx.exec("UPDATE pc_links SET status = 'removed', removed_at = ? WHERE id = ?", {now, id}));
    CS_TRY(
        tx.exec("UPDATE pc_requests SET status = 'refused', reason = 'pc_removed', data = NULL, "
                "result = NULL, "
                "finished_at = ? WHERE link_id = ? AND status = 'pending'",
                {now, id}));
    return {};
  });
}

Result<PcLinkView> PcService::active_link(store::Tx& tx, const std::string& token) {
  CS_ASSIGN(auto r,
            tx.query_one("SELECT * FROM pc_links WHERE token_hash = ?", {sha256_hex(token)}));
  if (!r || r->text("status") != "active") return not_paired();
  return link_from_row(*r);
}

Result<std::vector<PcCertificate>> PcService::certificates(const std::string& token) {
  CS_ASSIGN(auto link,
            db_.read_value<PcLinkView>([&](store::Tx& tx) { return active_link(tx, token); }));
  CS_ASSIGN(auto held, shield_.certificates(link.account_id));
  const std::int64_t now = clock_.now_unix();
  std::vector<PcCertificate> out;
  for (const auto& h : held) {
    if (!h.current || h.record.status != "valid" || h.record.not_before > now ||
        h.record.not_after <= now)
      continue;
    auto key = shield_.key(link.account_id, h.key_id);
    if (!key || key->status != "active") continue;
    out.push_back({h.certificate_id, h.key_id, h.record.serial, h.record.subject, key->algorithm,
                   h.record.not_before, h.record.not_after, h.record.der, key->public_key});
  }
  return out;
}

Result<PcRequestView> PcService::create_request(const std::string& token,
                                                const PcRequestInput& in) {
  CS_TRY(check_shape(in));
  CS_ASSIGN(auto certs, certificates(token));
  const PcCertificate* cert = nullptr;
  for (const auto& c : certs) {
    if (c.certificate_id == in.certificate_id) cert = &c;
  }
  if (!cert) return not_found("certificate_not_found", "no such certificate on the paired phone");
  CS_TRY(fits_key(in, cert->algorithm));
  return db_.write_value<PcRequestView>([&](store::Tx& tx) -> Result<PcRequestView> {
    CS_ASSIGN(auto link, active_link(tx, token));
    const std::int64_t now = clock_.now_unix();
    CS_ASSIGN(auto open,
              tx.query_one(
                  "SELECT COUNT(*) AS n FROM pc_requests WHERE link_id = ? AND status = 'pending' "
                  "AND expires_at > ?",
                  {link.id, now}));
    if (open && open->integer("n") >= kMaxOpenRequests) {
      return Error(ErrorKind::kResourceExhausted, "too_many_requests",
                   "too many operations wait for the phone");
    }
    PcRequestView v;
    v.id = new_uuid_v7(clock_, rng_);
    v.link_id = link.id;
    v.link_name = link.name;
    v.certificate_id = cert->certificate_id;
    v.key_id = cert->key_id;
    v.operation = in.operation;
    v.mechanism = in.mechanism;
    v.key_algorithm = cert->algorithm;
    v.status = "pending";
    v.created_at = format_rfc3339(clock_.now());
    v.data_sha256 = hex_encode(crypto::sha256(in.data));
    v.expires_at = now + opts_.request_ttl_s;
    v.data = in.data;
    CS_TRY(
        tx.exec("INSERT INTO pc_requests (id, link_id, account_id, certificate_id, key_id, "
                "operation, mechanism, "
                "data, data_sha256, status, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                "?, ?, 'pending', ?, ?)",
                {v.id, v.link_id, link.account_id, v.certificate_id, v.key_id, v.operation,
                 v.mechanism, v.data, v.data_sha256, v.expires_at, v.created_at}));
    return v;
  });
}

Result<PcRequestView> PcService::get_request(const std::string& token, const std::string& id) {
  return db_.write_value<PcRequestView>([&](store::Tx& tx) -> Result<PcRequestView> {
    CS_ASSIGN(auto link, active_link(tx, token));
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM pc_requests WHERE id = ?", {id}));
    if (!r || r->text("link_id") != link.id) return request_not_found();
    PcRequestView v = request_from_row(*r);
    v.link_name = link.name;
    if (v.status == "pending" && v.expires_at <= clock_.now_unix()) v.status = "expired";
    if (v.status != "pending") {
      // The PC has seen the outcome: nothing of the operation is kept beyond the record.
      CS_TRY(
          tx.exec("UPDATE pc_requests SET status = ?, data = NULL, result = NULL, "
                  "finished_at = COALESCE(finished_at, ?) WHERE id = ?",
                  {v.status, format_rfc3339(clock_.now()), id}));
    }
    v.data.clear();
    return v;
  });
}

Result<std::vector<PcRequestView>> PcService::pending(const std::string& account_id) {
  return db_.read_value<std::vector<PcRequestView>>(
      [&](store::Tx& tx) -> Result<std::vector<PcRequestView>> {
        CS_ASSIGN(auto rows,
                  tx.query("SELECT q.*, l.name AS link_name, k.algorithm AS key_algorithm "
                           "FROM pc_requests q JOIN pc_links l ON l.id = q.link_id "
                           "LEFT JOIN shield_keys k ON k.id = q.key_id "
                           "WHERE q.account_id = ? AND q.status = 'pending' AND q.expires_at > ? "
                           "AND l.status = 'active' ORDER BY q.id LIMIT 100",
                           {account_id, clock_.now_unix()}));
        std::vector<PcRequestView> out;
        for (const auto& r : rows) {
          out.push_back(request_from_row(r));
          out.back().link_name = r.text("link_name");
        }
        return out;
      });
}

Result<PcRequestView> PcService::request(const std::string& account_id, const std::string& id) {
  return db_.read_value<PcRequestView>([&](store::Tx& tx) -> Result<PcRequestView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT q.*, l.name AS link_name, k.algorithm AS key_algorithm "
                                   "FROM pc_requests q JOIN pc_links l ON l.id = q.link_id "
                                   "LEFT JOIN shield_keys k ON k.id = q.key_id "
                                   "WHERE q.id = ?",
                                   {id}));
    if (!r || r->text("account_id") != account_id) return request_not_found();
    PcRequestView v = request_from_row(*r);
    v.link_name = r->text("link_name");
    if (v.status == "pending" && v.expires_at <= clock_.now_unix()) v.status = "expired";
    return v;
  });
}

namespace {

// The checks both outcomes share, inside the finishing transaction.
Result<PcRequestView> open_request(store::Tx& tx, const Clock& clock, const std::string& account_id,
                                   const std::string& id) {
  CS_ASSIGN(auto r, tx.query_one(
                        "SELECT q.*, l.status AS link_status FROM pc_requests q JOIN pc_links l ON "
                        "l.id = q.link_id WHERE q.id = ?",
                        {id}));
  if (!r || r->text("account_id") != account_id) return request_not_found();
  PcRequestView v = request_from_row(*r);
  if (v.status != "pending")
    return conflict("pc_request_not_pending", "this PC request is already " + v.status);
  if (v.expires_at <= clock.now_unix())
    return conflict("pc_request_expired", "this PC request has expired");
  if (r->text("link_status") != "active") return not_paired();
  return v;
}

}  // namespace

Result<PcRequestView> PcService::complete(const std::string& account_id, const std::string& id,
                                          const Bytes& result) {
  CS_ASSIGN(auto v, request(account_id, id));
  if (v.status != "pending")
    return conflict("pc_request_not_pending", "this PC request is already " + v.status);
  const Error bad_signature = invalid_argument(
      "bad_signature", "the signature does not verify under the certificate's key");
  const std::string family = mechanism_family(v.mechanism);
  if (v.operation == "sign" && family == "rsa") {
    // Only what the certificate's key really signed reaches the PC.
    CS_ASSIGN(auto key, shield_.key(account_id, v.key_id));
    CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(key.public_key));
    const Status checked =
        v.mechanism == "rsa-sha256"
            ? crypto::verify(pub, crypto::SignScheme::kRsaPkcs1Sha256, v.data, result)
            : crypto::verify_rsa_pkcs1_sha256_digest(pub, v.data, result);
    if (!checked.ok()) return bad_signature;
  } else if (v.operation == "sign" && family == "ecdsa") {
    // r‖s (PKCS#11's form), checked as the DER signature it stands for.
    CS_ASSIGN(auto key, shield_.key(account_id, v.key_id));
    CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(key.public_key));
    if (result.size() != 64) return bad_signature;
    CS_ASSIGN(auto der, crypto::ec_sig_raw_to_der(result));
    const Status checked =
        v.mechanism == "ecdsa-sha256"
            ? crypto::verify(pub, crypto::SignScheme::kEcdsaSha256, v.data, der)
            : crypto::verify_ecdsa_p256_sha256_digest(pub, v.data, der);
    if (!checked.ok()) return bad_signature;
  } else if (v.operation == "sign") {
    CS_ASSIGN(auto key, shield_.key(account_id, v.key_id));
    Bytes e = v.data;
    if (v.mechanism == "sm2-sm3") {
      CS_ASSIGN(e, crypto::sm2_message_digest(key.public_key, crypto::kSm2DefaultId, v.data));
    }
    if (result.size() != 64 || !crypto::sm2_verify_digest(key.public_key, e, result).ok()) {
      return bad_signature;
    }
  } else if (v.mechanism == "rsa-pkcs1") {
    // PKCS#1 v1.5 leaves at least 11 bytes of padding in a k-byte block.
    if (result.size() + 11 > v.data.size())
      return bad_field("plaintext", "at most the modulus length less 11 bytes");
  } else if (result.size() != v.data.size() - 97) {
    return bad_field("plaintext", "as long as the ciphertext's C2");
  }
  CS_ASSIGN(auto done, db_.write_value<PcRequestView>([&](store::Tx& tx) -> Result<PcRequestView> {
    CS_ASSIGN(auto open, open_request(tx, clock_, account_id, id));
    open.status = "completed";
    open.finished_at = format_rfc3339(clock_.now());
    CS_TRY(tx.exec(
        "UPDATE pc_requests SET status = 'completed', result = ?, finished_at = ? WHERE id = ?",
        {result, open.finished_at, id}));
    open.link_name = v.link_name;
    return open;
  }));
  log_.info("pc request completed", {{"request_id", id}, {"operation", done.operation}});
  return done;
}

Result<PcRequestView> PcService::refuse(const std::string& account_id, const std::string& id,
                                        const std::string& reason) {
  if (reason.size() > 200) return bad_field("reason", "at most 200 characters");
  return db_.write_value<PcRequestView>([&](store::Tx& tx) -> Result<PcRequestView> {
    CS_ASSIGN(auto open, open_request(tx, clock_, account_id, id));
    open.status = "refused";
    open.reason = reason.empty() ? "declined" : reason;
    open.finished_at = format_rfc3339(clock_.now());
    CS_TRY(
        tx.exec("UPDATE pc_requests SET status = 'refused', reason = ?, data = NULL, finished_at = "
                "? WHERE id = ?",
                {open.reason, open.finished_at, id}));
    return open;
  });
}

}  // namespace certseal::service
