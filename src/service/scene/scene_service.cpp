#include "service/scene/scene_service.h"

#include <algorithm>
#include <thread>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "docsign/pades_cms.h"
#include "docsign/qr_image.h"
#include "pki/certificate.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"
#include "pki/login_assertion.h"
#include "service/account/validation.h"
#include "store/listener.h"

namespace certseal::service {
namespace {

constexpr std::size_t kMaxMessage = 1 << 20;

Error field(std::string_view name, std::string code, std::string msg) {
  return Error(ErrorKind::kInvalidArgument, "invalid_field", msg).with_field(std::string(name), std::move(code), msg);
}

bool valid_nonce(std::string_view n) {
  if (n.size() < 8 || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// The log's name for a completion of each QR scene (docs/LEDGER.md): 06 login, 13 document
// signing, 14 authorised decryption, 16 authorised encryption, 20 signing.
std::string scene_ledger_type(std::string_view scene) {
  if (scene == "06") return "scene.login";
  if (scene == "13") return "scene.sign_document";
  if (scene == "14") return "scene.decrypt";
  if (scene == "16") return "scene.encrypt";
  return "scene.sign";
}

bool open_status(std::string_view s) { return s == "pending" || s == "claimed"; }

nlohmann::json opt(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

std::string url_target(const std::string& url) {
  std::size_t scheme = url.find("://");
  std::size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

// The certificate a completion names, if the account holds it now.
struct HeldCert {
  std::string key_id, org_id;
  Bytes der;
};

// Whether the envelope (scene 14) is addressed to this certificate (issuer and serial).
bool is_recipient(BytesView envelope, BytesView certificate) {
  auto e = pki::cms::parse_enveloped(envelope);
  auto f = pki::read_certificate(certificate);
  return e && f && e->recipient_issuer == f->issuer && e->recipient_serial == f->serial;
}

}  // namespace

SecretBytes scene_token_key(BytesView master_key) {
  const Bytes k = crypto::hmac_sm3(master_key, as_bytes("CertSeal scene token key v1"));
  return SecretBytes(k.begin(), k.end());
}

nlohmann::json SceneView::to_json() const {
  return {{"id", id},
          {"app_id", app_id},
          {"platform_id", platform_id},
          {"scene", scene},
          {"status", status},
          {"title", title},
          {"form", form},
          {"detached", detached},
          {"content_encryption", opt(content_encryption)},
          {"nonce", nonce},
          {"message_sha256", message.empty() ? nlohmann::json(nullptr)
                                             : nlohmann::json(hex_encode(crypto::sha256(message)))},
          {"required_certificate_id", opt(required_certificate_id)},
          {"required_org_id", opt(required_org_id)},
          {"expires_at", format_rfc3339(sys_time_from_unix(expires_at))},
          {"created_at", created_at},
          {"claimed_at", opt(claimed_at)},
          {"finished_at", opt(finished_at)},
          {"certificate_id", opt(certificate_id)},
          {"document_hash", opt(document_hash)},
          {"placement", placement},
          {"seal_kinds", seal_kinds},
          {"pades_level", pades_level.empty() ? nlohmann::json(nullptr) : nlohmann::json(pades_level)},
          {"result", result}};
}

SceneService::SceneService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, RpAppService& apps,
                           OrderService& orders, CallbackSender& callbacks, SecretBytes token_key, SceneOptions opts)
    : db_(db),
      clock_(clock),
      rng_(rng),
      log_(log),
      apps_(apps),
      orders_(orders),
      callbacks_(callbacks),
      token_key_(std::move(token_key)),
      opts_(std::move(opts)) {}

SceneService::~SceneService() { stop_listener(); }

std::string SceneService::token_of(const std::string& id) const {
  return base64url_encode(crypto::hmac_sha256(token_key_, as_bytes("scene-token\n" + id)));
}

Result<SceneView> SceneService::load(store::Tx& tx, const std::string& id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM scene_requests WHERE id = ?", {id}));
  if (!r) return not_found("scene_request_not_found", "no such scene request");
  SceneView v;
  v.id = r->text("id");
  v.app_id = r->text("app_id");
  v.platform_id = r->text("platform_id");
  v.scene = r->text("scene");
  v.status = r->text("status");
  v.title = r->text("title");
  v.message = r->blob("message");
  auto o = nlohmann::json::parse(r->text("options"), nullptr, false);
  if (o.is_object()) {
    v.form = o.value("form", "rfc5652");
    v.detached = o.value("detached", false);
    if (v.scene == "16") v.content_encryption = o.value("content_encryption", "aes-256-gcm");
    if (o.contains("placement")) v.placement = o["placement"];
    if (o.contains("pades_level") && o["pades_level"].is_string()) v.pades_level = o["pades_level"].get<std::string>();
    if (o.contains("seal_kinds") && o["seal_kinds"].is_array()) {
      for (const auto& k : o["seal_kinds"]) {
        if (k.is_string()) v.seal_kinds.push_back(k.get<std::string>());
      }
    }
  }
  v.nonce = r->text("rp_nonce");
  v.required_certificate_id = r->text("required_certificate_id");
  v.required_org_id = r->text("required_org_id");
  v.expires_at = r->integer("expires_at");
  v.created_at = r->text("created_at");
  v.claimed_by = r->text("claimed_by");
  v.claimed_at = r->text("claimed_at");
  v.finished_at = r->text("finished_at");
  v.certificate_id = r->text("certificate_id");
  v.document_hash = r->text("document_hash");
  if (!r->is_null("result")) v.result = nlohmann::json::parse(r->text("result"), nullptr, false);
  if (open_status(v.status) && clock_.now_unix() >= v.expires_at) v.status = "expired";
  return v;
}

Result<SceneCreated> SceneService::created(const SceneView& v) {
  SceneCreated out;
  out.request = v;
  out.qr_payload = opts_.public_url + "/s/" + token_of(v.id);
  CS_ASSIGN(out.qr_png, docsign::qr_png(out.qr_payload));
  return out;
}

Result<SceneService::PreparedRequest> SceneService::prepare(const RpAppView& app, const SceneCreate& in) {
  if (std::find(app.scenes.begin(), app.scenes.end(), in.scene) == app.scenes.end()) {
    if (!is_scene_code(in.scene)) return field("scene", "unknown_scene", "scene codes are 06, 13, 14, 16 and 20");
    return permission_denied("scene_not_allowed", "this application may not create requests of this scene");
  }
  if (in.scene != "06" && in.scene != "20" && in.scene != "16" && in.scene != "14" && in.scene != "13") {
    return Error(ErrorKind::kFailedPrecondition, "scene_not_supported", "this scene is not available yet");
  }
  CS_TRY(validate_name(in.title, "title", 200));
  if (!valid_nonce(in.nonce)) return field("nonce", "invalid_nonce", "the nonce is 8-64 of A-Z a-z 0-9 - _");
  PreparedRequest p;
  p.in = in;  // 13: the document's bytes become the message
  if (in.scene == "13") {
    CS_TRY(check_document_request(app, p.in));
  }
  if (in.scene != "06" && in.scene != "13" && (in.message.empty() || in.message.size() > kMaxMessage)) {
    return field("message", "invalid_message", "scenes 16 and 20 need a message of 1 byte to 1 MiB");
  }
  if (in.scene == "06" && !in.message.empty()) return field("message", "unexpected", "scene 06 signs no message");
  if (in.scene == "14" && !pki::cms::parse_enveloped(in.message).ok()) {
    return field("message", "invalid_envelope",
                 "scene 14 needs a CMS EnvelopedData (SM2, RSA or P-256) or AuthEnvelopedData with AES-GCM (RSA or "
                 "P-256) to one certificate");
  }
  std::optional<pki::cms::ContentEncryption> encryption;
  if (!in.content_encryption.empty()) {
    if (in.scene != "16") {
      return field("content_encryption", "unexpected", "only scene 16 (authorised encryption) takes content_encryption");
    }
    encryption = pki::cms::content_encryption_from_name(in.content_encryption);
    if (!encryption) {
      return field("content_encryption", "unknown_content_encryption", "content_encryption is aes-256-gcm or aes-256-cbc");
    }
  }
  // Scene 20 may ask for the raw form: the bare signature over the message, no CMS around it.
  const bool raw = in.form == "raw";
  if (raw && in.scene != "20") return field("form", "raw_only_for_scene_20", "the raw form is for scene 20 only");
  auto form = pki::cms::form_from_name(raw ? "rfc5652" : in.form);
  if (!form) return field("form", "unknown_form", "the form is rfc5652, gmt0010 or (scene 20) raw");
  p.ttl_s = in.ttl_s == 0 ? opts_.default_ttl_s : in.ttl_s;
  if (p.ttl_s < 30 || p.ttl_s > opts_.max_ttl_s) {
    return field("expires_in", "out_of_range", "a request lives 30 seconds to " + std::to_string(opts_.max_ttl_s));
  }
  if (in.client_request_id.size() > 80) return field("Idempotency-Key", "too_long", "at most 80 characters");
  p.options = {{"form", raw ? std::string("raw") : std::string(pki::cms::form_name(*form))},
               {"detached", in.scene == "20" && in.detached && !raw}};
  if (in.scene == "16") {
    p.options["content_encryption"] =
        pki::cms::content_encryption_name(encryption.value_or(pki::cms::ContentEncryption::kAesGcm));
  }
  if (in.scene == "13") {
    p.options["placement"] = p.in.placement;
    p.options["seal_kinds"] = p.in.seal_kinds;
    p.options["pades_level"] = p.in.pades_level.empty() ? "B-T" : p.in.pades_level;
  }
  return p;
}

Result<SceneView> SceneService::insert(store::Tx& tx, const RpAppView& app, const PreparedRequest& p) {
  const SceneCreate& in = p.in;
  if (!in.client_request_id.empty()) {
    CS_ASSIGN(auto before, tx.query_one("SELECT id FROM scene_requests WHERE app_id = ? AND client_request_id = ?",
                                        {app.id, in.client_request_id}));
    if (before) return load(tx, before->text("id"));
  }
  std::string id;
  {
    std::lock_guard lock(rng_mu_);
    id = new_uuid_v7(clock_, rng_);
  }
  const std::int64_t now = clock_.now_unix();
  CS_TRY(tx.exec("INSERT INTO scene_requests (id, app_id, platform_id, scene, token_hash, status, title, message, "
                 "options, rp_nonce, required_certificate_id, required_org_id, client_request_id, expires_at, "
                 "created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {id, app.id, app.platform_id, in.scene, hex_encode(crypto::sha256(as_bytes(token_of(id)))), in.title,
                  in.message.empty() ? store::Value() : store::Value(in.message), p.options.dump(), in.nonce,
                  in.required_certificate_id.empty() ? store::Value() : store::Value(in.required_certificate_id),
                  in.required_org_id.empty() ? store::Value() : store::Value(in.required_org_id),
                  in.client_request_id.empty() ? store::Value() : store::Value(in.client_request_id), now + p.ttl_s,
                  format_rfc3339_ms(clock_.now())}));
  return load(tx, id);
}

Result<SceneCreated> SceneService::create(const RpAppView& app, const SceneCreate& in) {
  CS_ASSIGN(auto prepared, prepare(app, in));
  CS_ASSIGN(auto view, db_.write_value<SceneView>([&](store::Tx& tx) { return insert(tx, app, prepared); }));
  return created(view);
}

Result<std::vector<SceneCreated>> SceneService::create_batch(const RpAppView& app, const std::vector<SceneCreate>& in) {
  if (in.empty() || in.size() > kMaxBatch) {
    return field("requests", "out_of_range", "a batch holds 1 to " + std::to_string(kMaxBatch) + " requests");
  }
  std::vector<PreparedRequest> prepared;
  prepared.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto p = prepare(app, in[i]);
    if (!p.ok()) {
      Error e = std::move(p).error();
      for (auto& f : e.fields) f.field = "requests[" + std::to_string(i) + "]." + f.field;
      if (e.fields.empty()) e.message += " (requests[" + std::to_string(i) + "])";
      return e;
    }
    prepared.push_back(std::move(p).value());
  }
  CS_ASSIGN(auto views, db_.write_value<std::vector<SceneView>>([&](store::Tx& tx) -> Result<std::vector<SceneView>> {
    std::vector<SceneView> out;
    out.reserve(prepared.size());
    for (const auto& p : prepared) {
      CS_ASSIGN(auto v, insert(tx, app, p));
      out.push_back(std::move(v));
    }
    return out;
  }));
  std::vector<SceneCreated> out;
  out.reserve(views.size());
  for (const auto& v : views) {
    CS_ASSIGN(auto c, created(v));
    out.push_back(std::move(c));
  }
  return out;
}

Result<SceneView> SceneService::get(const RpAppView& app, const std::string& id, std::int64_t wait_ms) {
  wait_ms = std::clamp<std::int64_t>(wait_ms, 0, opts_.max_wait_ms);
  bool counted = false;
  if (wait_ms > 0) {
    std::lock_guard lock(wait_mu_);
    if (waiters_ < opts_.max_waiters) {
      ++waiters_;
      counted = true;
    }
  }
  struct Release {
    SceneService* s;
    bool on;
    ~Release() {
      if (!on) return;
      std::lock_guard lock(s->wait_mu_);
      --s->waiters_;
    }
  } release{this, counted};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  const std::int64_t recheck = db_.engine() == store::Engine::kPostgres ? opts_.pg_recheck_ms : opts_.sqlite_recheck_ms;
  for (;;) {
    std::uint64_t gen;
    {
      std::lock_guard lock(wait_mu_);
      gen = generation_;
    }
    CS_ASSIGN(auto v, db_.read_value<SceneView>([&](store::Tx& tx) { return load(tx, id); }));
    if (v.app_id != app.id) return not_found("scene_request_not_found", "no such scene request");
    if (!open_status(v.status) || !counted || std::chrono::steady_clock::now() >= deadline || stop_) return v;
    std::unique_lock lock(wait_mu_);
    auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(recheck));
    wait_cv_.wait_until(lock, until, [&] { return generation_ != gen || stop_; });
  }
}

Result<SceneClaim> SceneService::claim(const std::string& account_id, const std::string& token) {
  if (token.empty() || token.size() > 100) return not_found("scene_token_invalid", "this QR code is not valid");
  const std::string hash = hex_encode(crypto::sha256(as_bytes(token)));
  CS_ASSIGN(auto view, db_.write_value<SceneView>([&](store::Tx& tx) -> Result<SceneView> {
    CS_ASSIGN(auto row, tx.query_one("SELECT id FROM scene_requests WHERE token_hash = ?", {hash}));
    if (!row) return not_found("scene_token_invalid", "this QR code is not valid");
    CS_ASSIGN(auto v, load(tx, row->text("id")));
    if (v.status == "expired") return conflict("scene_request_expired", "this request has expired");
    if (v.status == "completed" || v.status == "refused") {
      return conflict("scene_request_finished", "this request has been answered already");
    }
    if (v.status == "claimed" && v.claimed_by != account_id) {
      return conflict("scene_token_used", "this QR code has been used already");
    }
    if (v.status == "pending") {
      CS_ASSIGN(auto n, tx.exec("UPDATE scene_requests SET status = 'claimed', claimed_by = ?, claimed_at = ? "
                                "WHERE id = ? AND status = 'pending'",
                                {account_id, format_rfc3339_ms(clock_.now()), v.id}));
      if (n != 1) return conflict("scene_token_used", "this QR code has been used already");
    }
    return load(tx, v.id);
  }));
  SceneClaim out;
  out.request = view;
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) -> Result<store::Rows> {
    CS_ASSIGN(auto names, tx.query_one("SELECT a.name AS app_name, t.name AS platform_name FROM rp_apps a "
                                       "JOIN trading_platforms t ON t.id = a.platform_id WHERE a.id = ?",
                                       {view.app_id}));
    if (names) {
      out.app_name = names->text("app_name");
      out.platform_name = names->text("platform_name");
    }
    return tx.query("SELECT ac.certificate_id, ac.key_id, ac.org_id, c.serial, c.subject, c.der "
                    "FROM account_certificates ac JOIN pki_certificate c ON c.id = ac.certificate_id "
                    "WHERE ac.account_id = ? AND ac.current = 1 AND c.status = 'valid' AND c.not_after > ? "
                    "ORDER BY ac.created_at DESC",
                    {account_id, clock_.now_unix()});
  }));
  // Organisation certificates this account may use here through a live grant (docs/GRANTS.md).
  std::vector<GrantedCertificate> granted;
  if (grants_ != nullptr) {
    CS_ASSIGN(granted, db_.read_value<std::vector<GrantedCertificate>>([&](store::Tx& tx) {
      return grants_->granted_certificates(tx, account_id, view.platform_id);
    }));
  }
  for (const auto& g : granted) {
    SceneCertificateChoice c;
    c.certificate_id = g.certificate_id;
    c.key_id = g.key_id;
    c.org_id = g.org_id;
    c.serial = g.serial;
    c.subject = g.subject;
    c.certificate_pem = pem_encode("CERTIFICATE", g.der);
    CS_ASSIGN(bool enabled, orders_.enabled_for(c.certificate_id, view.platform_id));
    if (!enabled) {
      c.reason = "certificate_not_enabled_for_platform";
    } else if (view.scene == "16") {
      c.reason = "grant_scene_not_supported";
    } else if (view.scene == "14" && !is_recipient(view.message, g.der)) {
      c.reason = "certificate_not_recipient";
    } else if ((!view.required_certificate_id.empty() && view.required_certificate_id != c.certificate_id) ||
               (!view.required_org_id.empty() && view.required_org_id != c.org_id)) {
      c.reason = "certificate_not_requested";
    } else {
      c.enabled = true;
    }
    out.certificates.push_back(std::move(c));
  }
  // Certificates of others this account may use through a delegation (the cloud key's).
  std::vector<DelegatedSceneCertificate> delegated;
  if (cert_gate_ != nullptr) {
    CS_ASSIGN(delegated, db_.read_value<std::vector<DelegatedSceneCertificate>>([&](store::Tx& tx) {
      return cert_gate_->delegated_certificates(tx, account_id, view.app_id);
    }));
  }
  for (const auto& d : delegated) {
    SceneCertificateChoice c;
    c.certificate_id = d.certificate_id;
    c.key_id = d.key_id;
    c.serial = d.serial;
    c.subject = d.subject;
    c.certificate_pem = pem_encode("CERTIFICATE", d.der);
    if (view.scene == "13" || view.scene == "16") {
      c.reason = "delegation_scene_not_supported";
    } else if (view.scene == "14" && !is_recipient(view.message, d.der)) {
      c.reason = "certificate_not_recipient";
    } else if (!view.required_certificate_id.empty() && view.required_certificate_id != c.certificate_id) {
      c.reason = "certificate_not_requested";
    } else {
      c.enabled = true;
    }
    out.certificates.push_back(std::move(c));
  }
  for (const auto& r : rows) {
    SceneCertificateChoice c;
    c.certificate_id = r.text("certificate_id");
    c.key_id = r.text("key_id");
    c.org_id = r.text("org_id");
    c.serial = r.text("serial");
    c.subject = r.text("subject");
    c.certificate_pem = pem_encode("CERTIFICATE", r.blob("der"));
    std::optional<bool> governed;
    if (cert_gate_ != nullptr) {
      CS_ASSIGN(governed, db_.read_value<std::optional<bool>>([&](store::Tx& tx) {
        return cert_gate_->allows_app(tx, c.certificate_id, view.app_id);
      }));
    }
    bool enabled = governed.value_or(false);
    if (!governed) {
      CS_ASSIGN(enabled, orders_.enabled_for(c.certificate_id, view.platform_id));
    }
    if (!enabled) {
      c.reason = governed ? "app_not_allowed" : "certificate_not_enabled_for_platform";
    } else if (view.scene == "14" && !is_recipient(view.message, r.blob("der"))) {
      c.reason = "certificate_not_recipient";
    } else if ((!view.required_certificate_id.empty() && view.required_certificate_id != c.certificate_id) ||
               (!view.required_org_id.empty() && view.required_org_id != c.org_id)) {
      c.reason = "certificate_not_requested";
    } else {
      c.enabled = true;
    }
    out.certificates.push_back(std::move(c));
  }
  if (view.scene == "13") {
    CS_ASSIGN(out.seals, db_.read_value<nlohmann::json>([&](store::Tx& tx) -> Result<nlohmann::json> {
      return seals_for(tx, account_id, view);
    }));
  }
  return out;
}

Result<SceneView> SceneService::complete(const std::string& account_id, const std::string& id,
                                         const SceneCompletion& c) {
  return finish(account_id, id, &c, "");
}

Result<SceneView> SceneService::refuse(const std::string& account_id, const std::string& id, const std::string& reason) {
  if (reason.size() > 200) return field("reason", "too_long", "at most 200 bytes");
  return finish(account_id, id, nullptr, reason);
}

Result<SceneView> SceneService::finish(const std::string& account_id, const std::string& id, const SceneCompletion* c,
                                       const std::string& refusal_reason) {
  // enabled_for reads on its own; the request and the certificate are checked again below in
  // the completing transaction.
  std::optional<bool> enabled;
  if (c) {
    CS_ASSIGN(auto v, db_.read_value<SceneView>([&](store::Tx& tx) { return load(tx, id); }));
    CS_ASSIGN(enabled, orders_.enabled_for(c->certificate_id, v.platform_id));
  }
  std::optional<Error> refusal;  // committed with its usage record, then returned
  CS_ASSIGN(auto view, db_.write_value<SceneView>([&](store::Tx& tx) -> Result<SceneView> {
    CS_ASSIGN(auto v, load(tx, id));
    if (v.claimed_by != account_id) return not_found("scene_request_not_found", "no such scene request");
    if (v.status == "expired") return conflict("scene_request_expired", "this request has expired");
    if (v.status != "claimed") return conflict("scene_request_finished", "this request has been answered already");
    const std::string now_text = format_rfc3339_ms(clock_.now());
    std::string status = "refused", cert_id, doc_hash;
    nlohmann::json result = {{"reason", refusal_reason}};
    std::optional<HeldCert> held;
    if (c) {
      CS_ASSIGN(auto row, tx.query_one("SELECT ac.key_id, ac.org_id, c.der FROM account_certificates ac "
                                       "JOIN pki_certificate c ON c.id = ac.certificate_id "
                                       "WHERE ac.certificate_id = ? AND ac.account_id = ?",
                                       {c->certificate_id, account_id}));
      bool granted = false;
      std::optional<DelegatedSceneCertificate> delegated;
      if (!row && cert_gate_ != nullptr && v.scene != "13" && v.scene != "16") {
        // A certificate used through a delegation: the two-party step of this request counted it.
        CS_ASSIGN(delegated, cert_gate_->delegated_use(tx, account_id, "scene " + v.scene + " " + v.id,
                                                       c->certificate_id));
      }
      if (row) {
        held = HeldCert{row->text("key_id"), row->text("org_id"), row->blob("der")};
      } else if (delegated) {
        held = HeldCert{delegated->key_id, "", delegated->der};
      } else if (grants_ != nullptr) {
        // An organisation certificate used through a grant: the two-party step of this request
        // counted a use (GrantGate::use); without it there is nothing to complete.
        auto use = grants_->scene_use(tx, account_id, v.id, c->certificate_id);
        if (!use) {
          if (use.error().kind == ErrorKind::kInternal) return std::move(use).error();
          return not_found("certificate_not_found", "no such certificate");
        }
        held = HeldCert{use->key_id, use->org_id, use->der};
        granted = true;
      } else {
        return not_found("certificate_not_found", "no such certificate");
      }
      cert_id = c->certificate_id;
      auto usage = [&](const std::string& result_code) -> Status {
        std::string ev;
        {
          std::lock_guard lock(rng_mu_);
          ev = new_uuid_v7(clock_, rng_);
        }
        CS_TRY(tx.exec("INSERT INTO shield_events (id, key_id, account_id, device_id, operation, purpose, result, at, "
                       "certificate_id, platform_id, scene, document_hash) VALUES (?, ?, ?, '', 'scene', ?, ?, ?, ?, "
                       "?, ?, ?)",
                       {ev, held->key_id, account_id, "scene " + v.scene + " " + v.id, result_code, now_text,
                        cert_id, v.platform_id, v.scene, doc_hash.empty() ? store::Value() : store::Value(doc_hash)}));
        if (granted) CS_TRY(grants_->finish_scene_use(tx, v.id, doc_hash, result_code));
        auto entry = ledger::LedgerEvent(scene_ledger_type(v.scene))
                         .by(account_id)
                         .of(account_id)
                         .on(held->key_id)
                         .cert(cert_id)
                         .at_platform(v.platform_id)
                         .in_scene(v.id)
                         .doc(doc_hash)
                         .outcome(result_code)
                         .with("qr_scene", v.scene);
        if (granted) entry.with("granted", true).with("org", held->org_id);
        return ledger::record(ledger_, tx, entry);
      };
      auto refuse_with = [&](Error e) -> Result<SceneView> {
        CS_TRY(usage(e.code));
        refusal = std::move(e);
        return v;
      };
      // A certificate another area governs (a cloud key tenant's): its verdict, now, in this
      // transaction, replaces the platform rule.
      std::optional<bool> governed;
      if (cert_gate_ != nullptr && !granted) {
        CS_ASSIGN(governed, cert_gate_->allows_app(tx, cert_id, v.app_id));
      }
      if (governed && !*governed) {
        return refuse_with(permission_denied("app_not_allowed",
                                             "this certificate's tenant does not allow this application"));
      }
      if (!governed && (!enabled || !*enabled)) {
        return refuse_with(permission_denied("certificate_not_enabled_for_platform",
                                             "this certificate is not enabled for this platform (buy mutual "
                                             "recognition to use it here)"));
      }
      if ((!v.required_certificate_id.empty() && v.required_certificate_id != cert_id) ||
          (!v.required_org_id.empty() && v.required_org_id != held->org_id)) {
        return refuse_with(permission_denied("certificate_not_requested",
                                             "the relying party asked for another certificate"));
      }
      const std::int64_t now = clock_.now_unix();
      if (v.scene == "14") {
        // Authorised decryption: the device unwrapped the content key through the two-party
        // protocol after the user confirmed; it must open this envelope, to this certificate.
        if (!is_recipient(v.message, held->der)) {
          return refuse_with(permission_denied("certificate_not_recipient", "the envelope is not for this certificate"));
        }
        auto env = pki::cms::parse_enveloped(v.message);
        if (!env) return internal_error("a stored envelope does not parse");
        doc_hash = hex_encode(crypto::sha256(v.message));
        auto plain = pki::cms::open_content(*env, c->content_key);
        if (c->content_key.size() != env->content_key_size) {
          return refuse_with(permission_denied("content_key_invalid", "the content key does not open the envelope"));
        }
        if (!plain && env->authenticated) {
          // AuthEnvelopedData: the GCM tag did not verify over the content (and authAttrs); the
          // envelope was altered or the key is not its key. Nothing of the content is released.
          return refuse_with(permission_denied("envelope_not_authentic",
                                               "the envelope's authentication tag does not verify"));
        }
        if (!plain) {
          return refuse_with(permission_denied("content_key_invalid", "the content key does not open the envelope"));
        }
        status = "completed";
        result = {{"content", base64_encode(*plain)},
                  {"content_sha256", hex_encode(crypto::sha256(*plain))},
                  {"certificate_id", cert_id},
                  {"certificate", pem_encode("CERTIFICATE", held->der)}};
        CS_TRY(usage("ok"));
        return finish_tx(tx, v, status, now_text, cert_id, doc_hash, result);
      }
      if (v.scene == "16") {
        // Authorised encryption: the user chose the certificate and confirmed; no key is used.
        auto form16 = pki::cms::form_from_name(v.form);
        if (!form16) return internal_error("stored form " + v.form);
        Bytes env;
        {
          std::lock_guard lock(rng_mu_);
          auto enc = pki::cms::content_encryption_from_name(v.content_encryption);
          CS_ASSIGN(env, pki::cms::enveloped_data(*form16, held->der, v.message, rng_,
                                                  enc.value_or(pki::cms::ContentEncryption::kAesGcm)));
        }
        auto f16 = pki::read_certificate(held->der);
        if (!f16) return internal_error("a held certificate does not parse");
        doc_hash = hex_encode(crypto::sha256(v.message));
        status = "completed";
        result = {{"cms", base64_encode(env)},
                  {"certificate_id", cert_id},
                  {"certificate", pem_encode("CERTIFICATE", held->der)},
                  {"serial", hex_encode(f16->serial)},
                  {"subject", pki::name_text(f16->subject)},
                  {"org_id", opt(held->org_id)}};
        CS_TRY(usage("ok"));
        return finish_tx(tx, v, status, now_text, cert_id, doc_hash, result);
      }
      if (c->signature.empty()) return field("signature", "required", "this scene needs the signature");
      if (c->signing_time < now - opts_.signing_time_skew_s || c->signing_time > now + opts_.signing_time_skew_s) {
        return field("signing_time", "signing_time_out_of_window", "the signing time is too far from now");
      }
      if (v.scene == "13") {
        CS_ASSIGN(auto outcome, complete_document(tx, v, account_id, *c, held->der));
        doc_hash = outcome.doc_hash;
        if (outcome.refused) return refuse_with(std::move(*outcome.refused));
        status = "completed";
        result = std::move(outcome.result);
        result["org_id"] = opt(held->org_id);
        CS_TRY(usage("ok"));
        return finish_tx(tx, v, status, now_text, cert_id, doc_hash, result);
      }
      const bool raw = v.form == "raw";  // scene 20 only (prepare)
      auto form = pki::cms::form_from_name(raw ? "rfc5652" : v.form);
      if (!form) return internal_error("stored form " + v.form);
      Bytes content = v.message;
      if (v.scene == "06") {
        CS_ASSIGN(content, pki::login_assertion({v.id, v.app_id, v.platform_id, v.nonce, cert_id,
                                                 held->org_id.empty() ? std::nullopt : std::optional(held->org_id),
                                                 held->der, c->signing_time}));
      }
      auto facts = pki::read_certificate(held->der);
      if (!facts) return internal_error("a held certificate does not parse");
      auto key = crypto::PublicKey::from_spki_der(facts->spki);
      if (!key) return internal_error("a held certificate's key does not parse");
      const pki::SigAlg alg = pki::sig_alg_for(key->type());
      const SysTime signing_time = sys_time_from_unix(c->signing_time);
      // International certificates sign in the RFC 5652 form whatever was asked (cms_signed.h).
      if (alg != pki::SigAlg::kSm2Sm3) *form = pki::cms::Form::kRfc5652;
      doc_hash = hex_encode(crypto::sha256(content));
      if (raw) {
        // The raw form: the device signed the message itself (SM2 with the default ID over SM3,
        // ECDSA or RSA PKCS#1 v1.5 over SHA-256); the signing time is the device's claim only.
        if (!pki::verify_signature(facts->spki, alg, content, c->signature)) {
          return refuse_with(permission_denied("scene_signature_invalid", "the signature does not verify"));
        }
        status = "completed";
        result = {{"form", "raw"},
                  {"signature", base64_encode(c->signature)},
                  {"algorithm", std::string(pki::sig_alg_name(alg))},
                  {"content_sha256", doc_hash},
                  {"certificate_id", cert_id},
                  {"certificate", pem_encode("CERTIFICATE", held->der)},
                  {"serial", hex_encode(facts->serial)},
                  {"subject", pki::name_text(facts->subject)},
                  {"org_id", opt(held->org_id)}};
        CS_TRY(usage("ok"));
        return finish_tx(tx, v, status, now_text, cert_id, doc_hash, result);
      }
      Bytes attrs = pki::cms::signed_attributes(*form, pki::digest_alg(alg), content, signing_time);
      if (!pki::verify_signature(facts->spki, alg, attrs, c->signature)) {
        return refuse_with(permission_denied("scene_signature_invalid", "the signature does not verify"));
      }
      // With the platform's TSA, the signature value is time-stamped (RFC 3161 token as the
      // unsigned id-aa-timeStampToken attribute): the relying party learns when, not only the
      // signer's claimed signing time.
      std::optional<Bytes> token;
      if (document_tsa_) {
        Bytes nonce;
        {
          std::lock_guard lock(rng_mu_);
          nonce = rng_.bytes(8);
        }
        const Bytes ts_req = docsign::pades::timestamp_request(pki::digest_alg(alg), c->signature, nonce);
        CS_ASSIGN(token, docsign::pades::token_from_response(document_tsa_(ts_req)));
      }
      CS_ASSIGN(auto cms, pki::cms::signed_data({*form, alg, held->der, content, v.scene == "20" && v.detached,
                                                 signing_time, c->signature, token}));
      status = "completed";
      result = {{"cms", base64_encode(cms)},
                {"signature", base64_encode(c->signature)},
                {"signed_attributes", base64_encode(attrs)},
                {"signing_time", format_rfc3339(signing_time)},
                {"certificate_id", cert_id},
                {"certificate", pem_encode("CERTIFICATE", held->der)},
                {"serial", hex_encode(facts->serial)},
                {"subject", pki::name_text(facts->subject)},
                {"org_id", opt(held->org_id)}};
      if (v.scene == "06") result["assertion"] = nlohmann::json::parse(to_string(content), nullptr, false);
      CS_TRY(usage("ok"));
    }
    if (!c) {
      // The holder declined the request: no certificate was used, but the answer is theirs.
      CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("scene.decline")
                                             .by(account_id)
                                             .of(account_id)
                                             .on(v.id)
                                             .at_platform(v.platform_id)
                                             .in_scene(v.id)
                                             .with("qr_scene", v.scene)));
    }
    return finish_tx(tx, v, status, now_text, cert_id, doc_hash, result);
  }));
  if (refusal) return std::move(*refusal);
  wake();
  return view;
}

Result<SceneView> SceneService::finish_tx(store::Tx& tx, const SceneView& v, const std::string& status,
                                          const std::string& now_text, const std::string& cert_id,
                                          const std::string& doc_hash, const nlohmann::json& result) {
  CS_ASSIGN(auto n, tx.exec("UPDATE scene_requests SET status = ?, finished_at = ?, certificate_id = ?, "
                            "document_hash = ?, result = ? WHERE id = ? AND status = 'claimed'",
                            {status, now_text, cert_id.empty() ? store::Value() : store::Value(cert_id),
                             doc_hash.empty() ? store::Value() : store::Value(doc_hash), result.dump(), v.id}));
  if (n != 1) return conflict("scene_request_finished", "this request has been answered already");
  CS_ASSIGN(auto done, load(tx, v.id));
  CS_TRY(queue_callback(tx, done));
  CS_TRY(store::notify(tx, kSceneChannel, done.id));
  return done;
}

Status SceneService::queue_callback(store::Tx& tx, const SceneView& v) {
  std::string event_id;
  {
    std::lock_guard lock(rng_mu_);
    event_id = new_uuid_v7(clock_, rng_);
  }
  nlohmann::json body = {{"event_id", event_id},
                         {"type", "scene_request." + v.status},
                         {"created_at", format_rfc3339_ms(clock_.now())},
                         {"request", v.to_json()}};
  CS_TRY(tx.exec("INSERT INTO scene_callbacks (event_id, request_id, app_id, body, status, attempts, next_at, "
                 "created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
                 {event_id, v.id, v.app_id, body.dump(), clock_.now_unix(), format_rfc3339_ms(clock_.now())}));
  return {};
}

Result<int> SceneService::deliver_callbacks() {
  // Batches of 20 until none is due (at most 50 batches a call, so a stop is not held up long).
  int total = 0;
  for (int batch = 0; batch < 50; ++batch) {
    int attempted = 0;
    CS_ASSIGN(int n, deliver_batch(&attempted));
    total += n;
    if (attempted < 20) break;
  }
  return total;
}

Result<int> SceneService::deliver_batch(int* attempted) {
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto due, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT event_id, app_id, body, attempts, next_at FROM scene_callbacks "
                    "WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT 20",
                    {now});
  }));
  int delivered = 0;
  *attempted = static_cast<int>(due.size());
  for (const auto& row : due) {
    const std::string event_id = row.text("event_id");
    // A lease, so another process does not send the same event at the same time.
    CS_ASSIGN(auto mine, db_.write_value<std::int64_t>([&](store::Tx& tx) {
      return tx.exec("UPDATE scene_callbacks SET next_at = ? WHERE event_id = ? AND next_at = ? AND status = 'pending'",
                     {now + 60, event_id, row.integer("next_at")});
    }));
    if (mine != 1) continue;
    const std::int64_t attempts = row.integer("attempts") + 1;
    std::string error;
    std::optional<std::int64_t> http_status;
    std::string url;
    auto app = apps_.get(row.text("app_id"));
    auto secret = apps_.secret(row.text("app_id"));
    if (app) url = app->callback_url;
    if (!app || !secret) {
      error = "application not found";
    } else if (app->status != "active") {
      error = "application disabled";
    } else {
      const std::string body = row.text("body");
      std::string auth = rp_authorization(kRpSchemeSha256, app->id, *secret, "POST", url_target(app->callback_url),
                                          body, clock_.now_unix(), event_id);
      auto status = callbacks_.post(app->callback_url,
                                    {{"Content-Type", "application/json"},
                                     {"X-CertSeal-Event-Id", event_id},
                                     {"X-CertSeal-Signature", auth}},
                                    body);
      if (!status) error = status.error().cause.empty() ? status.error().message : status.error().cause;
      else http_status = *status;
      if (status && (*status < 200 || *status > 299)) error = "HTTP " + std::to_string(*status);
    }
    CS_TRY(db_.write([&](store::Tx& tx) -> Status {
      const std::string at = format_rfc3339_ms(clock_.now());
      auto record = [&](std::optional<std::int64_t> next_at) -> Status {
        CS_TRY(tx.exec("INSERT INTO scene_callback_attempts (event_id, attempt, app_id, url, http_status, error, "
                       "attempted_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       {event_id, attempts, row.text("app_id"), url,
                        http_status ? store::Value(*http_status) : store::Value(),
                        error.empty() ? store::Value() : store::Value(error.substr(0, 300)), at,
                        next_at ? store::Value(*next_at) : store::Value()}));
        return {};
      };
      if (error.empty()) {
        CS_TRY(tx.exec("UPDATE scene_callbacks SET status = 'delivered', attempts = ?, delivered_at = ?, "
                       "last_error = NULL WHERE event_id = ?",
                       {attempts, at, event_id}));
        return record(std::nullopt);
      }
      const bool give_up = attempts >= opts_.callback_max_attempts;
      std::int64_t wait = opts_.callback_backoff_s << std::min<std::int64_t>(attempts - 1, 20);
      wait = std::min<std::int64_t>(wait, 3600);
      const std::int64_t next_at = clock_.now_unix() + wait;
      CS_TRY(tx.exec("UPDATE scene_callbacks SET status = ?, attempts = ?, next_at = ?, last_error = ? "
                     "WHERE event_id = ?",
                     {give_up ? "failed" : "pending", attempts, next_at, error.substr(0, 300), event_id}));
      return record(give_up ? std::nullopt : std::optional<std::int64_t>(next_at));
    }));
    if (error.empty()) {
      ++delivered;
    } else {
      log_.warn("scene callback failed", {{"event_id", event_id}, {"attempt", attempts}, {"error", error}});
    }
  }
  return delivered;
}

Result<std::vector<CallbackAttemptView>> SceneService::callback_attempts(const std::string& app_id, int limit) {
  if (limit < 1 || limit > 200) return field("limit", "out_of_range", "1 to 200");
  CS_TRY(apps_.get(app_id));  // rp_app_not_found
  return db_.read_value<std::vector<CallbackAttemptView>>([&](store::Tx& tx) -> Result<std::vector<CallbackAttemptView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT a.event_id, a.attempt, a.url, a.http_status, a.error, a.attempted_at, "
                                  "a.next_at, c.request_id, c.status, c.body FROM scene_callback_attempts a "
                                  "JOIN scene_callbacks c ON c.event_id = a.event_id WHERE a.app_id = ? "
                                  "ORDER BY a.attempted_at DESC, a.event_id DESC, a.attempt DESC LIMIT ?",
                                  {app_id, static_cast<std::int64_t>(limit)}));
    std::vector<CallbackAttemptView> out;
    for (const auto& r : rows) {
      CallbackAttemptView v;
      v.event_id = r.text("event_id");
      v.attempt = r.integer("attempt");
      v.url = r.text("url");
      if (!r.is_null("http_status")) v.http_status = r.integer("http_status");
      v.error = r.is_null("error") ? "" : r.text("error");
      v.attempted_at = r.text("attempted_at");
      if (!r.is_null("next_at")) v.next_at = r.integer("next_at");
      v.request_id = r.text("request_id");
      v.event_status = r.text("status");
      auto body = nlohmann::json::parse(r.text("body"), nullptr, false);
      if (body.is_object() && body.contains("type") && body["type"].is_string()) v.event_type = body["type"];
      out.push_back(std::move(v));
    }
    return out;
  });
}

void SceneService::wake() {
  {
    std::lock_guard lock(wait_mu_);
    ++generation_;
  }
  wait_cv_.notify_all();
}

void SceneService::run_listener(const std::string& pg_url) {
  while (!stop_) {
    auto l = store::open_pg_listener(pg_url, std::string(kSceneChannel));
    if (!l) {
      log_.warn("scene listener cannot connect", {{"cause", l.error().cause}});
      std::unique_lock lock(wait_mu_);
      wait_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_.load(); });
      continue;
    }
    wake();  // anything missed while disconnected is read again by the waiters
    while (!stop_) {
      std::vector<std::string> got;
      if (Status s = (*l)->wait(std::chrono::milliseconds(250), &got); !s) break;
      if (!got.empty()) wake();
    }
  }
}

void SceneService::stop_listener() {
  stop_ = true;
  wake();
}

}  // namespace certseal::service
