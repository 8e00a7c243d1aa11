// The per-run context and the helpers every command family shares (client/cli_context.h).
#include "client/cli_context.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "base/clock.h"
#include "base/encoding.h"
#include "client/agent.h"
#include "client/messages.h"
#include "client/origin.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"

namespace certseal::client::cli {

Error usage(std::string msg) {
  return invalid_argument("usage", std::move(msg));
}

// ---- Ctx ----

Result<DeviceStore*> Ctx::store() {
  if (!store_) {
    CS_ASSIGN(auto dir, resolve_data_dir(g.data_dir));
    CS_ASSIGN(auto s, DeviceStore::open(dir));
    store_.emplace(std::move(s));
  }
  return &*store_;
}

Result<DeviceInfo> Ctx::device() {
  CS_ASSIGN(auto* s, store());
  return s->device(rng);
}

Prompter& Ctx::prompter() {
  if (!prompter_) prompter_.emplace(g.password_fd);
  return *prompter_;
}

Prompter& Ctx::new_prompter() {
  if (g.new_password_fd >= 0) {
    if (!new_prompter_) new_prompter_.emplace(g.new_password_fd);
    return *new_prompter_;
  }
  return prompter();
}

Result<std::string> Ctx::server_url() {
  if (!g.server.empty()) return g.server;
  CS_ASSIGN(auto* s, store());
  CS_ASSIGN(auto sess, s->session());
  if (sess && !sess->server.empty()) return sess->server;
  if (const char* e = std::getenv("CERTSEAL_SERVER"); e && *e) return std::string(e);
  return usage(tr("err.no_server"));
}

Result<Http*> Ctx::api(bool need_session) {
  if (http_) return http_.get();
  CS_ASSIGN(auto url, server_url());
  CS_ASSIGN(auto* s, store());
  CS_ASSIGN(auto sess, s->session());
  if (need_session && (!sess || sess->token.empty())) {
    return Error(ErrorKind::kUnauthenticated, "not_logged_in", tr("err.not_logged_in"));
  }
  // The saved token belongs to the origin that issued it; --server elsewhere gets none (L6).
  bool ours = sess && !sess->token.empty() && same_origin(url, sess->server);
  if (need_session && !ours) {
    return Error(ErrorKind::kUnauthenticated, "not_logged_in",
                 tr("err.session_other_server", sess->server));
  }
  CS_TRY(check_transport(url));
  http_ = std::make_unique<Http>(url, ours ? sess->token : "", ours ? sess->server : "");
  phone_ = sess ? sess->phone : "";
  return http_.get();
}

Result<ShieldClient> Ctx::shield() {
  CS_ASSIGN(auto* h, api());
  CS_ASSIGN(auto d, device());
  return ShieldClient(*h, d, rng);
}

// ---- small helpers ----

std::string str(const json& j, const char* k) {
  if (!j.is_object() || !j.contains(k)) return "";
  if (j[k].is_string()) return j[k];
  if (j[k].is_null()) return "";
  return j[k].dump();
}

Result<std::string> read_input_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  CS_ASSIGN(auto t, read_text_file(path));
  if (!t) return usage("no such file: " + path);
  return *t;
}

Status write_output_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error(ErrorKind::kInternal, "io", "cannot write " + path);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) return Error(ErrorKind::kInternal, "io", "cannot write " + path);
  return ok_status();
}

std::string new_request_id(Rng& rng) {
  return "cli-" + hex_encode(rng.bytes(12));
}

// The SMS code: given on the command line, or sent now (to the session's phone) and asked for.
// action/object_id: bind an authorise code to the operation it is for (the SMS names it).
Result<std::string> sms_code(Ctx& ctx, const std::string& given, const std::string& purpose,
                             const std::string& action, const std::string& object_id) {
  if (!given.empty()) return given;
  CS_ASSIGN(auto* h, ctx.api());
  json body = {{"purpose", purpose}};
  if (!action.empty()) {
    body["action"] = action;
    body["object_id"] = object_id;
  }
  CS_TRY(h->call("POST", "/api/v1/account/sms-codes", body));
  std::cerr << tr("msg.code_sent", ctx.phone()) << "\n";
  return ctx.prompter().line(tr("prompt.sms_code"));
}

Result<SecretString> new_cert_password(Ctx& ctx) {
  CS_ASSIGN(auto pw,
            ctx.new_prompter().new_secret(tr("prompt.new_cert_password"), tr("prompt.confirm")));
  if (pw.size() < 6) return invalid_argument("password_short", tr("err.password_short"));
  return pw;
}

// Which key: --key, else the key of --cert, else the only key on this device.
Result<KeyFile> choose_key(Ctx& ctx, const std::string& key_id, const std::string& cert_id) {
  CS_ASSIGN(auto* s, ctx.store());
  if (!key_id.empty()) {
    auto k = s->load_key(key_id);
    if (!k && k.error().code == "unknown_key") {
      return not_found("unknown_key", tr("err.unknown_key", key_id));
    }
    return k;
  }
  CS_ASSIGN(auto keys, s->keys());
  if (!cert_id.empty()) {
    for (auto& k : keys) {
      if (k.certificate_id == cert_id) return k;
    }
    // A renewed or changed certificate of a key on this device.
    CS_ASSIGN(auto* h, ctx.api());
    CS_ASSIGN(auto c, h->call("GET", "/api/v1/account/certificates/" + cert_id));
    std::string kid = c.contains("key") ? str(c["key"], "id") : "";
    if (kid.empty()) kid = c.contains("certificate") ? str(c["certificate"], "key_id") : "";
    for (auto& k : keys) {
      if (k.key_id == kid) return k;
    }
    return not_found("unknown_key", tr("err.unknown_key", cert_id));
  }
  if (keys.empty()) return not_found("no_key", tr("err.no_key"));
  if (keys.size() > 1) {
    // Several staff certificates: the one chosen with `certseal cloudkey use`.
    const std::string chosen = chosen_key(s->root());
    for (auto& k : keys) {
      if (!chosen.empty() && k.key_id == chosen) return k;
    }
    return usage(tr("err.several_keys"));
  }
  return keys.front();
}

std::string chosen_key(const fs::path& data_dir) {
  auto text = read_text_file(data_dir / "cloudkey.json");
  if (!text || !*text) return "";
  auto j = json::parse(**text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  return str(j, "key_id");
}

Status choose_cloud_key(const fs::path& data_dir, const std::string& key_id) {
  if (key_id.empty()) {
    std::error_code ec;
    fs::remove(data_dir / "cloudkey.json", ec);
    return {};
  }
  return write_file_atomic(data_dir / "cloudkey.json", json{{"key_id", key_id}}.dump() + "\n");
}

// Turns bad_unlock_proof / key_locked into the user's message (with tries left when known).
Error explain_unlock_error(Ctx& ctx, const KeyFile& key, Error e) {
  if (e.code == "key_locked") {
    e.message = tr("err.key_locked");
    return e;
  }
  if (e.code != "bad_unlock_proof") return e;
  json p = problem_of(e);
  std::optional<long> left;
  for (const char* f : {"remaining_attempts", "attempts_left", "tries_left", "remaining"}) {
    if (p.contains(f) && p[f].is_number_integer()) left = p[f].get<long>();
  }
  if (!left) {
    // The server words it as "...; N attempts left" in the detail.
    std::smatch m;
    const std::string detail = p.contains("detail") && p["detail"].is_string()
                                   ? p["detail"].get<std::string>()
                                   : e.message;
    if (std::regex_search(detail, m, std::regex("([0-9]+) attempts? left"))) left = std::stol(m[1]);
    if (detail.find("now locked") != std::string::npos) left = 0;
  }
  if (!left && !key.certificate_id.empty()) {
    if (auto h = ctx.api(); h) {
      if (auto c = (*h)->call("GET", "/api/v1/account/certificates/" + key.certificate_id);
          c && c->contains("key") && (*c)["key"].contains("failures") &&
          (*c)["key"]["failures"].is_number_integer()) {
        left = 5 - (*c)["key"]["failures"].get<long>();
        if ((*c)["key"].value("status", "") == "locked") {
          e.code = "key_locked";
          e.message = tr("err.key_locked");
          return e;
        }
      }
    }
  }
  e.message = left ? tr("err.wrong_password_left", std::to_string(*left < 0 ? 0 : *left))
                   : tr("err.wrong_password");
  if (left && *left <= 0) e.message += "; " + tr("err.key_locked");
  return e;
}

// Runs fn with the share unlocked by the certificate password (asked for here: the PIN cache
// never hands a share out), then hands the unlocked share to the cache, if one runs.
Result<json> with_unlocked(Ctx& ctx, const KeyFile& key,
                           const std::function<Result<json>(const Unlocked&)>& fn) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto dev, ctx.device());
  const std::string sock = s->agent_socket().string();
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cert_password")));
  CS_ASSIGN(auto u,
            unlock_with_password(key, dev.device_id, std::string_view(pw.data(), pw.size())));
  auto r = fn(u);
  if (!r) return explain_unlock_error(ctx, key, std::move(r).error());
  if (agent_running(sock)) (void)agent_put(sock, key.key_id, dev.device_id, u.share, u.auth_key);
  return r;
}

// Runs fn with the device half of a two-party step (client/device_half.h): the PIN cache's when
// it holds the key (d1 and the auth key stay inside the agent), else this process's after asking
// for the certificate password, whose unlocked share is then handed to the cache, if one runs.
Result<json> with_device_half(Ctx& ctx, const KeyFile& key,
                              const std::function<Result<json>(DeviceHalf&)>& fn) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto dev, ctx.device());
  const std::string sock = s->agent_socket().string();
  const bool agent = agent_running(sock);
  if (agent && agent_has_key(sock, key.key_id)) {
    AgentDeviceHalf half(sock, key.key_id);
    auto r = fn(half);
    if (r) return r;
    // A share cached before the password was changed elsewhere, or one that expired meanwhile:
    // forget it and ask for the password. A ciphertext too large for the agent's 1 MiB frames is
    // decrypted here, after the password, too.
    const std::string& code = r.error().code;
    if (code != "bad_unlock_proof" && code != "agent_not_cached" && code != "frame_too_large") {
      return explain_unlock_error(ctx, key, std::move(r).error());
    }
    if (code != "frame_too_large")
      (void)agent_request(sock, {{"op", "forget"}, {"key_id", key.key_id}});
  }
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cert_password")));
  CS_ASSIGN(auto u,
            unlock_with_password(key, dev.device_id, std::string_view(pw.data(), pw.size())));
  SystemClock clock;
  LocalDeviceHalf half(key.key_id, dev.device_id, u.share, SecretBytes(u.auth_key), ctx.rng, clock);
  auto r = fn(half);
  if (!r) return explain_unlock_error(ctx, key, std::move(r).error());
  if (agent) (void)agent_put(sock, key.key_id, dev.device_id, u.share, u.auth_key);
  return r;
}

Result<json> with_rsa_unlocked(Ctx& ctx, const KeyFile& key, const std::function<Result<json>(const UnlockedRsa&)>& fn) {
  CS_ASSIGN(auto dev, ctx.device());
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cert_password")));
  CS_ASSIGN(auto u, unlock_rsa_with_password(key, dev.device_id, std::string_view(pw.data(), pw.size())));
  auto r = fn(u);
  if (!r) return explain_unlock_error(ctx, key, std::move(r).error());
  return r;
}

Result<json> with_ecdsa_unlocked(Ctx& ctx, const KeyFile& key,
                                 const std::function<Result<json>(const UnlockedEcdsa&)>& fn) {
  if (key.unusable) {
    return failed_precondition("key_unusable", tr("err.key_unusable"));
  }
  CS_ASSIGN(auto dev, ctx.device());
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cert_password")));
  CS_ASSIGN(auto u, unlock_ecdsa_with_password(key, dev.device_id, std::string_view(pw.data(), pw.size())));
  auto r = fn(u);
  if (!r && r.error().code == "ecdsa_split_abort") {
    KeyFile stopped = key;
    stopped.unusable = true;
    stopped.unusable_reason = "ecdsa_split_abort " + format_rfc3339_ms(SystemClock().now());
    CS_ASSIGN(auto* s, ctx.store());
    CS_TRY(s->save_key(stopped));
    Error e = std::move(r).error();
    e.message = tr("err.key_aborted");
    return e;
  }
  if (!r) return explain_unlock_error(ctx, key, std::move(r).error());
  return r;
}

Result<json> with_signature(Ctx& ctx, ShieldClient& sh, const KeyFile& key, BytesView message,
                            const std::string& purpose, const std::function<Result<json>(const Bytes&)>& fn) {
  if (is_rsa_key(key)) {
    return with_rsa_unlocked(ctx, key, [&](const UnlockedRsa& u) -> Result<json> {
      CS_ASSIGN(auto sig, sh.rsa_sign(key, u, message, purpose));
      return fn(sig);
    });
  }
  if (is_ecdsa_key(key)) {
    return with_ecdsa_unlocked(ctx, key, [&](const UnlockedEcdsa& u) -> Result<json> {
      CS_ASSIGN(auto sig, sh.ecdsa_sign(key, u, message, purpose));
      return fn(sig);
    });
  }
  return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
    CS_ASSIGN(auto raw, sh.sign(key, half, message, crypto::kSm2DefaultId, purpose));
    CS_ASSIGN(auto der, crypto::ec_sig_raw_to_der(raw));
    return fn(der);
  });
}

std::string content_type_of(const std::string& bytes) {
  if (bytes.rfind("\x89PNG", 0) == 0) return "image/png";
  if (bytes.size() > 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8) {
    return "image/jpeg";
  }
  return "application/octet-stream";
}

std::string fen(const json& j, const char* k) {
  if (!j.contains(k) || !j[k].is_number_integer()) return "";
  long v = j[k].get<long>();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld.%02ld", v / 100, v % 100);
  return buf;
}

// Text mode: says so, on one line, when a list the server returned is empty.
void say_if_empty(const Ctx& ctx, const json& items, std::string_view message_key) {
  if (!ctx.g.json && (!items.is_array() || items.empty())) std::cout << tr(message_key) << "\n";
}

}  // namespace certseal::client::cli
