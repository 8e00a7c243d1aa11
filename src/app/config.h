// certseald configuration: built-in defaults < TOML file < CERTSEAL_* environment < flags.
//
// Every setting has a dotted key ("server.listen", "db.engine"); kConfigKeys lists them all with
// their defaults and help, and docs/CONFIG.md documents exactly that list (tested). The
// environment variable of a key is CERTSEAL_ + the key upper-cased with '.' -> '_'
// (server.listen -> CERTSEAL_SERVER_LISTEN). Unknown keys in the file are errors, so typos are
// not silently ignored.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "net/http_server.h"

namespace certseal::app {

enum class KeyType { kString, kInt, kBool };

struct ConfigKey {
  std::string_view key;
  KeyType type;
  std::string_view default_value;
  std::string_view help;
};

std::span<const ConfigKey> config_keys();
std::string env_name(std::string_view key);

// One [ca.<id>] table (docs/CONFIG.md "CAs").
struct CaConfig {
  std::string id;
  std::string name;
  std::string algorithm;  // sm2, ec-p256, rsa-2048, rsa-3072
  int root_validity_days = 7300;
  int issuing_validity_days = 3650;
  std::string sm2_id = "1234567812345678";  // GM/T 0009 default; "" for OpenSSL 3.0's CLI default
};

struct Config {
  std::string data_dir;
  std::string config_file;  // the file that was read, if any
  net::ServerOptions server;
  std::chrono::milliseconds shutdown_grace{10'000};
  std::string port_file;
  struct {
    std::string engine;  // "sqlite" | "postgres"
    std::string path;    // sqlite file
    std::string url;     // postgres URL
    int pool_size = 16;
    int sqlite_readers = 4;
    int busy_timeout_ms = 10'000;
    bool sqlite_synchronous_full = true;  // db.sqlite_synchronous
  } db;
  struct {
    int session_ttl_s = 7 * 86400;
    int argon2_ops = 2;
    int argon2_mem_kib = 65536;
    int max_failures_per_phone = 10;
    int max_failures_per_address = 50;
    int failure_window_s = 900;
  } security;
  struct {
    std::string sender;  // outbox | http
    std::string http_url, http_username, http_password, http_body_template;
    int code_ttl_s = 300, resend_s = 60, daily_limit = 10, max_attempts = 5;
    int address_hourly_limit = 20;  // unauthenticated codes per client address per hour
  } sms;
  int deregistration_cooling_s = 15 * 86400;
  int jobs_interval_s = 60;
  struct {
    std::string origin;     // "" = <host of pki.public_url>/ledger
    int interval_ms = 200;  // sequencing interval
  } ledger;
  struct {
    std::string app_dir;      // built mobile H5 app served at /app/ ("" = not served)
    std::string console_dir;  // built operator console served at /console/ ("" = not served)
  } web;
  bool demo = false;
  bool dev_mode = false;  // the development components may run (see check_development_components)
  std::string identity_verifier;  // dev | manual
  std::size_t max_image_bytes = 5u << 20;
  struct {
    long long max_image_side = 8000;
    long long max_image_pixels = 24'000'000;
    long long daily_count = 100;
    long long daily_bytes = 200LL << 20;
    long long total_bytes = 1LL << 30;
    long long ocr_timeout_ms = 20'000;
    long long ocr_concurrency = 2;
  } uploads;
  struct {
    std::string dir;              // software key manager folder
    std::string master_key_file;  // created 0600 on first start
    std::string master_key_source = "file";  // file | env | pkcs11 (app/master_key.h)
    std::string pkcs11_module, pkcs11_token, pkcs11_pin;
  } keys;
  struct {
    std::string public_url;
    std::int64_t crl_validity_s = 86'400;
    std::int64_t ocsp_validity_s = 3'600;
    std::string default_tsa;
    std::vector<CaConfig> cas;  // never empty after load_config
  } pki;
  struct {
    int bank_transfers_max = 3;                    // unsuccessful bank checks before operator only
    std::int64_t bank_transfer_cooldown_s = 86'400;  // least time between two bank checks
  } org;
  struct {
    int timeout_s = 86'400;  // unpaid orders are cancelled after this long
  } order;
  struct {
    int max_failures = 5;
    int challenge_ttl_s = 60;
    std::int64_t failure_decay_s = 86'400;  // one failed unlock forgiven per this long (never on success)
    std::string webauthn_origin;  // empty: the origin of pki.public_url
  } shield;
  struct {  // relying parties and QR scenes (docs/INTEGRATION.md)
    std::string public_url;  // empty: pki.public_url
    std::int64_t default_ttl_s = 300;
    int max_waiters = 32;
    int callback_max_attempts = 8;
    std::int64_t callback_backoff_s = 2;
  } scenes;
  struct {  // cloud key (docs/CLOUDKEY.md)
    std::int64_t captcha_ttl_s = 120;
    std::int64_t captcha_per_hour = 20;
  } cloudkey;
  struct {  // the phone as a PC key (docs/PKCS11.md)
    std::int64_t pairing_ttl_s = 600;
    std::int64_t request_ttl_s = 120;
  } pc;
  struct {
    std::string seller_name;
    std::string seller_tax_number;
  } invoice;
  struct {
    std::string sender = "outbox";  // outbox | smtp
    std::string smtp_url, from, smtp_username, smtp_password;
    bool smtp_starttls = true;
  } email;
  struct {
    bool sandbox_enabled = true;
    std::string sandbox_key_file;  // default <data_dir>/sandbox-gateway.pem
  } payment;
  struct {  // request limits enforced above the transport (docs/CONFIG.md "Limits")
    std::string metrics_token;
    int ocsp_per_minute = 600;
    int ocsp_max_certids = 10;
    int tsa_per_minute = 60;
    int form_email_per_day = 10;
    int pc_pairings_per_hour = 30;
    int shield_enrolments_per_hour = 60;
  } limits;
  struct {
    LogLevel level = LogLevel::kInfo;
    std::string file;  // empty: stderr
    bool access = true;
  } log;
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> process_getenv(const std::string& name);

// config_file: explicit path (must exist) or empty (then <data_dir>/certseald.toml if present).
// flags: key -> value given on the command line.
Result<Config> load_config(const std::string& config_file,
                           const std::map<std::string, std::string>& flags, const Getenv& getenv);

// The development components that are on, as "key = value" texts (sandbox gateway, dev identity
// verifier, SMS outbox); /api/v1/info and the startup log show them.
std::vector<std::string> development_components(const Config& c);
// M5: a production configuration refuses them: an error (one line naming the settings) unless
// dev_mode or demo is set.
Status check_development_components(const Config& c);

// The effective settings as "key = value" lines (for `certseald config`).
std::string describe(const std::map<std::string, std::string>& values);
Result<std::map<std::string, std::string>> effective_values(
    const std::string& config_file, const std::map<std::string, std::string>& flags,
    const Getenv& getenv, std::string* file_used);

}  // namespace certseal::app
