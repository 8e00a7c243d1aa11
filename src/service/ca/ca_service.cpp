#include "service/ca/ca_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "docsign/revocation_data.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/details.h"
#include "pki/tsp.h"

namespace certseal::service::ca {

inline constexpr std::string_view kTsaPolicy = "1.3.6.1.4.1.61234.1.7";

struct CaRuntime {
  CaSettings settings;
  crypto::KeyType key_type = crypto::KeyType::kSm2;
  std::string root_key_id, issuing_key_id, ocsp_key_id, tsa_key_id;
  Bytes root_cert, issuing_cert, ocsp_cert, tsa_cert;
  Bytes issuing_name, issuing_ski, issuing_key_bits;
  std::int64_t issuing_not_after = 0;
  Bytes ocsp_key_hash;
  pki::CertFacts tsa_facts;
  std::unique_ptr<CaBackend> backend;
  std::unique_ptr<KeyManagerSigner> ocsp_signer, tsa_signer;
};

Result<Bytes> KeyManagerSigner::sign(BytesView tbs) {
  return km_.sign(key_id_, pki::sign_scheme(pki::sig_alg_for(type_)), tbs, sm2_id_);
}

namespace {

std::int64_t unix_of(SysTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
SysTime from_unix(std::int64_t s) { return sys_time_from_unix(s); }

nlohmann::json subject_json(const pki::SubjectInfo& s) {
  return {{"common_name", s.common_name},   {"organization", s.organization},
          {"organizational_unit", s.organizational_unit}, {"country", s.country},
          {"province", s.province},         {"locality", s.locality},
          {"email", s.email},               {"identity_code", s.identity_code},
          {"uscc", s.uscc}};
}

pki::SubjectInfo subject_from_json(const nlohmann::json& j) {
  pki::SubjectInfo s;
  auto get = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  s.common_name = get("common_name");
  s.organization = get("organization");
  s.organizational_unit = get("organizational_unit");
  s.country = get("country");
  s.province = get("province");
  s.locality = get("locality");
  s.email = get("email");
  s.identity_code = get("identity_code");
  s.uscc = get("uscc");
  return s;
}

std::string hash_input(const nlohmann::json& j) { return hex_encode(crypto::sha256(as_bytes(j.dump()))); }

Error not_found_cert() { return not_found("certificate_not_found", "no such certificate"); }

Status check_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return invalid_argument("request_id_required", "a request id (Idempotency-Key) of 1-128 characters is required");
  }
  return {};
}

Error key_refused(const Error& e) {
  if (e.code == "unsupported_key_type") {
    return Error(ErrorKind::kInvalidArgument, "key_not_allowed",
                 "key not allowed: SM2, P-256 or RSA 2048/3072 only", e.message)
        .with_field("public_key", "key_not_allowed", e.message);
  }
  return e;
}

// Public key from the input: exactly one of an SPKI (PEM/base64 DER) or a CSR.
Result<Bytes> key_from_input(const std::string& public_key, const std::string& csr) {
  if (public_key.empty() == csr.empty()) {
    return invalid_argument("public_key_required", "give either public_key or csr")
        .with_field("public_key", "required", "exactly one of public_key and csr");
  }
  if (!public_key.empty()) return parse_public_key_input(public_key);
  Bytes raw;
  if (csr.find("-----BEGIN") != std::string::npos) {
    raw = to_bytes(csr);
  } else {
    auto d = base64_decode(csr);
    if (!d) return invalid_argument("bad_csr", "the certificate request is neither PEM nor base64");
    raw = std::move(d).value();
  }
  auto parsed = pki::parse_csr(raw);
  if (!parsed) return key_refused(parsed.error());
  return parsed->spki;
}

std::string serial_hex(BytesView magnitude) {
  std::size_t i = 0;
  while (i + 1 < magnitude.size() && magnitude[i] == 0) ++i;
  return hex_encode(magnitude.subspan(i), true);
}

}  // namespace

Result<Bytes> parse_public_key_input(std::string_view text) {
  if (text.find("-----BEGIN") != std::string_view::npos) {
    auto k = crypto::PublicKey::from_pem(text);
    if (!k) return key_refused(k.error());
    return k->spki_der();
  }
  auto der = base64_decode(text);
  if (!der) return invalid_argument("bad_public_key", "public_key is neither PEM nor base64 DER");
  auto k = crypto::PublicKey::from_spki_der(*der);
  if (!k) return key_refused(k.error());
  return k->spki_der();
}

nlohmann::json CertificateRecord::to_json() const {
  nlohmann::json j = {{"id", id},
                      {"ca_id", ca_id},
                      {"serial", serial},
                      {"profile", profile},
                      {"subject", subject},
                      {"subject_info", subject_info},
                      {"status", status},
                      {"not_before", format_rfc3339(from_unix(not_before))},
                      {"not_after", format_rfc3339(from_unix(not_after))},
                      {"revoked_at", revoked_at ? nlohmann::json(format_rfc3339(from_unix(*revoked_at))) : nullptr},
                      {"revocation_reason",
                       reason ? nlohmann::json(pki::reason_name(static_cast<pki::RevocationReason>(*reason))) : nullptr},
                      {"predecessor_id", predecessor_id ? nlohmann::json(*predecessor_id) : nullptr},
                      {"certificate_pem", pem_encode("CERTIFICATE", der)}};
  if (auto d = pki::certificate_details(der)) j["details"] = *d;
  return j;
}

CaService::CaService(store::Database& db, keystore::KeyManager& km, const Clock& clock, Rng& rng, Logger& log,
                     CaServiceOptions opts)
    : db_(db), km_(km), clock_(clock), rng_(rng), log_(log), opts_(std::move(opts)) {}

CaService::~CaService() = default;

Result<std::unique_ptr<CaService>> CaService::open(store::Database& db, keystore::KeyManager& km, const Clock& clock,
                                                   Rng& rng, Logger& log, CaServiceOptions opts) {
  std::unique_ptr<CaService> s(new CaService(db, km, clock, rng, log, std::move(opts)));
  for (const auto& c : s->opts_.cas) CS_TRY(s->load_or_create(c));
  if (s->opts_.default_tsa.empty() && !s->cas_.empty()) s->opts_.default_tsa = s->cas_.front()->settings.id;
  return s;
}

Bytes CaService::new_serial() {
  // 127 random bits, positive, first byte non-zero: at least 64 random bits (CA/B BR §7.1).
  std::lock_guard lock(rng_mu_);
  Bytes s = rng_.bytes(16);
  s[0] = static_cast<std::uint8_t>((s[0] & 0x7f) | 0x40);
  return s;
}

const CaRuntime* CaService::find(std::string_view id) const {
  for (const auto& c : cas_) {
    if (c->settings.id == id) return c.get();
  }
  return nullptr;
}

Result<const CaRuntime*> CaService::require_ca(std::string_view id) const {
  const CaRuntime* c = find(id);
  if (!c) return not_found("ca_not_found", "no CA with id '" + std::string(id) + "'");
  return c;
}

Status CaService::load_or_create(const CaSettings& s) {
  CS_ASSIGN(crypto::KeyType type, crypto::key_type_from_name(s.algorithm));
  auto load_row = [&]() -> Result<std::optional<store::Row>> {
    return db_.read_value<std::optional<store::Row>>(
        [&](store::Tx& tx) { return tx.query_one("SELECT * FROM pki_ca WHERE id = ?", {s.id}); });
  };
  CS_ASSIGN(auto row, load_row());
  if (!row) {
    SysTime now = clock_.now();
    std::vector<std::string> fresh;
    auto gen = [&](const char* role) -> Result<keystore::KeyInfo> {
      auto k = km_.generate(type, "ca:" + s.id + ":" + role);
      if (k) fresh.push_back(k->id);
      return k;
    };
    auto make = [&]() -> Status {
      CS_ASSIGN(auto root_key, gen("root"));
      CS_ASSIGN(auto ca_key, gen("issuing"));
      CS_ASSIGN(auto ocsp_key, gen("ocsp"));
      CS_ASSIGN(auto tsa_key, gen("tsa"));
      CS_ASSIGN(Bytes root_name, pki::name_der({{"C", "CN"}, {"O", "CertSeal"}, {"CN", s.name + " Root"}}));
      CS_ASSIGN(Bytes ca_name, pki::name_der({{"C", "CN"}, {"O", "CertSeal"}, {"CN", s.name}}));
      KeyManagerSigner root_signer(km_, root_key.id, type, s.sm2_id);
      pki::CertTemplate root;
      root.serial = new_serial();
      root.not_before = now - std::chrono::minutes(5);
      root.not_after = now + std::chrono::hours(24) * s.root_validity_days;
      root.issuer = root.subject = root_name;
      root.spki = root_key.public_key;
      root.is_ca = true;
      root.key_usage = pki::kKeyCertSign | pki::kCrlSign;
      CS_ASSIGN(Bytes root_cert, pki::issue_certificate(root, root_signer));
      pki::CertTemplate inter = root;
      inter.serial = new_serial();
      inter.not_after = now + std::chrono::hours(24) * std::min(s.issuing_validity_days, s.root_validity_days);
      inter.subject = ca_name;
      inter.spki = ca_key.public_key;
      inter.path_len = 0;
      CS_ASSIGN(inter.authority_key_id, pki::key_identifier(root.spki));
      inter.ca_issuers_url = opts_.public_url + "/ca/" + s.id + "/root.cer";  // its issuer, DER
      CS_ASSIGN(Bytes ca_cert, pki::issue_certificate(inter, root_signer));

      CaRuntime rt;
      rt.settings = s;
      rt.key_type = type;
      rt.issuing_key_id = ca_key.id;
      rt.issuing_cert = ca_cert;
      rt.issuing_name = ca_name;
      CS_ASSIGN(rt.issuing_ski, pki::key_identifier(ca_key.public_key));
      rt.issuing_not_after = unix_of(inter.not_after);
      rt.backend = std::make_unique<LocalCaBackend>(km_, ca_key.id, type, s.sm2_id);

      // The OCSP and TSA certificates are ordinary issued certificates (stored, revocable).
      std::string req_prefix = "bootstrap:" + s.id + ":";
      std::string ocsp_id, tsa_id;
      Bytes ocsp_cert, tsa_cert;
      auto st = db_.write([&](store::Tx& tx) -> Status {
        std::string now_s = format_rfc3339(now);
        CS_TRY(tx.exec(
            "INSERT INTO pki_ca (id, name, algorithm, backend, root_key_id, root_cert, issuing_key_id, issuing_cert, "
            "ocsp_key_id, ocsp_cert, tsa_key_id, tsa_cert, crl_number, crl, crl_this_update, crl_next_update, "
            "sm2_id, created_at) VALUES (?, ?, ?, 'local', ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, 0, 0, ?, ?)",
            {s.id, s.name, s.algorithm, root_key.id, root_cert, ca_key.id, ca_cert, ocsp_key.id, nullptr, tsa_key.id,
             nullptr, s.sm2_id, now_s}));
        pki::SubjectInfo os;
        os.common_name = s.name + " OCSP Responder";
        os.organization = "CertSeal";
        rt.settings.issuing_validity_days = s.issuing_validity_days;
        CS_ASSIGN(ocsp_id, issue_in_tx(tx, rt, "ocsp_signer", os, ocsp_key.public_key, 825, std::nullopt,
                                       req_prefix + "ocsp", "issue"));
        pki::SubjectInfo ts = os;
        ts.common_name = s.name + " Time Stamping";
        CS_ASSIGN(tsa_id, issue_in_tx(tx, rt, "tsa_signer", ts, tsa_key.public_key,
                                      std::min(3650, s.issuing_validity_days), std::nullopt, req_prefix + "tsa",
                                      "issue"));
        CS_ASSIGN(auto o, tx.query_one("SELECT der FROM pki_certificate WHERE id = ?", {ocsp_id}));
        CS_ASSIGN(auto t, tx.query_one("SELECT der FROM pki_certificate WHERE id = ?", {tsa_id}));
        CS_TRY(tx.exec("UPDATE pki_ca SET ocsp_cert = ?, tsa_cert = ? WHERE id = ?",
                       {o->blob("der"), t->blob("der"), s.id}));
        CS_TRY(regenerate_crl(tx, rt));
        return {};
      });
      return st;
    };
    auto made = make();
    if (!made) {
      for (const auto& k : fresh) (void)km_.destroy(k);
      if (made.error().kind != ErrorKind::kConflict) return made;
      // Another node created this CA first: use theirs (or report why not).
      CS_ASSIGN(row, load_row());
      if (!row) return made;
    } else {
      log_.info("CA created", {{"ca", s.id}, {"algorithm", s.algorithm}, {"backend", km_.backend()}});
    }
    CS_ASSIGN(row, load_row());
    if (!row) return internal_error("CA row missing after creation");
  }
  auto rt = std::make_unique<CaRuntime>();
  rt->settings = s;
  rt->settings.name = row->text("name");
  CS_ASSIGN(rt->key_type, crypto::key_type_from_name(row->text("algorithm")));
  if (row->text("algorithm") != s.algorithm) {
    log_.warn("CA algorithm differs from configuration; the stored CA wins",
              {{"ca", s.id}, {"stored", row->text("algorithm")}, {"configured", s.algorithm}});
  }
  rt->root_key_id = row->text("root_key_id");
  rt->issuing_key_id = row->text("issuing_key_id");
  rt->ocsp_key_id = row->text("ocsp_key_id");
  rt->tsa_key_id = row->text("tsa_key_id");
  rt->root_cert = row->blob("root_cert");
  rt->issuing_cert = row->blob("issuing_cert");
  rt->ocsp_cert = row->blob("ocsp_cert");
  rt->tsa_cert = row->blob("tsa_cert");
  CS_ASSIGN(auto ca_facts, pki::read_certificate(rt->issuing_cert));
  rt->issuing_name = ca_facts.subject;
  CS_ASSIGN(rt->issuing_ski, pki::key_identifier(ca_facts.spki));
  CS_ASSIGN(rt->issuing_key_bits, pki::public_key_bits(ca_facts.spki));
  rt->issuing_not_after = unix_of(ca_facts.not_after);
  CS_ASSIGN(auto ocsp_facts, pki::read_certificate(rt->ocsp_cert));
  CS_ASSIGN(rt->ocsp_key_hash, pki::key_identifier(ocsp_facts.spki));
  CS_ASSIGN(rt->tsa_facts, pki::read_certificate(rt->tsa_cert));
  rt->settings.sm2_id = row->text("sm2_id");
  rt->backend = std::make_unique<LocalCaBackend>(km_, rt->issuing_key_id, rt->key_type, rt->settings.sm2_id);
  rt->ocsp_signer = std::make_unique<KeyManagerSigner>(km_, rt->ocsp_key_id, rt->key_type, rt->settings.sm2_id);
  rt->tsa_signer = std::make_unique<KeyManagerSigner>(km_, rt->tsa_key_id, rt->key_type, rt->settings.sm2_id);
  cas_.push_back(std::move(rt));
  return {};
}

nlohmann::json CaService::list() const {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : cas_) {
    auto d = pki::certificate_details(c->issuing_cert);
    std::string base = opts_.public_url;
    items.push_back({{"id", c->settings.id},
                     {"name", c->settings.name},
                     {"algorithm", crypto::key_type_name(c->key_type)},
                     {"signature_algorithm", pki::sig_alg_oid(pki::sig_alg_for(c->key_type))},
                     {"backend", c->backend->kind()},
                     {"subject", d ? (*d)["subject"] : nlohmann::json(nullptr)},
                     {"not_after", d ? (*d)["not_after"] : nlohmann::json(nullptr)},
                     {"chain_url", base + "/ca/" + c->settings.id + "/chain.pem"},
                     {"crl_url", base + "/ca/" + c->settings.id + "/crl"},
                     {"ocsp_url", base + "/ocsp/" + c->settings.id},
                     {"tsa_url", base + "/tsa/" + c->settings.id},
                     {"profiles", pki::profile_ids()}});
  }
  return {{"items", items}, {"default_tsa", opts_.default_tsa}};
}

Result<Bytes> CaService::certificate_der(std::string_view ca_id, bool root) const {
  CS_ASSIGN(const CaRuntime* c, require_ca(ca_id));
  return root ? c->root_cert : c->issuing_cert;
}

Result<std::string> CaService::chain_pem(std::string_view ca_id) const {
  CS_ASSIGN(const CaRuntime* c, require_ca(ca_id));
  return pem_encode("CERTIFICATE", c->issuing_cert) + pem_encode("CERTIFICATE", c->root_cert);
}

Status CaService::regenerate_crl(store::Tx& tx, const CaRuntime& ca) {
  SysTime now = clock_.now();
  std::int64_t now_s = unix_of(now);
  CS_ASSIGN(auto cur, tx.query_one("SELECT crl_number FROM pki_ca WHERE id = ?", {ca.settings.id}));
  std::int64_t number = (cur ? cur->integer("crl_number") : 0) + 1;
  CS_ASSIGN(auto rows, tx.query("SELECT serial, revoked_at, revocation_reason FROM pki_certificate "
                                "WHERE ca_id = ? AND status = 'revoked' AND not_after > ? ORDER BY serial",
                                {ca.settings.id, now_s}));
  pki::CrlTemplate t;
  t.issuer = ca.issuing_name;
  t.authority_key_id = ca.issuing_ski;
  t.number = number;
  t.this_update = now;
  t.next_update = now + std::chrono::seconds(opts_.crl_validity_s);
  for (const auto& r : rows) {
    CS_ASSIGN(Bytes serial, hex_decode(r.text("serial")));
    t.revoked.push_back({serial, from_unix(r.integer("revoked_at")),
                         static_cast<pki::RevocationReason>(r.integer("revocation_reason"))});
  }
  CS_ASSIGN(Bytes crl, ca.backend->issue_crl(t));
  CS_TRY(tx.exec("UPDATE pki_ca SET crl = ?, crl_number = ?, crl_this_update = ?, crl_next_update = ? WHERE id = ?",
                 {crl, number, now_s, unix_of(t.next_update), ca.settings.id}));
  return {};
}

Result<Bytes> CaService::crl(std::string_view ca_id) {
  CS_ASSIGN(const CaRuntime* c, require_ca(ca_id));
  std::int64_t now = clock_.now_unix();
  auto fresh = [&](const store::Row& r) {
    return !r.is_null("crl") && now < r.integer("crl_this_update") + opts_.crl_validity_s / 2;
  };
  CS_ASSIGN(auto row, db_.read_value<std::optional<store::Row>>([&](store::Tx& tx) {
    return tx.query_one("SELECT crl, crl_this_update FROM pki_ca WHERE id = ?", {c->settings.id});
  }));
  if (row && fresh(*row)) return row->blob("crl");
  // Regenerate before it goes stale (and at the latest before nextUpdate).
  return db_.write_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto r, tx.query_one("SELECT crl, crl_this_update FROM pki_ca WHERE id = ?", {c->settings.id}));
    if (r && fresh(*r)) return r->blob("crl");
    CS_TRY(regenerate_crl(tx, *c));
    CS_ASSIGN(auto r2, tx.query_one("SELECT crl FROM pki_ca WHERE id = ?", {c->settings.id}));
    return r2->blob("crl");
  });
}

Result<std::string> CaService::issue_in_tx(store::Tx& tx, const CaRuntime& ca, const std::string& profile_id,
                                           const pki::SubjectInfo& subject, const Bytes& spki, int validity_days,
                                           const std::optional<std::string>& predecessor,
                                           const std::string& request_id, const std::string& action) {
  const pki::Profile* profile = pki::find_profile(profile_id);
  if (!profile) {
    return invalid_argument("unknown_profile", "unknown certificate profile '" + profile_id + "'")
        .with_field("profile", "invalid", "one of the CA's profiles");
  }
  auto key = crypto::PublicKey::from_spki_der(spki);
  if (!key) return key_refused(key.error());
  pki::IssuanceContext in;
  in.subject = subject;
  in.spki = spki;
  in.key_type = key->type();
  in.ca_key_type = ca.key_type;
  in.validity_days = validity_days;
  pki::CertTemplate t;
  CS_TRY(pki::apply_profile(*profile, in, t));
  SysTime now = clock_.now();
  t.serial = new_serial();
  t.not_before = now - std::chrono::minutes(1);
  t.not_after = std::min(now + std::chrono::hours(24) * validity_days, from_unix(ca.issuing_not_after));
  t.issuer = ca.issuing_name;
  t.authority_key_id = ca.issuing_ski;
  std::string base = opts_.public_url;
  t.crl_url = base + "/ca/" + ca.settings.id + "/crl";
  if (profile_id != "ocsp_signer") t.ocsp_url = base + "/ocsp/" + ca.settings.id;
  t.ca_issuers_url = base + "/ca/" + ca.settings.id + "/ca.cer";  // the issuing CA, DER (RFC 5280 §4.2.2.1)
  CS_ASSIGN(Bytes der, ca.backend->issue_certificate(t));
  std::string id = new_uuid_v7(clock_, rng_);
  std::string now_s = format_rfc3339(now);
  CS_TRY(tx.exec("INSERT INTO pki_certificate (id, ca_id, serial, profile, subject, subject_json, spki, der, status, "
                 "not_before, not_after, revoked_at, revocation_reason, predecessor_id, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?, ?, NULL, NULL, ?, ?)",
                 {id, ca.settings.id, serial_hex(t.serial), profile_id, pki::name_text(t.subject),
                  subject_json(subject).dump(), spki, der, unix_of(t.not_before), unix_of(t.not_after),
                  predecessor, now_s}));
  CS_TRY(add_event(tx, id, action, request_id,
                   {{"serial", serial_hex(t.serial)}, {"predecessor_id", predecessor ? *predecessor : ""}}));
  return id;
}

Status CaService::add_event(store::Tx& tx, const std::string& cert_id, const std::string& action,
                            const std::string& request_id, const nlohmann::json& detail) {
  CS_ASSIGN(auto n, tx.query_one("SELECT COUNT(*) AS n FROM pki_certificate_event WHERE certificate_id = ?",
                                 {cert_id}));
  CS_TRY(tx.exec("INSERT INTO pki_certificate_event (id, certificate_id, seq, action, request_id, detail, at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 {new_uuid_v7(clock_, rng_), cert_id, n->integer("n") + 1, action, request_id, detail.dump(),
                  format_rfc3339(clock_.now())}));
  return ledger::record(ledger_, tx, ledger::LedgerEvent("certificate." + action).on(cert_id).cert(cert_id).with("ca", detail));
}

Status CaService::revoke_in_tx(store::Tx& tx, const CaRuntime& ca, const std::string& cert_id,
                               pki::RevocationReason reason, const std::string& request_id) {
  std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto n, tx.exec("UPDATE pki_certificate SET status = 'revoked', revoked_at = ?, revocation_reason = ? "
                            "WHERE id = ? AND status = 'valid'",
                            {now, static_cast<int>(reason), cert_id}));
  if (n != 1) return Error(ErrorKind::kFailedPrecondition, "already_revoked", "the certificate is already revoked");
  CS_TRY(add_event(tx, cert_id, "revoke", request_id, {{"reason", pki::reason_name(reason)}}));
  return regenerate_crl(tx, ca);
}

Result<CertificateRecord> CaService::load(store::Tx& tx, const std::string& cert_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM pki_certificate WHERE id = ?", {cert_id}));
  if (!r) return not_found_cert();
  CertificateRecord c;
  c.id = r->text("id");
  c.ca_id = r->text("ca_id");
  c.serial = r->text("serial");
  c.profile = r->text("profile");
  c.subject = r->text("subject");
  c.status = r->text("status");
  c.not_before = r->integer("not_before");
  c.not_after = r->integer("not_after");
  if (!r->is_null("revoked_at")) c.revoked_at = r->integer("revoked_at");
  if (!r->is_null("revocation_reason")) c.reason = static_cast<int>(r->integer("revocation_reason"));
  c.predecessor_id = (*r)["predecessor_id"].as_opt_text();
  c.der = r->blob("der");
  c.subject_info = nlohmann::json::parse(r->text("subject_json"), nullptr, false);
  return c;
}

Result<CertificateRecord> CaService::idempotent(const std::string& request_id, const std::string& action,
                                                const std::string& input_hash,
                                                const std::function<Result<std::string>(store::Tx&)>& fn) {
  CS_TRY(check_request_id(request_id));
  auto replay = [&](store::Tx& tx) -> Result<std::optional<std::string>> {
    CS_ASSIGN(auto r, tx.query_one("SELECT action, request_hash, certificate_id FROM pki_request WHERE request_id = ?",
                                   {request_id}));
    if (!r) return std::optional<std::string>();
    if (r->text("action") != action || r->text("request_hash") != input_hash) {
      return conflict("request_id_reused", "this request id was used for a different request");
    }
    return std::optional<std::string>(r->text("certificate_id"));
  };
  auto cert_id = db_.write_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto prior, replay(tx));
    if (prior) return *prior;
    CS_ASSIGN(std::string id, fn(tx));
    CS_TRY(tx.exec("INSERT INTO pki_request (request_id, action, request_hash, certificate_id, created_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {request_id, action, input_hash, id, format_rfc3339(clock_.now())}));
    return id;
  });
  if (!cert_id && cert_id.error().kind == ErrorKind::kConflict && cert_id.error().code != "request_id_reused") {
    // A concurrent twin committed first: answer with its result.
    cert_id = db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
      CS_ASSIGN(auto prior, replay(tx));
      if (!prior) return conflict("conflict", "concurrent update, try again");
      return *prior;
    });
  }
  if (!cert_id) return std::move(cert_id).error();
  return db_.read_value<CertificateRecord>([&](store::Tx& tx) { return load(tx, *cert_id); });
}

Result<CertificateRecord> CaService::issue(const IssueInput& in) {
  CS_ASSIGN(const CaRuntime* ca, require_ca(in.ca_id));
  CS_TRY(check_request_id(in.request_id));
  CS_ASSIGN(Bytes spki, key_from_input(in.public_key, in.csr));
  std::string h = hash_input({{"ca", in.ca_id}, {"profile", in.profile}, {"subject", subject_json(in.subject)},
                              {"spki", base64_encode(spki)}, {"days", in.validity_days}});
  return idempotent(in.request_id, "issue", h, [&](store::Tx& tx) {
    return issue_in_tx(tx, *ca, in.profile, in.subject, spki, in.validity_days, std::nullopt, in.request_id, "issue");
  });
}

Result<CertificateRecord> CaService::renew(const std::string& request_id, const std::string& cert_id,
                                           int validity_days) {
  std::string h = hash_input({{"cert", cert_id}, {"days", validity_days}});
  return idempotent(request_id, "renew", h, [&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto old, load(tx, cert_id));
    if (old.status != "valid") {
      return Error(ErrorKind::kFailedPrecondition, "certificate_revoked", "a revoked certificate cannot be renewed");
    }
    CS_ASSIGN(const CaRuntime* ca, require_ca(old.ca_id));
    CS_ASSIGN(auto facts, pki::read_certificate(old.der));
    return issue_in_tx(tx, *ca, old.profile, subject_from_json(old.subject_info), facts.spki, validity_days, old.id,
                       request_id, "renew");
  });
}

Result<CertificateRecord> CaService::change(const std::string& request_id, const std::string& cert_id,
                                            const pki::SubjectInfo& subject, int validity_days) {
  std::string h = hash_input({{"cert", cert_id}, {"subject", subject_json(subject)}, {"days", validity_days}});
  return idempotent(request_id, "change", h, [&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto old, load(tx, cert_id));
    if (old.status != "valid") {
      return Error(ErrorKind::kFailedPrecondition, "certificate_revoked", "a revoked certificate cannot be changed");
    }
    CS_ASSIGN(const CaRuntime* ca, require_ca(old.ca_id));
    CS_ASSIGN(auto facts, pki::read_certificate(old.der));
    CS_ASSIGN(std::string id, issue_in_tx(tx, *ca, old.profile, subject, facts.spki, validity_days, old.id,
                                          request_id, "change"));
    CS_TRY(revoke_in_tx(tx, *ca, old.id, pki::RevocationReason::kSuperseded, request_id));
    return id;
  });
}

Result<CertificateRecord> CaService::reissue(const std::string& request_id, const std::string& cert_id,
                                             const std::string& public_key, const std::string& csr,
                                             int validity_days) {
  CS_TRY(check_request_id(request_id));
  CS_ASSIGN(Bytes spki, key_from_input(public_key, csr));
  std::string h = hash_input({{"cert", cert_id}, {"spki", base64_encode(spki)}, {"days", validity_days}});
  return idempotent(request_id, "reissue", h, [&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto old, load(tx, cert_id));
    CS_ASSIGN(const CaRuntime* ca, require_ca(old.ca_id));
    CS_ASSIGN(std::string id, issue_in_tx(tx, *ca, old.profile, subject_from_json(old.subject_info), spki,
                                          validity_days, old.id, request_id, "reissue"));
    if (old.status == "valid") {
      CS_TRY(revoke_in_tx(tx, *ca, old.id, pki::RevocationReason::kSuperseded, request_id));
    }
    return id;
  });
}

Result<CertificateRecord> CaService::revoke(const std::string& request_id, const std::string& cert_id,
                                            pki::RevocationReason reason) {
  std::string h = hash_input({{"cert", cert_id}, {"reason", static_cast<int>(reason)}});
  return idempotent(request_id, "revoke", h, [&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto old, load(tx, cert_id));
    CS_ASSIGN(const CaRuntime* ca, require_ca(old.ca_id));
    CS_TRY(revoke_in_tx(tx, *ca, old.id, reason, request_id));
    return old.id;
  });
}

Result<CertificateRecord> CaService::revoke_serial(const std::string& request_id, const std::string& ca_id,
                                                   const std::string& serial, pki::RevocationReason reason) {
  CS_TRY(check_request_id(request_id));
  CS_ASSIGN(const CaRuntime* ca, require_ca(ca_id));
  auto mag = hex_decode(serial);
  if (!mag || mag->empty()) return invalid_argument("bad_serial", "serial must be hexadecimal");
  std::string norm = serial_hex(*mag);
  std::string h = hash_input({{"ca", ca_id}, {"serial", norm}, {"reason", static_cast<int>(reason)}});
  return idempotent(request_id, "revoke", h, [&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto r, tx.query_one("SELECT id FROM pki_certificate WHERE ca_id = ? AND serial = ?", {ca_id, norm}));
    if (!r) return not_found_cert();
    CS_TRY(revoke_in_tx(tx, *ca, r->text("id"), reason, request_id));
    return r->text("id");
  });
}

Result<CertificateRecord> CaService::get(const std::string& cert_id) {
  return db_.read_value<CertificateRecord>([&](store::Tx& tx) { return load(tx, cert_id); });
}

Result<nlohmann::json> CaService::history(const std::string& cert_id) {
  return db_.read_value<nlohmann::json>([&](store::Tx& tx) -> Result<nlohmann::json> {
    CS_ASSIGN(auto rows, tx.query("SELECT action, request_id, detail, at FROM pki_certificate_event "
                                  "WHERE certificate_id = ? ORDER BY seq",
                                  {cert_id}));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      out.push_back({{"action", r.text("action")},
                     {"request_id", r.text("request_id")},
                     {"detail", nlohmann::json::parse(r.text("detail"), nullptr, false)},
                     {"at", r.text("at")}});
    }
    return out;
  });
}

Result<std::int64_t> CaService::count_certificates(const std::string& ca_id) {
  return db_.read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS n FROM pki_certificate WHERE ca_id = ?", {ca_id}));
    return r->integer("n");
  });
}

Bytes CaService::ocsp(std::string_view ca_id, BytesView request) {
  const CaRuntime* ca = find(ca_id);
  if (!ca) return pki::ocsp_error_response(6);  // unauthorized: not a CA we answer for
  auto req = pki::parse_ocsp_request(request);
  if (!req) return pki::ocsp_error_response(1);
  SysTime now = clock_.now();
  std::int64_t now_s = unix_of(now);
  // RFC 6960 4.2.1: malformedRequest (1) is an unsigned answer, so a flood of CertIDs costs no
  // signature and no database work.
  if (req->ids.empty() || req->ids.size() > opts_.ocsp_max_certids) return pki::ocsp_error_response(1);
  bool cacheable = !req->nonce && req->ids.size() == 1;
  // One read for every CertID of this CA (at most ocsp_max_certids serials).
  std::vector<std::string> serials;
  for (const auto& id : req->ids) {
    if (!id.serial.empty() && pki::cert_id_matches(id, ca->issuing_name, ca->issuing_key_bits)) {
      serials.push_back(serial_hex(id.serial));
    }
  }
  std::map<std::string, store::Row> rows;
  if (!serials.empty()) {
    std::string sql = "SELECT serial, status, revoked_at, revocation_reason FROM pki_certificate WHERE ca_id = ? AND serial IN (";
    std::vector<store::Value> args{std::string(ca->settings.id)};
    for (std::size_t i = 0; i < serials.size(); ++i) {
      sql += i ? ", ?" : "?";
      args.emplace_back(serials[i]);
    }
    sql += ")";
    auto found = db_.read_value<std::vector<store::Row>>([&](store::Tx& tx) { return tx.query(sql, args); });
    if (!found) return pki::ocsp_error_response(2);
    for (auto& r : *found) {
      std::string serial = r.text("serial");
      rows.emplace(std::move(serial), std::move(r));
    }
  }
  std::vector<Bytes> singles;
  std::string cache_key;
  CachedOcsp seen;
  for (const auto& id : req->ids) {
    pki::SingleStatus st;
    st.this_update = now;
    st.next_update = now + std::chrono::seconds(opts_.ocsp_validity_s);
    st.status = pki::CertStatus::kUnknown;
    if (!id.serial.empty() && pki::cert_id_matches(id, ca->issuing_name, ca->issuing_key_bits)) {
      if (auto it = rows.find(serial_hex(id.serial)); it != rows.end()) {
        const store::Row& row = it->second;
        if (row.text("status") == "revoked") {
          st.status = pki::CertStatus::kRevoked;
          st.revoked_at = from_unix(row.integer("revoked_at"));
          st.reason = static_cast<pki::RevocationReason>(row.integer("revocation_reason"));
          seen.revoked_at = row.integer("revoked_at");
        } else {
          st.status = pki::CertStatus::kGood;
        }
      }
    }
    seen.status = st.status == pki::CertStatus::kGood ? "good" : st.status == pki::CertStatus::kRevoked ? "revoked" : "unknown";
    if (cacheable) {
      cache_key = std::string(ca->settings.id) + "\n" + hex_encode(id.der);
      std::lock_guard lock(ocsp_mu_);
      auto it = ocsp_cache_.find(cache_key);
      if (it != ocsp_cache_.end() && it->second.status == seen.status && it->second.revoked_at == seen.revoked_at &&
          now_s < it->second.this_update + opts_.ocsp_validity_s / 2 && now_s >= it->second.this_update) {
        return it->second.response;
      }
    }
    singles.push_back(pki::single_response(id.der, st));
  }
  pki::OcspResponseTemplate t{ca->ocsp_key_hash, now, std::move(singles), req->nonce, {ca->ocsp_cert}};
  auto signed_resp = pki::sign_ocsp_response(t, *ca->ocsp_signer);
  if (!signed_resp) {
    log_.error("OCSP signing failed", {{"ca", ca->settings.id}, {"cause", signed_resp.error().cause}});
    return pki::ocsp_error_response(2);
  }
  if (cacheable) {
    seen.this_update = now_s;
    seen.response = *signed_resp;
    std::lock_guard lock(ocsp_mu_);
    if (ocsp_cache_.size() > 100'000) ocsp_cache_.clear();  // bound memory; entries are cheap to re-sign
    ocsp_cache_[cache_key] = std::move(seen);
  }
  return std::move(signed_resp).value();
}

Bytes CaService::timestamp(std::string_view ca_id, BytesView request) {
  const CaRuntime* ca = find(ca_id.empty() ? std::string_view(opts_.default_tsa) : ca_id);
  if (!ca) return pki::ts_rejection(pki::TsFailure::kBadRequest);
  auto req = pki::parse_ts_request(request, kTsaPolicy);
  if (!req) return pki::ts_rejection(pki::ts_failure_of(req.error()));
  pki::TsTemplate t{std::string(kTsaPolicy), new_serial(), clock_.now(), ca->tsa_cert, ca->tsa_facts.issuer,
                    ca->tsa_facts.serial, {ca->issuing_cert}};
  auto r = pki::sign_timestamp(*req, t, *ca->tsa_signer);
  if (!r) {
    log_.error("time stamp signing failed", {{"ca", ca->settings.id}, {"cause", r.error().cause}});
    // systemFailure (25) is not in our enum; badRequest keeps clients from retrying blindly.
    return pki::ts_rejection(pki::TsFailure::kBadRequest);
  }
  return std::move(r).value();
}

Result<ValidationMaterial> CaService::validation_material(BytesView cert_der, bool refresh_crl) {
  CS_ASSIGN(auto facts, pki::read_certificate(cert_der));
  const CaRuntime* ca = nullptr;
  for (const auto& c : cas_) {
    if (c->issuing_name == facts.issuer) ca = c.get();
  }
  if (!ca) return not_found("ca_not_found", "no CA here issued this certificate");
  ValidationMaterial m;
  m.certs = {ca->issuing_cert, ca->root_cert, ca->ocsp_cert};
  if (refresh_crl) {
    CS_ASSIGN(m.crl, crl(ca->settings.id));
  } else {
    const std::int64_t now = clock_.now_unix();
    CS_ASSIGN(auto row, db_.read_value<std::optional<store::Row>>([&](store::Tx& tx) {
      return tx.query_one("SELECT crl, crl_next_update FROM pki_ca WHERE id = ?", {ca->settings.id});
    }));
    if (row && !row->is_null("crl") && !row->is_null("crl_next_update") && now < row->integer("crl_next_update")) {
      m.crl = row->blob("crl");
    }
  }
  const Bytes der(cert_der.begin(), cert_der.end());
  if (der != ca->tsa_cert && der != ca->ocsp_cert) {
    Bytes nonce;
    {
      std::lock_guard lock(rng_mu_);
      nonce = rng_.bytes(16);
    }
    CS_ASSIGN(Bytes request, docsign::ocsp_request(cert_der, ca->issuing_cert, nonce));
    m.ocsp = ocsp(ca->settings.id, request);
  }
  return m;
}

}  // namespace certseal::service::ca
