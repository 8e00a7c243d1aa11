#include "app/config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <toml++/toml.h>

#include "net/client_address.h"

namespace certseal::app {
namespace {

constexpr ConfigKey kKeys[] = {
    {"data_dir", KeyType::kString, "var",
     "Folder for everything the server keeps: database, blobs, logs, keys."},
    {"server.listen", KeyType::kString, "127.0.0.1:8080", "Address and port to listen on (port 0 picks a free one)."},
    {"server.threads", KeyType::kInt, "4", "I/O threads (accept, read, write; request handlers run on server.workers)."},
    {"server.max_connections", KeyType::kInt, "1024", "Simultaneous connections; one more gets 503."},
    {"server.header_limit", KeyType::kInt, "16384", "Largest request header block in bytes (431 above)."},
    {"server.body_limit", KeyType::kInt, "8388608",
     "Largest request body in bytes, for upload routes (POST /api/v1/blobs) only, read after the session is checked (413 above)."},
    {"server.request_timeout_ms", KeyType::kInt, "30000", "Time allowed to send one response."},
    {"server.shutdown_grace_ms", KeyType::kInt, "10000",
     "On SIGTERM, how long requests in flight may take before the process exits anyway."},
    {"server.tls_cert", KeyType::kString, "", "PEM certificate chain; TLS is on when this and server.tls_key are set."},
    {"server.tls_key", KeyType::kString, "", "PEM private key for TLS."},
    {"server.port_file", KeyType::kString, "", "If set, the bound port is written to this file once listening."},
    // ---- HTTP limits against resource exhaustion (security review M6, M7, L5, L9; docs/CONFIG.md "Limits")
    {"server.json_body_limit", KeyType::kInt, "65536",
     "Largest request body in bytes for every route but uploads (JSON documents, callbacks; 413 above)."},
    {"server.header_timeout_ms", KeyType::kInt, "10000",
     "The request line and headers must arrive within this time (from the accept, or from a kept-alive request's first byte)."},
    {"server.idle_timeout_ms", KeyType::kInt, "60000", "A kept-alive connection with no request in progress closes after this."},
    {"server.body_timeout_ms", KeyType::kInt, "10000",
     "Grace for receiving a request body; after it the body must keep up server.body_min_bytes_per_s."},
    {"server.body_min_bytes_per_s", KeyType::kInt, "4096", "Slowest accepted average body upload rate."},
    {"server.workers", KeyType::kInt, "8",
     "Threads that run request handlers (off the I/O threads); also bounds concurrent Argon2 (64 MiB each) and PDF work."},
    {"server.worker_queue", KeyType::kInt, "512", "Requests that may wait for a worker; more get 503 server_busy at once."},
    {"server.max_connections_per_address", KeyType::kInt, "128",
     "Simultaneous connections from one client address (429 above; 0: no limit; trusted proxies are exempt)."},
    {"server.requests_per_s_per_address", KeyType::kInt, "100",
     "Sustained requests per second from one client address (429 with Retry-After above; 0: no limit)."},
    {"server.request_burst_per_address", KeyType::kInt, "200", "Requests one client address may send at once before the rate applies."},
    {"server.trusted_proxies", KeyType::kString, "",
     "Reverse proxies (IP addresses or CIDR blocks, comma-separated) whose X-Forwarded-For is believed; the client is the right-most untrusted address."},
    {"server.metrics_token", KeyType::kString, "",
     "Bearer token that may read /metrics (for a scraper); without it only operator sessions may."},
    {"limits.ocsp_per_minute_per_address", KeyType::kInt, "600", "OCSP requests per minute from one client address (0: no limit)."},
    {"limits.ocsp_max_certids", KeyType::kInt, "10", "CertIDs in one OCSP request; more get malformedRequest, unsigned."},
    {"limits.tsa_per_minute_per_address", KeyType::kInt, "60", "Time-stamp requests per minute from one client address (0: no limit)."},
    {"limits.form_email_per_day_per_account", KeyType::kInt, "10",
     "Application-form e-mails one account may send per day (0: no limit)."},
    {"limits.pc_pairings_per_hour_per_address", KeyType::kInt, "30",
     "PC pairings (phone as a PC key) one client address may start per hour (0: no limit)."},
    {"limits.shield_enrolments_per_hour_per_account", KeyType::kInt, "60",
     "Mobile-shield installations and reissues one account may attempt per hour, failed ones included: each costs the server the check of the device's key-generation message (0: no limit)."},
    // ---- end of HTTP limits
    {"db.engine", KeyType::kString, "sqlite", "sqlite (embedded, one machine) or postgres (several nodes)."},
    {"db.path", KeyType::kString, "", "SQLite database file; default <data_dir>/certseal.db."},
    {"db.url", KeyType::kString, "", "PostgreSQL connection URI, e.g. postgresql://user@host:5432/certseal."},
    {"db.pool_size", KeyType::kInt, "16", "PostgreSQL connections per process."},
    {"db.sqlite_readers", KeyType::kInt, "4", "SQLite read-only connections (there is always exactly one writer)."},
    {"db.busy_timeout_ms", KeyType::kInt, "10000", "SQLite: how long to wait for another process's write lock."},
    {"log.level", KeyType::kString, "info", "debug, info, warn or error."},
    {"log.file", KeyType::kString, "", "Append JSON-lines logs to this file instead of standard error."},
    {"log.access", KeyType::kBool, "true", "Log one line per request (request id, route, status, duration)."},
    {"security.session_ttl_hours", KeyType::kInt, "168", "How long a login session lasts."},
    {"security.argon2_ops", KeyType::kInt, "2", "Argon2id passes for password hashes (libsodium opslimit, at least 1)."},
    {"security.argon2_mem_kib", KeyType::kInt, "65536", "Argon2id memory per password hash in KiB (at least 8)."},
    {"security.login_max_failures_per_phone", KeyType::kInt, "10",
     "Failed logins per phone number within the window before login answers 429."},
    {"security.login_max_failures_per_address", KeyType::kInt, "50",
     "Failed logins per client address within the window before login answers 429."},
    {"security.login_failure_window_s", KeyType::kInt, "900", "The sliding window for counting failed logins."},
    {"sms.sender", KeyType::kString, "outbox",
     "outbox (messages kept in the database for operators to read) or http (a real SMS gateway)."},
    {"sms.http_url", KeyType::kString, "", "SMS gateway URL for sms.sender = http."},
    {"sms.http_username", KeyType::kString, "", "SMS gateway user (HTTP basic authentication)."},
    {"sms.http_password", KeyType::kString, "", "SMS gateway password."},
    {"sms.http_body_template", KeyType::kString, "",
     "JSON body with {phone}, {template}, {text}, {param.code} placeholders; empty gives {\"phone\",\"template\",\"text\"}."},
    {"sms.code_ttl_s", KeyType::kInt, "300", "How long an SMS code is valid."},
    {"sms.resend_s", KeyType::kInt, "60", "At most one SMS code per phone number in this many seconds."},
    {"sms.daily_limit", KeyType::kInt, "10", "At most this many SMS codes per phone number per day (China time)."},
    {"sms.max_attempts", KeyType::kInt, "5", "Wrong tries after which an SMS code stops working."},
    {"sms.address_hourly_limit", KeyType::kInt, "20",
     "At most this many login and password-reset codes requested from one client address per rolling hour."},
    {"account.deregistration_cooling_days", KeyType::kInt, "15",
     "Cooling-off period between a deregistration request and the account's closure."},
    {"identity.verifier", KeyType::kString, "dev",
     "Person identity check: dev (accepts well-formed input, records verified_by = dev; not a real check) or manual (every submission waits for an operator)."},
    {"uploads.max_image_bytes", KeyType::kInt, "5242880", "Largest uploaded image (ID-card photos, licences) in bytes."},
    {"uploads.max_image_side", KeyType::kInt, "8000",
     "Widest or tallest uploaded image in pixels, read from the PNG/JPEG header before anything decodes it."},
    {"uploads.max_image_pixels", KeyType::kInt, "24000000", "Largest uploaded image in pixels (width x height)."},
    {"uploads.daily_count", KeyType::kInt, "100", "Uploads per account in any 24 hours."},
    {"uploads.daily_bytes", KeyType::kInt, "209715200", "Bytes uploaded per account in any 24 hours."},
    {"uploads.total_bytes", KeyType::kInt, "1073741824", "Bytes of uploads kept per account in all."},
    {"uploads.ocr_timeout_ms", KeyType::kInt, "20000",
     "Longest a business-licence OCR may take; after it the licence is attached without read fields."},
    {"uploads.ocr_concurrency", KeyType::kInt, "2", "Business-licence OCRs running at once; more are answered 503 ocr_busy."},
    {"jobs.interval_s", KeyType::kInt, "60", "How often scheduled jobs run (closing deregistered accounts, ...)."},
    {"ledger.origin", KeyType::kString, "",
     "Transparency log origin (checkpoint first line, key name), fixed at the first start; default <host of pki.public_url>/ledger."},
    {"ledger.interval_ms", KeyType::kInt, "200",
     "How often an idle transparency log looks for waiting entries (10 to 1000); while entries arrive it sequences them back to back."},
    {"demo.enabled", KeyType::kBool, "false",
     "Create the demo operator and demo users at start (idempotent). For trying CertSeal out only."},
    {"keys.dir", KeyType::kString, "", "Software key manager folder (CA keys); default <data_dir>/keys."},
    {"keys.master_key_file", KeyType::kString, "",
     "32-byte master key sealing the software keys; default <keys.dir>/master.key, created 0600 on first start."},
    {"pki.public_url", KeyType::kString, "",
     "Base URL put into certificates (CRL distribution point, OCSP, CA issuers); default http://<server.listen>."},
    {"web.app_dir", KeyType::kString, "",
     "Folder of the built mobile H5 app (web/app/dist after its build), served at /app/; empty: /app/ answers 404."},
    {"web.console_dir", KeyType::kString, "",
     "Folder of the built operator console (web/console/dist after its build), served at /console/; empty: "
     "/console/ answers 404."},
    {"pki.crl_validity_s", KeyType::kInt, "86400", "CRL nextUpdate - thisUpdate; a CRL is regenerated after half of it."},
    {"pki.ocsp_validity_s", KeyType::kInt, "3600",
     "OCSP nextUpdate - thisUpdate; cached answers are re-signed after half of it."},
    {"pki.default_tsa", KeyType::kString, "", "CA whose time-stamp authority answers /tsa; default the first CA."},
    {"shield.max_failures", KeyType::kInt, "5",
     "Wrong certificate passwords (failed unlock proofs) after which a mobile-shield key locks until recovery."},
    {"shield.challenge_ttl_s", KeyType::kInt, "60", "How long a two-party step's challenge stays valid."},
    {"shield.webauthn_origin", KeyType::kString, "",
     "Origin (scheme://host[:port]) the mobile app is served from, for fingerprint/face unlock (WebAuthn; its host is "
     "the RP id, not an IP address); default the origin of pki.public_url."},
    {"shield.failure_decay_s", KeyType::kInt, "86400",
     "A successful unlock does not reset the failure count: one failure is forgiven per this many seconds after the "
     "last one."},
    {"scenes.public_url", KeyType::kString, "",
     "Base URL of the short links in scene QR codes (<url>/s/<token>); default pki.public_url."},
    {"scenes.default_ttl_s", KeyType::kInt, "300", "How long a scene request waits for the user unless the relying party says."},
    {"scenes.max_waiters", KeyType::kInt, "32",
     "Long-polls of scene requests waiting at once per process (each holds a worker); more answer at once."},
    {"scenes.callback_max_attempts", KeyType::kInt, "8", "Deliveries of a scene callback before it is given up."},
    {"scenes.callback_backoff_s", KeyType::kInt, "2",
     "Wait before the second delivery of a callback; doubled after each failure, at most an hour."},
    {"cloudkey.captcha_ttl_s", KeyType::kInt, "120",
     "How long a cloud key staff member has to answer a picture captcha (10-600 s; docs/CLOUDKEY.md)."},
    {"cloudkey.captcha_per_hour", KeyType::kInt, "20",
     "Picture captchas one client address may ask for in any hour (1-1000)."},
    {"pc.pairing_ttl_s", KeyType::kInt, "600", "How long a PC pairing (certseal pc pair) waits for the phone."},
    {"pc.request_ttl_s", KeyType::kInt, "120",
     "How long a PC's signature or decryption waits for the phone (2-170; the PKCS#11 module waits 180 s)."},
    {"org.bank_transfers_max", KeyType::kInt, "3",
     "Small-amount bank checks (打款验证) that did not succeed, per organisation and per bank account, before only an "
     "operator can check the account."},
    {"org.bank_transfer_cooldown_s", KeyType::kInt, "86400", "Least time between two bank checks of an organisation."},
    {"order.timeout_s", KeyType::kInt, "86400",
     "Orders not paid this many seconds after they were placed are cancelled by the scheduled job."},
    {"invoice.seller_name", KeyType::kString, "CertSeal 平台运营方", "The seller printed on electronic invoices."},
    {"invoice.seller_tax_number", KeyType::kString, "", "The seller's tax number printed on electronic invoices."},
    {"email.sender", KeyType::kString, "outbox",
     "How e-mail leaves: outbox (kept in the database for operators; nothing is sent) or smtp."},
    {"email.smtp_url", KeyType::kString, "",
     "SMTP server for email.sender = smtp: smtps://host:465 (TLS) or smtp://host:587 (STARTTLS, see email.smtp_starttls)."},
    {"email.from", KeyType::kString, "", "Sender address of outgoing e-mail (needed for email.sender = smtp)."},
    {"email.smtp_username", KeyType::kString, "", "SMTP user (AUTH); empty: no authentication."},
    {"email.smtp_password", KeyType::kString, "", "SMTP password."},
    {"email.smtp_starttls", KeyType::kBool, "true",
     "For smtp:// URLs, refuse to send unless the server upgrades the connection with STARTTLS (turn off only for a relay on localhost)."},
    {"payment.sandbox_enabled", KeyType::kBool, "true",
     "Offer the built-in sandbox payment gateway (moves no money; for development, demos and tests)."},
    {"payment.sandbox_key_file", KeyType::kString, "",
     "PEM key the sandbox gateway signs its notifications with; default <data_dir>/sandbox-gateway.pem, created on first start."},
    // ---- Development components, where the master key lives, SQLite durability (issue 11: M5, L4, item 6).
    // Parsed together by load_safety_settings() below.
    {"dev_mode", KeyType::kBool, "false",
     "Allow the development components (payment.sandbox_enabled, identity.verifier = dev, sms.sender = outbox); "
     "without it (or serve --demo) certseald refuses to start with any of them on."},
    {"keys.master_key_source", KeyType::kString, "file",
     "Where the master key comes from: file (keys.master_key_file), env (64 hex digits in the environment variable "
     "CERTSEAL_MASTER_KEY) or pkcs11 (unwrapped by an RSA key in a PKCS#11 token, keys.pkcs11_*)."},
    {"keys.pkcs11_module", KeyType::kString, "", "PKCS#11 module (.so) for keys.master_key_source = pkcs11."},
    {"keys.pkcs11_token", KeyType::kString, "", "Label of the PKCS#11 token holding the master key's wrapping key."},
    {"keys.pkcs11_pin", KeyType::kString, "", "User PIN of that token (prefer CERTSEAL_KEYS_PKCS11_PIN)."},
    {"db.sqlite_synchronous", KeyType::kString, "full",
     "SQLite durability in WAL mode: full (every commit reaches the disk before it is acknowledged) or normal "
     "(faster commits; safe against a crash of the process, but the last commits can be lost on power failure)."},
};

// Per-CA tables: [ca.<id>] with these fields (docs/CONFIG.md "CAs").
constexpr std::string_view kCaFields[] = {"name", "algorithm", "root_validity_days", "issuing_validity_days",
                                          "sm2_id"};

bool is_ca_key(std::string_view key) {
  if (key.substr(0, 3) != "ca.") return false;
  auto dot = key.rfind('.');
  if (dot <= 3) return false;
  std::string_view id = key.substr(3, dot - 3), field = key.substr(dot + 1);
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  for (auto f : kCaFields) {
    if (f == field) return true;
  }
  return false;
}

const ConfigKey* find_key(std::string_view key) {
  for (const auto& k : kKeys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

Error config_error(std::string msg) {
  return invalid_argument("bad_config", std::move(msg));
}

Status check_type(const ConfigKey& k, const std::string& value, std::string_view source) {
  if (k.type == KeyType::kInt) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0 || v < 0) {
      return config_error(std::string(k.key) + " (" + std::string(source) +
                          ") must be a non-negative integer, got '" + value + "'");
    }
  } else if (k.type == KeyType::kBool) {
    if (value != "true" && value != "false") {
      return config_error(std::string(k.key) + " (" + std::string(source) +
                          ") must be true or false, got '" + value + "'");
    }
  }
  return {};
}

Status flatten(const toml::table& t, const std::string& prefix,
               std::map<std::string, std::string>& out) {
  for (const auto& [k, node] : t) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      CS_TRY(flatten(*sub, key, out));
      continue;
    }
    const ConfigKey* known = find_key(key);
    if (!known && !is_ca_key(key)) return config_error("unknown setting '" + key + "' in the configuration file");
    if (auto s = node.value<std::string>(); s && node.is_string()) {
      out[key] = *s;
    } else if (auto i = node.value<std::int64_t>(); i && node.is_integer()) {
      out[key] = std::to_string(*i);
    } else if (auto b = node.value<bool>(); b && node.is_boolean()) {
      out[key] = *b ? "true" : "false";
    } else {
      return config_error("setting '" + key + "' has an unsupported type");
    }
  }
  return {};
}

long long as_int(const std::map<std::string, std::string>& v, const char* key) {
  return std::strtoll(v.at(key).c_str(), nullptr, 10);
}

// dev_mode, keys.master_key_source and keys.pkcs11_*, db.sqlite_synchronous (one block, see kKeys).
Status load_safety_settings(std::map<std::string, std::string>& v, Config& c) {
  c.dev_mode = v["dev_mode"] == "true";
  c.keys.master_key_source = v["keys.master_key_source"];
  if (c.keys.master_key_source != "file" && c.keys.master_key_source != "env" &&
      c.keys.master_key_source != "pkcs11") {
    return config_error("keys.master_key_source must be file, env or pkcs11, got '" + c.keys.master_key_source + "'");
  }
  c.keys.pkcs11_module = v["keys.pkcs11_module"];
  c.keys.pkcs11_token = v["keys.pkcs11_token"];
  c.keys.pkcs11_pin = v["keys.pkcs11_pin"];
  if (c.keys.master_key_source == "pkcs11" && (c.keys.pkcs11_module.empty() || c.keys.pkcs11_token.empty())) {
    return config_error("keys.master_key_source = pkcs11 needs keys.pkcs11_module and keys.pkcs11_token");
  }
  const std::string& sync = v["db.sqlite_synchronous"];
  if (sync != "full" && sync != "normal") {
    return config_error("db.sqlite_synchronous must be full or normal, got '" + sync + "'");
  }
  c.db.sqlite_synchronous_full = sync == "full";
  return {};
}

}  // namespace

std::vector<std::string> development_components(const Config& c) {
  std::vector<std::string> out;
  if (c.payment.sandbox_enabled) out.push_back("payment.sandbox_enabled = true");
  if (c.identity_verifier == "dev") out.push_back("identity.verifier = dev");
  if (c.sms.sender == "outbox") out.push_back("sms.sender = outbox");
  return out;
}

Status check_development_components(const Config& c) {
  if (c.dev_mode || c.demo) return {};
  auto on = development_components(c);
  if (on.empty()) return {};
  std::string list;
  for (const auto& s : on) list += (list.empty() ? "" : ", ") + s;
  return config_error("development components are on (" + list +
                      ") without dev_mode: set dev_mode = true (or serve --demo) to try CertSeal out, or configure "
                      "the production ones (docs/CONFIG.md)");
}

std::span<const ConfigKey> config_keys() { return kKeys; }

std::string env_name(std::string_view key) {
  std::string out = "CERTSEAL_";
  for (char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> process_getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

Result<std::map<std::string, std::string>> effective_values(
    const std::string& config_file, const std::map<std::string, std::string>& flags,
    const Getenv& getenv, std::string* file_used) {
  std::map<std::string, std::string> v;
  for (const auto& k : kKeys) v[std::string(k.key)] = std::string(k.default_value);

  // The data folder decides where the default config file is, so resolve it first.
  std::string data_dir = v["data_dir"];
  if (auto e = getenv(env_name("data_dir"))) data_dir = *e;
  if (auto it = flags.find("data_dir"); it != flags.end()) data_dir = it->second;

  std::string file = config_file;
  if (file.empty()) {
    std::string candidate = data_dir + "/certseald.toml";
    if (std::filesystem::exists(candidate)) file = candidate;
  } else if (!std::filesystem::exists(file)) {
    return config_error("configuration file '" + file + "' does not exist");
  }
  if (!file.empty()) {
    // Debian's toml++ is built with exceptions: the parse error becomes a value here.
    toml::table parsed;
    try {
      parsed = toml::parse_file(file);
    } catch (const toml::parse_error& err) {
      return config_error("configuration file '" + file + "' line " +
                          std::to_string(err.source().begin.line) + ": " +
                          std::string(err.description()));
    }
    std::map<std::string, std::string> from_file;
    CS_TRY(flatten(parsed, "", from_file));
    for (auto& [k, val] : from_file) v[k] = val;
  }
  if (file_used) *file_used = file;

  for (const auto& k : kKeys) {
    if (auto e = getenv(env_name(k.key))) v[std::string(k.key)] = *e;
  }
  for (const auto& [k, val] : flags) {
    if (!find_key(k) && !is_ca_key(k)) return config_error("unknown setting '" + k + "'");
    v[k] = val;
  }
  for (const auto& k : kKeys) CS_TRY(check_type(k, v[std::string(k.key)], "value"));
  return v;
}

Result<Config> load_config(const std::string& config_file,
                           const std::map<std::string, std::string>& flags, const Getenv& getenv) {
  Config c;
  CS_ASSIGN(auto v, effective_values(config_file, flags, getenv, &c.config_file));
  c.data_dir = v["data_dir"];
  if (c.data_dir.empty()) return config_error("data_dir must not be empty");

  const std::string& listen = v["server.listen"];
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return config_error("server.listen must be host:port, got '" + listen + "'");
  }
  c.server.host = listen.substr(0, colon);
  if (c.server.host.size() > 2 && c.server.host.front() == '[') {
    c.server.host = c.server.host.substr(1, c.server.host.size() - 2);
  }
  char* end = nullptr;
  long port = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535 || colon + 1 == listen.size()) {
    return config_error("server.listen has a bad port in '" + listen + "'");
  }
  c.server.port = static_cast<std::uint16_t>(port);
  c.server.threads = static_cast<int>(as_int(v, "server.threads"));
  if (c.server.threads < 1 || c.server.threads > 256) {
    return config_error("server.threads must be from 1 to 256");
  }
  c.server.max_connections = static_cast<std::size_t>(as_int(v, "server.max_connections"));
  c.server.header_limit = static_cast<std::size_t>(as_int(v, "server.header_limit"));
  c.server.body_limit = static_cast<std::size_t>(as_int(v, "server.body_limit"));
  if (c.server.max_connections < 1) return config_error("server.max_connections must be at least 1");
  if (c.server.header_limit < 1024) return config_error("server.header_limit must be at least 1024");
  c.server.request_timeout = std::chrono::milliseconds(as_int(v, "server.request_timeout_ms"));
  c.shutdown_grace = std::chrono::milliseconds(as_int(v, "server.shutdown_grace_ms"));
  c.server.tls_cert_file = v["server.tls_cert"];
  c.server.tls_key_file = v["server.tls_key"];
  if (c.server.tls_cert_file.empty() != c.server.tls_key_file.empty()) {
    return config_error("server.tls_cert and server.tls_key must be set together");
  }
  c.port_file = v["server.port_file"];
  // ---- HTTP limits (see the key table)
  c.server.small_body_limit = static_cast<std::size_t>(as_int(v, "server.json_body_limit"));
  if (c.server.small_body_limit < 1024) return config_error("server.json_body_limit must be at least 1024");
  c.server.header_timeout = std::chrono::milliseconds(as_int(v, "server.header_timeout_ms"));
  c.server.idle_timeout = std::chrono::milliseconds(as_int(v, "server.idle_timeout_ms"));
  c.server.body_timeout = std::chrono::milliseconds(as_int(v, "server.body_timeout_ms"));
  if (c.server.header_timeout.count() < 100 || c.server.idle_timeout.count() < 100 || c.server.body_timeout.count() < 100) {
    return config_error("server.header_timeout_ms, server.idle_timeout_ms and server.body_timeout_ms must be at least 100");
  }
  c.server.body_min_rate = static_cast<std::size_t>(as_int(v, "server.body_min_bytes_per_s"));
  c.server.workers = static_cast<int>(as_int(v, "server.workers"));
  if (c.server.workers < 1 || c.server.workers > 1024) return config_error("server.workers must be from 1 to 1024");
  c.server.worker_queue = static_cast<std::size_t>(as_int(v, "server.worker_queue"));
  if (c.server.worker_queue < 1) return config_error("server.worker_queue must be at least 1");
  c.server.max_connections_per_address = static_cast<std::size_t>(as_int(v, "server.max_connections_per_address"));
  c.server.requests_per_address.rate_per_s = static_cast<double>(as_int(v, "server.requests_per_s_per_address"));
  c.server.requests_per_address.burst = static_cast<double>(as_int(v, "server.request_burst_per_address"));
  if (c.server.requests_per_address.rate_per_s > 0 && c.server.requests_per_address.burst < 1) {
    return config_error("server.request_burst_per_address must be at least 1");
  }
  c.server.trusted_proxies = v["server.trusted_proxies"];
  if (auto tp = net::TrustedProxies::parse(c.server.trusted_proxies); !tp) return config_error(tp.error().message);
  // Descriptors kept back from connections: the database pool (PostgreSQL) and files, logs.
  c.server.fd_reserve = std::max<std::size_t>(32, static_cast<std::size_t>(as_int(v, "db.pool_size")) + 16);
  c.limits.metrics_token = v["server.metrics_token"];
  c.limits.ocsp_per_minute = static_cast<int>(as_int(v, "limits.ocsp_per_minute_per_address"));
  c.limits.ocsp_max_certids = static_cast<int>(as_int(v, "limits.ocsp_max_certids"));
  if (c.limits.ocsp_max_certids < 1 || c.limits.ocsp_max_certids > 100) {
    return config_error("limits.ocsp_max_certids must be from 1 to 100");
  }
  c.limits.tsa_per_minute = static_cast<int>(as_int(v, "limits.tsa_per_minute_per_address"));
  c.limits.form_email_per_day = static_cast<int>(as_int(v, "limits.form_email_per_day_per_account"));
  c.limits.pc_pairings_per_hour = static_cast<int>(as_int(v, "limits.pc_pairings_per_hour_per_address"));
  c.limits.shield_enrolments_per_hour = static_cast<int>(as_int(v, "limits.shield_enrolments_per_hour_per_account"));
  // ---- end of HTTP limits

  c.db.engine = v["db.engine"];
  if (c.db.engine != "sqlite" && c.db.engine != "postgres") {
    return config_error("db.engine must be sqlite or postgres, got '" + c.db.engine + "'");
  }
  c.db.path = v["db.path"].empty() ? c.data_dir + "/certseal.db" : v["db.path"];
  c.db.url = v["db.url"];
  if (c.db.engine == "postgres" && c.db.url.empty()) {
    return config_error("db.engine = postgres needs db.url");
  }
  c.db.pool_size = static_cast<int>(as_int(v, "db.pool_size"));
  c.db.sqlite_readers = static_cast<int>(as_int(v, "db.sqlite_readers"));
  c.db.busy_timeout_ms = static_cast<int>(as_int(v, "db.busy_timeout_ms"));
  if (c.db.pool_size < 1) return config_error("db.pool_size must be at least 1");
  if (c.db.sqlite_readers < 1) return config_error("db.sqlite_readers must be at least 1");

  c.security.session_ttl_s = static_cast<int>(as_int(v, "security.session_ttl_hours") * 3600);
  c.security.argon2_ops = static_cast<int>(as_int(v, "security.argon2_ops"));
  c.security.argon2_mem_kib = static_cast<int>(as_int(v, "security.argon2_mem_kib"));
  if (c.security.argon2_ops < 1 || c.security.argon2_mem_kib < 8) {
    return config_error("security.argon2_ops must be at least 1 and security.argon2_mem_kib at least 8");
  }
  if (c.security.session_ttl_s < 3600) return config_error("security.session_ttl_hours must be at least 1");
  c.security.max_failures_per_phone = static_cast<int>(as_int(v, "security.login_max_failures_per_phone"));
  c.security.max_failures_per_address = static_cast<int>(as_int(v, "security.login_max_failures_per_address"));
  c.security.failure_window_s = static_cast<int>(as_int(v, "security.login_failure_window_s"));
  c.sms.sender = v["sms.sender"];
  if (c.sms.sender != "outbox" && c.sms.sender != "http") {
    return config_error("sms.sender must be outbox or http, got '" + c.sms.sender + "'");
  }
  c.sms.http_url = v["sms.http_url"];
  if (c.sms.sender == "http" && c.sms.http_url.rfind("http", 0) != 0) {
    return config_error("sms.sender = http needs sms.http_url (http:// or https://)");
  }
  c.sms.http_username = v["sms.http_username"];
  c.sms.http_password = v["sms.http_password"];
  c.sms.http_body_template = v["sms.http_body_template"];
  c.sms.code_ttl_s = static_cast<int>(as_int(v, "sms.code_ttl_s"));
  c.sms.resend_s = static_cast<int>(as_int(v, "sms.resend_s"));
  c.sms.daily_limit = static_cast<int>(as_int(v, "sms.daily_limit"));
  c.sms.max_attempts = static_cast<int>(as_int(v, "sms.max_attempts"));
  c.sms.address_hourly_limit = static_cast<int>(as_int(v, "sms.address_hourly_limit"));
  if (c.sms.address_hourly_limit < 1) return config_error("sms.address_hourly_limit must be at least 1");
  if (c.sms.code_ttl_s < 1 || c.sms.daily_limit < 1 || c.sms.max_attempts < 1) {
    return config_error("sms.code_ttl_s, sms.daily_limit and sms.max_attempts must be at least 1");
  }
  c.deregistration_cooling_s = static_cast<int>(as_int(v, "account.deregistration_cooling_days") * 86400);
  c.jobs_interval_s = static_cast<int>(as_int(v, "jobs.interval_s"));
  if (c.jobs_interval_s < 1) return config_error("jobs.interval_s must be at least 1");
  c.ledger.origin = v["ledger.origin"];
  for (char ch : c.ledger.origin) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == '+') return config_error("ledger.origin may hold no spaces or '+'");
  }
  c.ledger.interval_ms = static_cast<int>(as_int(v, "ledger.interval_ms"));
  if (c.ledger.interval_ms < 10 || c.ledger.interval_ms > 1000) {
    return config_error("ledger.interval_ms must be from 10 to 1000");
  }
  c.demo = v["demo.enabled"] == "true";
  c.identity_verifier = v["identity.verifier"];
  if (c.identity_verifier != "dev" && c.identity_verifier != "manual") {
    return config_error("identity.verifier must be dev or manual, got '" + c.identity_verifier + "'");
  }
  c.max_image_bytes = static_cast<std::size_t>(as_int(v, "uploads.max_image_bytes"));
  if (c.max_image_bytes < 1024) return config_error("uploads.max_image_bytes must be at least 1024");
  c.uploads.max_image_side = as_int(v, "uploads.max_image_side");
  c.uploads.max_image_pixels = as_int(v, "uploads.max_image_pixels");
  c.uploads.daily_count = as_int(v, "uploads.daily_count");
  c.uploads.daily_bytes = as_int(v, "uploads.daily_bytes");
  c.uploads.total_bytes = as_int(v, "uploads.total_bytes");
  c.uploads.ocr_timeout_ms = as_int(v, "uploads.ocr_timeout_ms");
  c.uploads.ocr_concurrency = as_int(v, "uploads.ocr_concurrency");
  if (c.uploads.max_image_side < 16 || c.uploads.max_image_side > 65535 || c.uploads.max_image_pixels < 256) {
    return config_error("uploads.max_image_side must be 16..65535 and uploads.max_image_pixels at least 256");
  }
  if (c.uploads.daily_count < 1 || c.uploads.daily_bytes < 1 || c.uploads.total_bytes < 1) {
    return config_error("uploads.daily_count, uploads.daily_bytes and uploads.total_bytes must be at least 1");
  }
  if (c.uploads.ocr_timeout_ms < 100 || c.uploads.ocr_concurrency < 1) {
    return config_error("uploads.ocr_timeout_ms must be at least 100 and uploads.ocr_concurrency at least 1");
  }

  bool ok = true;
  c.log.level = parse_log_level(v["log.level"], &ok);
  if (!ok) return config_error("log.level must be debug, info, warn or error");
  c.log.file = v["log.file"];
  c.log.access = v["log.access"] == "true";

  c.keys.dir = v["keys.dir"].empty() ? c.data_dir + "/keys" : v["keys.dir"];
  c.keys.master_key_file = v["keys.master_key_file"].empty() ? c.keys.dir + "/master.key" : v["keys.master_key_file"];
  c.pki.public_url = v["pki.public_url"];
  c.web.app_dir = v["web.app_dir"];
  c.web.console_dir = v["web.console_dir"];
  while (!c.pki.public_url.empty() && c.pki.public_url.back() == '/') c.pki.public_url.pop_back();
  c.pki.crl_validity_s = as_int(v, "pki.crl_validity_s");
  c.pki.ocsp_validity_s = as_int(v, "pki.ocsp_validity_s");
  if (c.pki.crl_validity_s < 60) return config_error("pki.crl_validity_s must be at least 60");
  if (c.pki.ocsp_validity_s < 60) return config_error("pki.ocsp_validity_s must be at least 60");
  c.pki.default_tsa = v["pki.default_tsa"];
  c.shield.max_failures = static_cast<int>(as_int(v, "shield.max_failures"));
  if (c.shield.max_failures < 1 || c.shield.max_failures > 100) return config_error("shield.max_failures must be 1 to 100");
  c.shield.challenge_ttl_s = static_cast<int>(as_int(v, "shield.challenge_ttl_s"));
  if (c.shield.challenge_ttl_s < 5) return config_error("shield.challenge_ttl_s must be at least 5");
  c.scenes.public_url = v["scenes.public_url"];
  while (!c.scenes.public_url.empty() && c.scenes.public_url.back() == '/') c.scenes.public_url.pop_back();
  c.scenes.default_ttl_s = as_int(v, "scenes.default_ttl_s");
  if (c.scenes.default_ttl_s < 30 || c.scenes.default_ttl_s > 3600) {
    return config_error("scenes.default_ttl_s must be 30 to 3600");
  }
  c.scenes.max_waiters = static_cast<int>(as_int(v, "scenes.max_waiters"));
  if (c.scenes.max_waiters < 0) return config_error("scenes.max_waiters must not be negative");
  c.scenes.callback_max_attempts = static_cast<int>(as_int(v, "scenes.callback_max_attempts"));
  if (c.scenes.callback_max_attempts < 1) return config_error("scenes.callback_max_attempts must be at least 1");
  c.scenes.callback_backoff_s = as_int(v, "scenes.callback_backoff_s");
  if (c.scenes.callback_backoff_s < 1) return config_error("scenes.callback_backoff_s must be at least 1");
  c.cloudkey.captcha_ttl_s = as_int(v, "cloudkey.captcha_ttl_s");
  if (c.cloudkey.captcha_ttl_s < 10 || c.cloudkey.captcha_ttl_s > 600) {
    return config_error("cloudkey.captcha_ttl_s must be 10 to 600");
  }
  c.cloudkey.captcha_per_hour = as_int(v, "cloudkey.captcha_per_hour");
  if (c.cloudkey.captcha_per_hour < 1 || c.cloudkey.captcha_per_hour > 1000) {
    return config_error("cloudkey.captcha_per_hour must be 1 to 1000");
  }
  c.pc.pairing_ttl_s = as_int(v, "pc.pairing_ttl_s");
  if (c.pc.pairing_ttl_s < 30 || c.pc.pairing_ttl_s > 3600) return config_error("pc.pairing_ttl_s must be 30 to 3600");
  c.pc.request_ttl_s = as_int(v, "pc.request_ttl_s");
  if (c.pc.request_ttl_s < 2 || c.pc.request_ttl_s > 170) return config_error("pc.request_ttl_s must be 2 to 170");
  c.shield.failure_decay_s = as_int(v, "shield.failure_decay_s");
  c.shield.webauthn_origin = v["shield.webauthn_origin"];
  while (!c.shield.webauthn_origin.empty() && c.shield.webauthn_origin.back() == '/') c.shield.webauthn_origin.pop_back();
  if (c.shield.failure_decay_s < 1) return config_error("shield.failure_decay_s must be at least 1");
  c.org.bank_transfers_max = static_cast<int>(as_int(v, "org.bank_transfers_max"));
  if (c.org.bank_transfers_max < 1 || c.org.bank_transfers_max > 20) {
    return config_error("org.bank_transfers_max must be 1 to 20");
  }
  c.org.bank_transfer_cooldown_s = as_int(v, "org.bank_transfer_cooldown_s");
  if (c.org.bank_transfer_cooldown_s < 0) return config_error("org.bank_transfer_cooldown_s must not be negative");
  c.order.timeout_s = static_cast<int>(as_int(v, "order.timeout_s"));
  if (c.order.timeout_s < 1) return config_error("order.timeout_s must be at least 1");
  c.invoice.seller_name = v["invoice.seller_name"];
  c.invoice.seller_tax_number = v["invoice.seller_tax_number"];
  c.email.sender = v["email.sender"];
  if (c.email.sender != "outbox" && c.email.sender != "smtp") {
    return config_error("email.sender must be outbox or smtp, got '" + c.email.sender + "'");
  }
  c.email.smtp_url = v["email.smtp_url"];
  c.email.from = v["email.from"];
  c.email.smtp_username = v["email.smtp_username"];
  c.email.smtp_password = v["email.smtp_password"];
  c.email.smtp_starttls = v["email.smtp_starttls"] == "true";
  if (c.email.sender == "smtp") {
    if (c.email.smtp_url.rfind("smtp://", 0) != 0 && c.email.smtp_url.rfind("smtps://", 0) != 0) {
      return config_error("email.sender = smtp needs email.smtp_url (smtp:// or smtps://)");
    }
    if (c.email.from.find('@') == std::string::npos) {
      return config_error("email.sender = smtp needs email.from (an e-mail address)");
    }
  }
  c.payment.sandbox_enabled = v["payment.sandbox_enabled"] == "true";
  c.payment.sandbox_key_file = v["payment.sandbox_key_file"];
  if (c.payment.sandbox_key_file.empty()) c.payment.sandbox_key_file = c.data_dir + "/sandbox-gateway.pem";
  CS_TRY(load_safety_settings(v, c));
  std::map<std::string, CaConfig> cas;
  for (const auto& [k, val] : v) {
    if (!is_ca_key(k)) continue;
    auto dot = k.rfind('.');
    std::string id = k.substr(3, dot - 3), field = k.substr(dot + 1);
    CaConfig& ca = cas[id];
    ca.id = id;
    if (field == "name") ca.name = val;
    if (field == "algorithm") ca.algorithm = val;
    if (field == "sm2_id") ca.sm2_id = val;
    if (field == "root_validity_days" || field == "issuing_validity_days") {
      char* e = nullptr;
      long days = std::strtol(val.c_str(), &e, 10);
      if (val.empty() || *e != '\0' || days < 1 || days > 36500) {
        return config_error(k + " must be a number of days from 1 to 36500");
      }
      (field == "root_validity_days" ? ca.root_validity_days : ca.issuing_validity_days) = static_cast<int>(days);
    }
  }
  for (auto& [id, ca] : cas) {
    if (ca.algorithm.empty()) return config_error("ca." + id + ".algorithm is required");
    if (ca.algorithm != "sm2" && ca.algorithm != "ec-p256" && ca.algorithm != "rsa-2048" && ca.algorithm != "rsa-3072") {
      return config_error("ca." + id + ".algorithm must be sm2, ec-p256, rsa-2048 or rsa-3072");
    }
    if (ca.name.empty()) ca.name = "CertSeal " + id + " CA";
    c.pki.cas.push_back(ca);
  }
  if (c.pki.cas.empty()) {
    // Out of the box: one SM2 CA (SM2-with-SM3) and one international CA (ECDSA P-256).
    c.pki.cas.push_back({"sm2", "CertSeal SM2 CA", "sm2", 7300, 3650, "1234567812345678"});
    c.pki.cas.push_back({"intl", "CertSeal International CA", "ec-p256", 7300, 3650, "1234567812345678"});
  }
  if (!c.pki.default_tsa.empty()) {
    bool found = false;
    for (const auto& ca : c.pki.cas) found = found || ca.id == c.pki.default_tsa;
    if (!found) return config_error("pki.default_tsa names no configured CA");
  }
  return c;
}

std::string describe(const std::map<std::string, std::string>& values) {
  std::string out;
  for (const auto& [k, v] : values) {
    bool secret = k == "db.url" || k == "sms.http_password" || k == "email.smtp_password" ||
                  k == "keys.pkcs11_pin" || k == "server.metrics_token";  // may carry a password
    out += k + " = " + (secret && !v.empty() ? "(set)" : "\"" + v + "\"") + "\n";
  }
  return out;
}

}  // namespace certseal::app
