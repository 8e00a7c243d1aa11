#include "service/scene/rp_apps.h"

#include <algorithm>
#include <charconv>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "net/client_address.h"
#include "service/account/validation.h"

namespace certseal::service {
namespace {

constexpr std::string_view kSceneCodes[] = {"06", "14", "16", "20"};

Error field(std::string_view name, std::string code, std::string msg) {
  return Error(ErrorKind::kInvalidArgument, "invalid_field", msg).with_field(std::string(name), std::move(code), msg);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

Error unauthenticated(std::string code, std::string msg) {
  return Error(ErrorKind::kUnauthenticated, std::move(code), std::move(msg));
}

bool valid_nonce(std::string_view n) {
  if (n.size() < 8 || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool valid_callback_url(std::string_view u) {
  if (u.size() > 500) return false;
  std::string_view rest;
  if (u.rfind("https://", 0) == 0) rest = u.substr(8);
  else if (u.rfind("http://", 0) == 0) rest = u.substr(7);
  else return false;
  if (rest.empty() || rest.front() == '/') return false;
  return std::none_of(u.begin(), u.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

struct ParsedAuth {
  std::string scheme, app_id, timestamp, nonce, signature;
};

// "CS1-HMAC-SHA256 app_id=a, timestamp=1, nonce=n, signature=hex"
Result<ParsedAuth> parse_authorization(std::string_view h) {
  auto malformed = [] {
    return unauthenticated("rp_signature_malformed",
                           "the Authorization header is not CS1-HMAC-SHA256/CS1-HMAC-SM3 with app_id, timestamp, "
                           "nonce and signature");
  };
  ParsedAuth p;
  std::size_t sp = h.find(' ');
  if (sp == std::string_view::npos) return malformed();
  p.scheme = std::string(h.substr(0, sp));
  if (p.scheme != kRpSchemeSha256 && p.scheme != kRpSchemeSm3) return malformed();
  std::string_view rest = h.substr(sp + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) break;
    std::size_t end = rest.find(',');
    std::string_view part = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return malformed();
    std::string_view k = part.substr(0, eq), v = part.substr(eq + 1);
    std::string* slot = k == "app_id"      ? &p.app_id
                        : k == "timestamp" ? &p.timestamp
                        : k == "nonce"     ? &p.nonce
                        : k == "signature" ? &p.signature
                                           : nullptr;
    if (!slot || !slot->empty()) return malformed();
    *slot = std::string(v);
  }
  if (p.app_id.empty() || p.timestamp.empty() || p.nonce.empty() || p.signature.empty()) return malformed();
  return p;
}

Bytes mac(std::string_view scheme, std::string_view key, std::string_view text) {
  auto alg = scheme == kRpSchemeSm3 ? crypto::HashAlg::kSm3 : crypto::HashAlg::kSha256;
  return crypto::hmac(alg, as_bytes(key), as_bytes(text));
}

}  // namespace

bool is_scene_code(std::string_view code) {
  return std::find(std::begin(kSceneCodes), std::end(kSceneCodes), code) != std::end(kSceneCodes);
}

std::string rp_string_to_sign(std::string_view scheme, std::string_view method, std::string_view target,
                              std::string_view timestamp, std::string_view nonce, std::string_view body_sha256_hex) {
  std::string s;
  for (std::string_view part : {scheme, method, target, timestamp, nonce}) {
    s += part;
    s += '\n';
  }
  s += body_sha256_hex;
  return s;
}

std::string rp_authorization(std::string_view scheme, const std::string& app_id, const std::string& secret,
                             std::string_view method, std::string_view target, std::string_view body,
                             std::int64_t timestamp, const std::string& nonce) {
  std::string ts = std::to_string(timestamp);
  std::string text = rp_string_to_sign(scheme, method, target, ts, nonce, hex_encode(crypto::sha256(as_bytes(body))));
  return std::string(scheme) + " app_id=" + app_id + ", timestamp=" + ts + ", nonce=" + nonce +
         ", signature=" + hex_encode(mac(scheme, secret, text));
}

SecretBytes rp_seal_key(BytesView master_key) {
  const Bytes k = crypto::hmac_sm3(master_key, as_bytes("CertSeal relying-party secret sealing key v1"));
  return SecretBytes(k.begin(), k.end());
}

RpAppService::RpAppService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SecretBytes seal_key,
                           RpAppOptions opts)
    : db_(db), clock_(clock), rng_(rng), log_(log), seal_key_(std::move(seal_key)), opts_(opts) {}

std::string RpAppService::new_secret() {
  std::lock_guard lock(rng_mu_);
  return base64url_encode(rng_.bytes(32));
}

Result<Bytes> RpAppService::seal_secret(const std::string& id, const std::string& secret) {
  std::lock_guard lock(rng_mu_);
  return crypto::sm4_aead_seal(seal_key_, as_bytes(secret), as_bytes("rp-secret\n" + id), rng_);
}

Result<std::string> RpAppService::open_secret(const std::string& id, BytesView sealed) {
  auto r = crypto::sm4_aead_open(seal_key_, sealed, as_bytes("rp-secret\n" + id));
  if (!r) return internal_error("a relying-party secret does not open (" + id + "): " + r.error().code);
  return std::string(r->begin(), r->end());
}

Result<RpAppView> RpAppService::load(store::Tx& tx, const std::string& id) {
  CS_ASSIGN(auto row, tx.query_one("SELECT id, name, platform_id, callback_url, scenes, ip_allow, status, "
                                   "secret_version, created_by, created_at, updated_at FROM rp_apps WHERE id = ?",
                                   {id}));
  if (!row) return not_found("rp_app_not_found", "no such relying-party application");
  RpAppView v;
  v.id = row->text("id");
  v.name = row->text("name");
  v.platform_id = row->text("platform_id");
  v.callback_url = row->text("callback_url");
  v.scenes = split(row->text("scenes"));
  v.ip_allow = split(row->text("ip_allow"));
  v.status = row->text("status");
  v.secret_version = row->integer("secret_version");
  v.created_by = row->text("created_by");
  v.created_at = row->text("created_at");
  v.updated_at = row->text("updated_at");
  return v;
}

Result<RpAppWithSecret> RpAppService::create(const std::string& operator_id, const RpAppInput& in) {
  CS_TRY(validate_name(in.name, "name", 64));
  if (!valid_callback_url(in.callback_url)) {
    return field("callback_url", "invalid_url", "the callback URL must be an http:// or https:// URL");
  }
  if (in.scenes.empty()) return field("scenes", "required", "name at least one scene code");
  std::vector<std::string> scenes = in.scenes;
  std::sort(scenes.begin(), scenes.end());
  scenes.erase(std::unique(scenes.begin(), scenes.end()), scenes.end());
  for (const auto& s : scenes) {
    if (!is_scene_code(s)) return field("scenes", "unknown_scene", "scene codes are 06, 14, 16 and 20");
  }
  for (const auto& a : in.ip_allow) {
    if (a.find(',') != std::string::npos || !net::TrustedProxies::parse(a).ok() || a.empty()) {
      return field("ip_allow", "invalid_address", "each entry is an IP address or a CIDR block");
    }
  }
  std::string id;
  {
    std::lock_guard lock(rng_mu_);
    id = "rp_" + hex_encode(rng_.bytes(10));
  }
  std::string secret = new_secret();
  CS_ASSIGN(auto sealed, seal_secret(id, secret));
  std::string now = format_rfc3339_ms(clock_.now());
  CS_ASSIGN(auto view, db_.write_value<RpAppView>([&](store::Tx& tx) -> Result<RpAppView> {
    CS_ASSIGN(auto p, tx.query_one("SELECT id FROM trading_platforms WHERE id = ?", {in.platform_id}));
    if (!p) return not_found("platform_not_found", "no such trading platform");
    CS_TRY(tx.exec("INSERT INTO rp_apps (id, name, platform_id, secret_enc, secret_version, callback_url, scenes, "
                   "ip_allow, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, 'active', ?, "
                   "?, ?)",
                   {id, in.name, in.platform_id, sealed, in.callback_url, join(scenes), join(in.ip_allow), operator_id,
                    now, now}));
    return load(tx, id);
  }));
  log_.info("relying-party app registered", {{"app_id", id}, {"operator", operator_id}});
  return RpAppWithSecret{std::move(view), std::move(secret)};
}

Result<std::vector<RpAppView>> RpAppService::list(const std::string& after, int limit) {
  return db_.read_value<std::vector<RpAppView>>([&](store::Tx& tx) -> Result<std::vector<RpAppView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT id FROM rp_apps WHERE id > ? ORDER BY id LIMIT ?", {after, limit + 1}));
    std::vector<RpAppView> out;
    for (const auto& r : rows) {
      CS_ASSIGN(auto v, load(tx, r.text("id")));
      out.push_back(std::move(v));
    }
    return out;
  });
}

Result<RpAppView> RpAppService::get(const std::string& id) {
  return db_.read_value<RpAppView>([&](store::Tx& tx) { return load(tx, id); });
}

Result<RpAppWithSecret> RpAppService::rotate_secret(const std::string& operator_id, const std::string& id) {
  std::string secret = new_secret();
  CS_ASSIGN(auto sealed, seal_secret(id, secret));
  CS_ASSIGN(auto view, db_.write_value<RpAppView>([&](store::Tx& tx) -> Result<RpAppView> {
    CS_ASSIGN(auto v, load(tx, id));
    if (v.status != "active") return conflict("rp_app_disabled", "this application is disabled");
    CS_TRY(tx.exec("UPDATE rp_apps SET secret_enc = ?, secret_version = secret_version + 1, updated_at = ? "
                   "WHERE id = ?",
                   {sealed, format_rfc3339_ms(clock_.now()), id}));
    return load(tx, id);
  }));
  log_.info("relying-party secret rotated", {{"app_id", id}, {"operator", operator_id}});
  return RpAppWithSecret{std::move(view), std::move(secret)};
}

Result<RpAppView> RpAppService::disable(const std::string& operator_id, const std::string& id) {
  CS_ASSIGN(auto view, db_.write_value<RpAppView>([&](store::Tx& tx) -> Result<RpAppView> {
    CS_ASSIGN(auto v, load(tx, id));
    if (v.status == "disabled") return v;
    CS_TRY(tx.exec("UPDATE rp_apps SET status = 'disabled', updated_at = ? WHERE id = ?",
                   {format_rfc3339_ms(clock_.now()), id}));
    return load(tx, id);
  }));
  log_.info("relying-party app disabled", {{"app_id", id}, {"operator", operator_id}});
  return view;
}

Result<std::string> RpAppService::secret(const std::string& app_id) {
  CS_ASSIGN(auto sealed, db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto row, tx.query_one("SELECT secret_enc FROM rp_apps WHERE id = ?", {app_id}));
    if (!row) return not_found("rp_app_not_found", "no such relying-party application");
    return row->blob("secret_enc");
  }));
  return open_secret(app_id, sealed);
}

Result<RpAppView> RpAppService::authenticate(const RpSignedRequest& req) {
  CS_ASSIGN(auto a, parse_authorization(req.authorization));
  std::int64_t ts = 0;
  auto [end, ec] = std::from_chars(a.timestamp.data(), a.timestamp.data() + a.timestamp.size(), ts);
  if (ec != std::errc() || end != a.timestamp.data() + a.timestamp.size() || !valid_nonce(a.nonce) ||
      a.app_id.size() > 64) {
    return parse_authorization("").error();  // the malformed error
  }
  const std::int64_t now = clock_.now_unix();
  if (ts < now - opts_.max_skew_s || ts > now + opts_.max_skew_s) {
    return unauthenticated("rp_timestamp_out_of_window",
                           "the request's timestamp is more than 5 minutes from the server's time");
  }
  auto bad_signature = [] { return unauthenticated("rp_signature_invalid", "the request signature does not verify"); };
  auto loaded = db_.read_value<std::pair<RpAppView, Bytes>>([&](store::Tx& tx) -> Result<std::pair<RpAppView, Bytes>> {
    CS_ASSIGN(auto v, load(tx, a.app_id));
    CS_ASSIGN(auto row, tx.query_one("SELECT secret_enc FROM rp_apps WHERE id = ?", {a.app_id}));
    if (!row) return not_found("rp_app_not_found", "no such application");
    return std::pair{std::move(v), row->blob("secret_enc")};
  });
  if (!loaded) {
    if (loaded.error().code == "rp_app_not_found") return bad_signature();
    return std::move(loaded).error();
  }
  // Not a structured binding: the nonce lambda below uses `app` (clang 14, the fuzz build, cannot
  // capture bindings).
  RpAppView& app = loaded->first;
  CS_ASSIGN(auto secret, open_secret(app.id, loaded->second));
  std::string text = rp_string_to_sign(a.scheme, req.method, req.target, a.timestamp, a.nonce,
                                       hex_encode(crypto::sha256(as_bytes(req.body))));
  Bytes want = mac(a.scheme, secret, text);
  auto got = hex_decode(a.signature);
  if (!got || !constant_time_equal(*got, want)) return bad_signature();
  if (app.status != "active") return permission_denied("rp_app_disabled", "this application is disabled");
  if (!app.ip_allow.empty()) {
    bool allowed = false;
    for (const auto& entry : app.ip_allow) {
      auto net = net::TrustedProxies::parse(entry);
      if (net && net->contains(req.remote_addr)) allowed = true;
    }
    if (!allowed) return permission_denied("rp_address_not_allowed", "requests from this address are not allowed");
  }
  // The nonce, kept until every timestamp it could go with is out of the window.
  CS_ASSIGN(auto fresh, db_.write_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto n, tx.exec("INSERT INTO rp_nonces (app_id, nonce, expires_at) VALUES (?, ?, ?) "
                              "ON CONFLICT (app_id, nonce) DO NOTHING",
                              {app.id, a.nonce, now + 2 * opts_.max_skew_s}));
    return n == 1;
  }));
  if (!fresh) return unauthenticated("rp_nonce_replayed", "this nonce was used already");
  return std::move(app);
}

Result<std::int64_t> RpAppService::purge_nonces() {
  return db_.write_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
    return tx.exec("DELETE FROM rp_nonces WHERE expires_at < ?", {clock_.now_unix()});
  });
}

}  // namespace certseal::service
