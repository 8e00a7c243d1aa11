#include "client/cli.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/rng.h"
#include "client/agent.h"
#include "client/cert_fields.h"
#include "client/cmd_pc.h"
#include "client/cmd_seal.h"
#include "client/cmd_token.h"
#include "client/device_store.h"
#include "client/duration.h"
#include "client/exit_codes.h"
#include "client/http.h"
#include "client/ledger_verify.h"
#include "client/origin.h"
#include "client/messages.h"
#include "client/prompt.h"
#include "client/qr_decode.h"
#include "client/shield.h"
#include "crypto/pairing.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"
#include "pki/login_assertion.h"

namespace certseal::client {
namespace {

using nlohmann::json;
using Action = std::function<Result<json>()>;

Error usage(std::string msg) { return invalid_argument("usage", std::move(msg)); }

// ---- global options and the per-run context ----

struct Globals {
  std::string server, data_dir, lang;
  bool json = false;
  int password_fd = -1;
  int new_password_fd = -1;
};

class Ctx {
 public:
  Globals g;
  SystemRng rng;

  Result<DeviceStore*> store() {
    if (!store_) {
      CS_ASSIGN(auto dir, resolve_data_dir(g.data_dir));
      CS_ASSIGN(auto s, DeviceStore::open(dir));
      store_.emplace(std::move(s));
    }
    return &*store_;
  }
  Result<DeviceInfo> device() {
    CS_ASSIGN(auto* s, store());
    return s->device(rng);
  }
  Prompter& prompter() {
    if (!prompter_) prompter_.emplace(g.password_fd);
    return *prompter_;
  }
  // New passwords come from --new-password-fd when given, else from the same source.
  Prompter& new_prompter() {
    if (g.new_password_fd >= 0) {
      if (!new_prompter_) new_prompter_.emplace(g.new_password_fd);
      return *new_prompter_;
    }
    return prompter();
  }
  Result<std::string> server_url() {
    if (!g.server.empty()) return g.server;
    CS_ASSIGN(auto* s, store());
    CS_ASSIGN(auto sess, s->session());
    if (sess && !sess->server.empty()) return sess->server;
    if (const char* e = std::getenv("CERTSEAL_SERVER"); e && *e) return std::string(e);
    return usage(tr("err.no_server"));
  }
  // The API with the session's token (need_session: "not_logged_in" without one).
  Result<Http*> api(bool need_session = true) {
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
      return Error(ErrorKind::kUnauthenticated, "not_logged_in", tr("err.session_other_server", sess->server));
    }
    CS_TRY(check_transport(url));
    http_ = std::make_unique<Http>(url, ours ? sess->token : "", ours ? sess->server : "");
    phone_ = sess ? sess->phone : "";
    return http_.get();
  }
  const std::string& phone() const { return phone_; }

  Result<ShieldClient> shield() {
    CS_ASSIGN(auto* h, api());
    CS_ASSIGN(auto d, device());
    return ShieldClient(*h, d, rng);
  }

 private:
  std::optional<DeviceStore> store_;
  std::optional<Prompter> prompter_, new_prompter_;
  std::unique_ptr<Http> http_;
  std::string phone_;
};

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

std::string new_request_id(Rng& rng) { return "cli-" + hex_encode(rng.bytes(12)); }

// The SMS code: given on the command line, or sent now (to the session's phone) and asked for.
// action/object_id: bind an authorise code to the operation it is for (the SMS names it).
Result<std::string> sms_code(Ctx& ctx, const std::string& given, const std::string& purpose,
                             const std::string& action = "", const std::string& object_id = "") {
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
  CS_ASSIGN(auto pw, ctx.new_prompter().new_secret(tr("prompt.new_cert_password"), tr("prompt.confirm")));
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
  if (keys.size() > 1) return usage(tr("err.several_keys"));
  return keys.front();
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
    const std::string detail = p.contains("detail") && p["detail"].is_string() ? p["detail"].get<std::string>() : e.message;
    if (std::regex_search(detail, m, std::regex("([0-9]+) attempts? left"))) left = std::stol(m[1]);
    if (detail.find("now locked") != std::string::npos) left = 0;
  }
  if (!left && !key.certificate_id.empty()) {
    if (auto h = ctx.api(); h) {
      if (auto c = (*h)->call("GET", "/api/v1/account/certificates/" + key.certificate_id);
          c && c->contains("key") && (*c)["key"].contains("failures") && (*c)["key"]["failures"].is_number_integer()) {
        left = 5 - (*c)["key"]["failures"].get<long>();
        if ((*c)["key"].value("status", "") == "locked") {
          e.code = "key_locked";
          e.message = tr("err.key_locked");
          return e;
        }
      }
    }
  }
  e.message = left ? tr("err.wrong_password_left", std::to_string(*left < 0 ? 0 : *left)) : tr("err.wrong_password");
  if (left && *left <= 0) e.message += "; " + tr("err.key_locked");
  return e;
}

// Runs fn with the share unlocked by the certificate password (asked for here: the PIN cache
// never hands a share out), then hands the unlocked share to the cache, if one runs.
Result<json> with_unlocked(Ctx& ctx, const KeyFile& key, const std::function<Result<json>(const Unlocked&)>& fn) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto dev, ctx.device());
  const std::string sock = s->agent_socket().string();
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cert_password")));
  CS_ASSIGN(auto u, unlock_with_password(key, dev.device_id, std::string_view(pw.data(), pw.size())));
  auto r = fn(u);
  if (!r) return explain_unlock_error(ctx, key, std::move(r).error());
  if (agent_running(sock)) (void)agent_put(sock, key.key_id, dev.device_id, u.share, u.auth_key);
  return r;
}

// Runs fn with the device half of a two-party step (client/device_half.h): the PIN cache's when
// it holds the key (d1 and the auth key stay inside the agent), else this process's after asking
// for the certificate password, whose unlocked share is then handed to the cache, if one runs.
Result<json> with_device_half(Ctx& ctx, const KeyFile& key, const std::function<Result<json>(DeviceHalf&)>& fn) {
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
    if (code != "frame_too_large") (void)agent_request(sock, {{"op", "forget"}, {"key_id", key.key_id}});
  }
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cert_password")));
  CS_ASSIGN(auto u, unlock_with_password(key, dev.device_id, std::string_view(pw.data(), pw.size())));
  SystemClock clock;
  LocalDeviceHalf half(key.key_id, dev.device_id, u.share, SecretBytes(u.auth_key), ctx.rng, clock);
  auto r = fn(half);
  if (!r) return explain_unlock_error(ctx, key, std::move(r).error());
  if (agent) (void)agent_put(sock, key.key_id, dev.device_id, u.share, u.auth_key);
  return r;
}

std::string content_type_of(const std::string& bytes) {
  if (bytes.rfind("\x89PNG", 0) == 0) return "image/png";
  if (bytes.size() > 2 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8) {
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

// ---- commands ----

Result<json> cmd_login(Ctx& ctx, std::string phone, std::string code) {
  CS_ASSIGN(auto url, ctx.server_url());
  CS_ASSIGN(auto* s, ctx.store());
  Http http(url);
  if (phone.empty()) {
    CS_ASSIGN(phone, ctx.prompter().line(tr("prompt.phone")));
  }
  if (code.empty()) {
    CS_TRY(http.call("POST", "/api/v1/sms-codes", {{"phone", phone}, {"purpose", "login"}}));
    std::cerr << tr("msg.code_sent", phone) << "\n";
    CS_ASSIGN(code, ctx.prompter().line(tr("prompt.sms_code")));
  }
  CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.login_password")));
  json body = {{"phone", phone}, {"code", code}};
  if (!pw.empty()) body["password"] = std::string(pw.begin(), pw.end());
  auto r = http.call("POST", "/api/v1/sessions", body);
  wipe_json_strings(body, {"password"});
  CS_TRY(r);
  Session sess{url, str(*r, "token"), phone, str(*r, "expires_at")};
  CS_TRY(s->save_session(sess));
  bool registered = false;
  if (r->value("password_required", false)) {
    CS_ASSIGN(auto np, ctx.new_prompter().new_secret(tr("prompt.new_login_password"), tr("prompt.confirm")));
    http.set_token(sess.token);
    json pbody = {{"password", std::string(np.begin(), np.end())}};
    auto set = http.call("PUT", "/api/v1/account/password", pbody);
    wipe_json_strings(pbody, {"password"});
    CS_TRY(set);
    registered = true;
  }
  json out = {{"phone", phone}, {"server", url}, {"created", r->value("created", false)},
              {"expires_at", sess.expires_at}, {"account", (*r)["account"]}};
  std::cout << (ctx.g.json ? "" : (registered ? tr("msg.registered", phone) : tr("msg.logged_in", phone)) + "\n");
  return out;
}

Result<json> cmd_logout(Ctx& ctx) {
  CS_ASSIGN(auto* s, ctx.store());
  if (auto h = ctx.api(); h) (void)(*h)->call("DELETE", "/api/v1/sessions/current");
  CS_TRY(s->clear_session());
  if (!ctx.g.json) std::cout << tr("msg.logged_out") << "\n";
  return json{{"logged_out", true}};
}

Result<json> cmd_sms_code(Ctx& ctx, const std::string& phone, const std::string& purpose, const std::string& for_action,
                          const std::string& object_id) {
  if (purpose == "login" || purpose == "reset_password") {
    if (phone.empty()) return usage("--phone is required for purpose " + purpose);
    CS_ASSIGN(auto url, ctx.server_url());
    Http http(url);
    return http.call("POST", "/api/v1/sms-codes", {{"phone", phone}, {"purpose", purpose}});
  }
  CS_ASSIGN(auto* h, ctx.api());
  json body = {{"purpose", purpose}};
  if (!for_action.empty()) {
    body["action"] = for_action;
    body["object_id"] = object_id;
  }
  return h->call("POST", "/api/v1/account/sms-codes", body);
}

// Text mode: says so, on one line, when a list the server returned is empty.
void say_if_empty(const Ctx& ctx, const json& items, std::string_view message_key) {
  if (!ctx.g.json && (!items.is_array() || items.empty())) std::cout << tr(message_key) << "\n";
}

Result<json> cmd_identity_list(Ctx& ctx) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/identities"));
  if (!ctx.g.json) {
    std::string cur = str(r, "current_identity_id");
    for (const auto& i : r.value("items", json::array())) {
      std::cout << (str(i, "id") == cur ? "* " : "  ") << str(i, "id") << "  " << str(i, "kind") << "  "
                << str(i, "org_name") << str(i, "org_id") << "\n";
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_identities");
  return r;
}

Result<json> cmd_identity_switch(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("PUT", "/api/v1/sessions/current/identity", {{"identity_id", id}}));
  if (!ctx.g.json) std::cout << tr("msg.identity_switched", id) << "\n";
  return r;
}

struct VerifyArgs {
  std::string name, id_number, front, back, code;
  int agreement_version = 0;
  bool status = false;
};

// ---- transparency log ----

Result<json> cmd_ledger_verify(Ctx& ctx, const LedgerVerifyArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto rep, verify_ledger(*h, a));
  if (!ctx.g.json) {
    if (rep.key_from_server) std::cerr << tr("msg.ledger_tofu", a.state_file.empty() ? "-" : a.state_file) << "\n";
    if (rep.old_size > 0) std::cout << tr("msg.ledger_consistent", std::to_string(rep.old_size)) << "\n";
    std::cout << tr("msg.ledger_ok", std::to_string(rep.records), std::to_string(rep.size)) << "\n";
  }
  return rep.to_json();
}

Result<json> cmd_verify(Ctx& ctx, const VerifyArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  if (a.status) {
    CS_ASSIGN(auto r, h->call("GET", "/api/v1/person-verifications/current"));
    if (!ctx.g.json) std::cout << str(r, "status") << "  " << str(r, "name") << "  " << str(r, "id_number") << "\n";
    return r;
  }
  if (a.name.empty() || a.id_number.empty() || a.front.empty() || a.back.empty()) {
    return usage("verify needs --name, --id-number, --front and --back");
  }
  int version = a.agreement_version;
  if (version <= 0) {
    CS_ASSIGN(auto ag, h->call("GET", "/api/v1/agreements/person_verification"));
    version = ag.value("version", 1);
  }
  CS_ASSIGN(auto front, read_input_file(a.front));
  CS_ASSIGN(auto back, read_input_file(a.back));
  CS_ASSIGN(auto fb, h->upload("/api/v1/blobs?purpose=id_card_front", front, content_type_of(front)));
  CS_ASSIGN(auto bb, h->upload("/api/v1/blobs?purpose=id_card_back", back, content_type_of(back)));
  CS_ASSIGN(auto code, sms_code(ctx, a.code, "verify_person"));
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/person-verifications",
                            {{"agreement_version", version},
                             {"name", a.name},
                             {"id_number", a.id_number},
                             {"code", code},
                             {"id_card_front", str(fb, "id")},
                             {"id_card_back", str(bb, "id")}}));
  if (!ctx.g.json) std::cout << tr("msg.verified", str(r, "status")) << "\n";
  return r;
}

// ---- organisations ----

Result<json> cmd_org_list(Ctx& ctx) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto ids, h->call("GET", "/api/v1/identities"));
  json out = json::array();
  for (const auto& i : ids.value("items", json::array())) {
    std::string org = str(i, "org_id");
    if (org.empty()) continue;
    auto o = h->call("GET", "/api/v1/organisations/" + org);
    json row = {{"identity_id", str(i, "id")}, {"role", str(i, "kind")}, {"org_id", org}};
    if (o) {
      row["name"] = str(*o, "name");
      row["status"] = str(*o, "status");
    }
    if (!ctx.g.json) std::cout << org << "  " << str(row, "role") << "  " << str(row, "name") << "  " << str(row, "status") << "\n";
    out.push_back(row);
  }
  say_if_empty(ctx, out, "msg.empty_orgs");
  return json{{"items", out}};
}

Result<json> cmd_org_search(Ctx& ctx, const std::string& name, const std::string& credit_code) {
  CS_ASSIGN(auto* h, ctx.api());
  std::string q;
  auto esc = [](const std::string& v) {
    std::string o;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        o.push_back(static_cast<char>(c));
      } else {
        char b[4];
        std::snprintf(b, sizeof b, "%%%02X", c);
        o += b;
      }
    }
    return o;
  };
  if (!name.empty()) q += "name=" + esc(name);
  if (!credit_code.empty()) q += std::string(q.empty() ? "" : "&") + "credit_code=" + esc(credit_code);
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/organisations" + (q.empty() ? "" : "?" + q)));
  if (!ctx.g.json) {
    for (const auto& o : r.value("items", json::array())) {
      std::cout << str(o, "id") << "  " << str(o, "name") << "  " << str(o, "credit_code") << "\n";
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_org_search");
  return r;
}

Result<json> cmd_org_show(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/organisations/" + id));
  if (!ctx.g.json) std::cout << r.dump(2) << "\n";
  return r;
}

Result<json> cmd_org_create(Ctx& ctx, const std::string& name, const std::string& code, bool legal_rep, int version) {
  CS_ASSIGN(auto* h, ctx.api());
  if (version <= 0) {
    CS_ASSIGN(auto ag, h->call("GET", "/api/v1/agreements/organisation"));
    version = ag.value("version", 1);
  }
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/organisations",
                            {{"name", name}, {"credit_code", code}, {"creator_is_legal_rep", legal_rep},
                             {"agreement_version", version}}));
  if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
  return r;
}

Result<json> cmd_org_join(Ctx& ctx, const std::string& id, const std::string& statement, const std::string& admin_name,
                          const std::string& admin_phone) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/organisations/" + id + "/join-requests",
                            {{"statement", statement}, {"admin_name", admin_name}, {"admin_phone", admin_phone}}));
  if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
  return r;
}

// ---- orders and payment ----

void print_order(const json& o) {
  std::cout << str(o, "id") << "  " << str(o, "status") << "  " << str(o, "product_name") << "  x" << str(o, "quantity")
            << "  " << fen(o, "amount_fen") << "\n";
}

Result<json> cmd_catalogue(Ctx& ctx) {
  CS_ASSIGN(auto url, ctx.server_url());
  Http http(url);
  CS_ASSIGN(auto r, http.call("GET", "/api/v1/catalogue"));
  if (!ctx.g.json) {
    for (const auto& p : r.value("platforms", json::array())) std::cout << "platform   " << str(p, "id") << "  " << str(p, "name") << "\n";
    for (const auto& p : r.value("seal_makers", json::array())) std::cout << "seal_maker " << str(p, "id") << "  " << str(p, "name") << "\n";
    for (const auto& p : r.value("products", json::array())) {
      std::cout << "product    " << str(p, "id") << "  " << str(p, "name") << "  " << str(p, "ca_id") << "  "
                << fen(p, "price_fen") << "\n";
    }
  }
  say_if_empty(ctx, r.value("products", json::array()), "msg.empty_catalogue");
  return r;
}

struct OrderArgs {
  std::string product, platform, seal_maker, org, certificate, idempotency_key;
  int quantity = 0;
};

Result<json> cmd_order_create(Ctx& ctx, const OrderArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  if (a.platform.empty() && a.certificate.empty()) return usage("order create needs --platform (or --certificate)");
  json body = {{"product_id", a.product}};
  if (!a.platform.empty()) body["platform_id"] = a.platform;
  if (!a.certificate.empty()) body["certificate_id"] = a.certificate;
  if (!a.seal_maker.empty()) body["seal_maker_id"] = a.seal_maker;
  if (!a.org.empty()) body["org_id"] = a.org;
  if (a.quantity > 0) body["quantity"] = a.quantity;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders", body));
  if (!ctx.g.json) print_order(r);
  return r;
}

Result<json> cmd_order_authorise(Ctx& ctx, const std::string& id, const std::string& given) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + id + "/authorisation", {{"code", code}}));
  if (!ctx.g.json) print_order(r);
  return r;
}

Result<json> cmd_order_list(Ctx& ctx, const std::string& tab) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/orders?tab=" + (tab.empty() ? std::string("all") : tab)));
  if (!ctx.g.json) {
    for (const auto& o : r.value("items", json::array())) print_order(o);
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_orders");
  return r;
}

Result<json> cmd_order_show(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/orders/" + id));
  if (!ctx.g.json) std::cout << r.dump(2) << "\n";
  return r;
}

Result<json> cmd_order_cancel(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + id + "/cancellation"));
  if (!ctx.g.json) print_order(r);
  return r;
}

// Follows the sandbox gateway's page and presses its "pay" button (the page's form).
Result<json> sandbox_complete(Ctx& ctx, Http& h, const std::string& pay_url, const std::string& order, int wait_s) {
  std::string url = pay_url;
  auto page = h.raw("GET", url);
  if (!page || page->status != 200) {
    // The gateway may advertise a public URL this machine cannot reach; use the server we talk to.
    auto p = pay_url.find("/sandbox-pay/");
    if (p == std::string::npos) return page ? Result<json>(error_from_response(*page)) : Result<json>(page.error());
    url = h.base_url() + pay_url.substr(p);
    CS_ASSIGN(page, h.raw("GET", url));
    if (page->status != 200) return error_from_response(*page);
  }
  std::smatch m;
  std::string action;
  if (std::regex_search(page->body, m, std::regex("<form[^>]*action=\"([^\"]+)\"", std::regex::icase))) action = m[1];
  if (action.empty()) return unavailable("bad_answer", "the sandbox page has no payment form");
  std::string target = action;
  if (action.rfind("http", 0) != 0) {
    auto scheme = url.find("://");
    auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    target = url.substr(0, slash) + action;
  }
  CS_ASSIGN(auto paid, h.raw("POST", target, "", "application/x-www-form-urlencoded"));
  if (paid.status / 100 != 2) return error_from_response(paid);
  // The gateway notifies the shop asynchronously: wait until the order moves on.
  json o;
  for (int i = 0; i < wait_s * 10; ++i) {
    CS_ASSIGN(o, h.call("GET", "/api/v1/orders/" + order));
    std::string st = str(o, "status");
    if (st != "awaiting_payment" && st != "created") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ctx.g.json) std::cout << tr("msg.paid", str(o, "status")) << "\n";
  return o;
}

Result<json> cmd_pay_online(Ctx& ctx, const std::string& order, const std::string& gateway, bool complete, int wait_s) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + order + "/online-payments", {{"gateway", gateway}}));
  std::string url = str(r, "pay_url");
  if (!ctx.g.json) std::cout << tr("msg.pay_url", url) << "\n";
  if (!complete) return r;
  if (gateway != "sandbox") return usage("--sandbox-complete works with the sandbox gateway only");
  CS_ASSIGN(auto o, sandbox_complete(ctx, *h, url, order, wait_s));
  r["order"] = o;
  return r;
}

Result<json> cmd_pay_transfer(Ctx& ctx, const std::string& order, const std::string& payer, const std::string& account,
                              long amount, const std::string& reference) {
  CS_ASSIGN(auto* h, ctx.api());
  json body = {{"payer_name", payer}, {"payer_account", account}, {"amount_fen", amount}};
  if (!reference.empty()) body["reference"] = reference;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + order + "/bank-transfers", body));
  if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
  return r;
}

// ---- certificates ----

Result<json> cmd_cert_list(Ctx& ctx) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto keys, s->keys());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/account/certificates"));
  if (r.contains("items") && r["items"].is_array()) {
    for (auto& c : r["items"]) {
      bool here = false;
      for (const auto& k : keys) here = here || k.key_id == str(c, "key_id");
      c["on_this_device"] = here;
      if (!ctx.g.json) {
        std::cout << (here ? "* " : "  ") << str(c, "id") << "  " << str(c, "status") << "  " << str(c, "subject")
                  << "  " << str(c, "not_after") << (c.value("current", true) ? "" : "  (replaced)")
                  << (c.contains("reissue_notice") && !c["reissue_notice"].is_null() ? "  [reissue]" : "") << "\n";
      }
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_certs");
  return r;
}

Result<json> cmd_cert_show(Ctx& ctx, const std::string& id, const std::string& copy) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/account/certificates/" + id));
  json cert = with_details(r.contains("certificate") ? r["certificate"] : r);
  if (!copy.empty()) {
    CS_ASSIGN(auto v, copy_field(cert, copy));
    std::cout << (ctx.g.json ? json{{"field", copy}, {"value", v}}.dump() : v) << "\n";
    return json();  // already printed
  }
  r["certificate"] = cert;
  if (!ctx.g.json) {
    const json d = cert.value("details", json::object());
    auto line = [](const std::string& k, const std::string& v) { std::cout << k << ": " << v << "\n"; };
    line("id", str(cert, "id"));
    line("status", str(cert, "status"));
    line("subject", str(d, "subject").empty() ? str(cert, "subject") : str(d, "subject"));
    line("issuer", str(d, "issuer"));
    line("serial", str(d, "serial").empty() ? str(cert, "serial") : str(d, "serial"));
    line("not_before", str(cert, "not_before"));
    line("not_after", str(cert, "not_after"));
    if (d.contains("public_key")) line("public_key", str(d["public_key"], "algorithm") + " " + str(d["public_key"], "bits"));
    std::string ku;
    for (const auto& u : d.value("key_usage", json::array())) ku += (ku.empty() ? "" : ",") + u.get<std::string>();
    line("key_usage", ku);
    if (d.contains("thumbprints")) {
      for (const char* t : {"sha1", "sha256", "sm3", "md5"}) line(std::string("thumbprint ") + t, str(d["thumbprints"], t));
    }
    if (r.contains("key")) line("key", str(r["key"], "id") + " (" + str(r["key"], "status") + ")");
  }
  return r;
}

Result<json> cmd_cert_install(Ctx& ctx, const std::string& order, const std::string& device_name) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto dev, ctx.device());
  if (!device_name.empty()) dev.device_name = device_name;
  ShieldClient sh(*h, dev, ctx.rng);
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  json answer;
  CS_ASSIGN(auto k, sh.install("/api/v1/orders/" + order + "/installation", json::object(),
                               std::string_view(pw.data(), pw.size()), &answer));
  CS_TRY(s->save_key(k));
  if (!ctx.g.json) std::cout << tr("msg.installed", k.key_id, k.certificate_id) << "\n";
  return json{{"key_id", k.key_id}, {"certificate_id", k.certificate_id}, {"certificate", answer["certificate"]}};
}

// Renewal and change: a new certificate for the same key; the key file follows it.
Result<json> cmd_cert_new_version(Ctx& ctx, const std::string& id, const std::string& what, std::string request_id,
                                  const std::string& order_id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto* s, ctx.store());
  if (what == "renewals" && order_id.empty()) return usage("renew needs --order (an approved renewal order)");
  if (request_id.empty()) request_id = new_request_id(ctx.rng);
  json body = {{"request_id", request_id}};
  if (!order_id.empty()) body["order_id"] = order_id;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/account/certificates/" + id + "/" + what, body));
  json cert = r.contains("certificate") && r["certificate"].is_object() ? r["certificate"] : r;
  std::string new_id = str(cert, "id");
  CS_ASSIGN(auto keys, s->keys());
  for (auto& k : keys) {
    if (k.certificate_id == id && !new_id.empty()) {
      k.certificate_id = new_id;
      CS_TRY(s->save_key(k));
    }
  }
  if (!ctx.g.json) std::cout << tr("msg.cert_done", new_id) << "\n";
  return r;
}

Result<json> cmd_cert_revoke(Ctx& ctx, const std::string& id, const std::string& reason, const std::string& given,
                             std::string request_id) {
  CS_ASSIGN(auto* h, ctx.api());
  if (request_id.empty()) request_id = new_request_id(ctx.rng);
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/account/certificates/" + id + "/revocations",
                            {{"request_id", request_id}, {"code", code}, {"reason", reason}}));
  if (!ctx.g.json) std::cout << tr("msg.revoked", id) << "\n";
  return r;
}

// Reissue needs, besides the SMS code, the login password and new ID card photos for a fresh
// identity check (server side: ShieldService::reissue).
Result<json> cmd_cert_reissue(Ctx& ctx, const std::string& id, const std::string& given, std::string request_id,
                              const std::string& front_file, const std::string& back_file) {
  if (front_file.empty() || back_file.empty()) return usage("reissue needs --front and --back (new ID card photos)");
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto sh, ctx.shield());
  if (request_id.empty()) request_id = new_request_id(ctx.rng);
  CS_ASSIGN(auto before, h->call("GET", "/api/v1/account/certificates/" + id));
  std::string old_key = before.contains("key") ? str(before["key"], "id") : "";
  CS_ASSIGN(auto front, read_input_file(front_file));
  CS_ASSIGN(auto back, read_input_file(back_file));
  CS_ASSIGN(auto fb, h->upload("/api/v1/blobs?purpose=id_card_front", front, content_type_of(front)));
  CS_ASSIGN(auto bb, h->upload("/api/v1/blobs?purpose=id_card_back", back, content_type_of(back)));
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise", "certificate_reissue", id));
  CS_ASSIGN(auto login_pw, ctx.prompter().secret(tr("prompt.account_password")));
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  json answer;
  json extra = {{"request_id", request_id}, {"code", code}, {"password", std::string(login_pw.begin(), login_pw.end())},
                {"id_card_front", str(fb, "id")}, {"id_card_back", str(bb, "id")}};
  auto installed = sh.install("/api/v1/account/certificates/" + id + "/reissues", extra,
                              std::string_view(pw.data(), pw.size()), &answer);
  wipe_json_strings(extra, {"password"});
  CS_ASSIGN(auto k, std::move(installed));
  CS_TRY(s->save_key(k));
  if (!old_key.empty() && old_key != k.key_id) {
    CS_TRY(s->remove_key(old_key));
    (void)agent_request(s->agent_socket().string(), {{"op", "forget"}, {"key_id", old_key}});
  }
  if (!ctx.g.json) std::cout << tr("msg.installed", k.key_id, k.certificate_id) << "\n";
  return json{{"key_id", k.key_id}, {"certificate_id", k.certificate_id}, {"certificate", answer["certificate"]}};
}

struct SignArgs {
  std::string key, cert, message, in, out, format = "base64", sm2_id = std::string(crypto::kSm2DefaultId),
                                          purpose = "cli";
};

Result<json> cmd_cert_sign(Ctx& ctx, const SignArgs& a) {
  if (a.message.empty() == a.in.empty()) return usage("give exactly one of --message and --in");
  std::string msg = a.message;
  if (!a.in.empty()) {
    CS_ASSIGN(msg, read_input_file(a.in));
  }
  CS_ASSIGN(auto key, choose_key(ctx, a.key, a.cert));
  CS_ASSIGN(auto sh, ctx.shield());
  return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
    CS_ASSIGN(auto raw, sh.sign(key, half, as_bytes(msg), a.sm2_id, a.purpose));
    CS_ASSIGN(auto der, crypto::ec_sig_raw_to_der(raw));
    if (!a.out.empty()) CS_TRY(write_output_file(a.out, as_chars(der)));
    json out = {{"key_id", key.key_id},          {"certificate_id", key.certificate_id},
                {"sm2_id", a.sm2_id},            {"signature", base64_encode(der)},
                {"signature_hex", hex_encode(der)}, {"signature_raw", hex_encode(raw)},
                {"public_key", hex_encode(key.public_key)}};
    if (!ctx.g.json && a.out.empty()) {
      if (a.format == "hex") {
        std::cout << hex_encode(der) << "\n";
      } else if (a.format == "raw") {
        std::cout << hex_encode(raw) << "\n";
      } else {
        std::cout << base64_encode(der) << "\n";
      }
    }
    return out;
  });
}

// ---- scan: QR scenes (docs/INTEGRATION.md; the server side is service/scene) ----

struct ScanArgs {
  std::string image, payload, cert, reason;
  bool yes = false, refuse = false;
};

// The one-time token of a scene QR code <server>/s/<token>, refused unless the code belongs to
// the server this client talks to (a code that sends the user elsewhere is not followed).
Result<std::string> scene_token(Ctx& ctx, const std::string& payload) {
  const std::size_t at = payload.rfind("/s/");
  if (at == std::string::npos || at + 3 >= payload.size()) {
    return invalid_argument("scene_bad_payload", tr("err.scene_bad_payload"));
  }
  const std::string base = payload.substr(0, at), token = payload.substr(at + 3);
  for (char c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return invalid_argument("scene_bad_payload", tr("err.scene_bad_payload"));
    }
  }
  CS_ASSIGN(auto url, ctx.server_url());
  if (!same_origin(base, url)) {
    return permission_denied("scene_other_server", tr("err.scene_other_server", base, url));
  }
  return token;
}

bool printable_text(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\n' && c != '\t') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

Result<json> cmd_scan(Ctx& ctx, const ScanArgs& a) {
  if (a.image.empty() == a.payload.empty()) return usage(tr("err.scan_input"));
  std::string text = a.payload;
  if (!a.image.empty()) {
    CS_ASSIGN(text, decode_qr_png(a.image));
  }
  CS_ASSIGN(auto token, scene_token(ctx, text));
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto claim, h->call("POST", "/api/v1/scene-claims", {{"token", token}}));
  const std::string id = str(claim, "id"), scene = str(claim, "scene");
  const std::string app_name = str(claim, "app_name");
  Bytes message;
  if (claim.contains("message") && claim["message"].is_string()) {
    CS_ASSIGN(message, base64_decode(claim["message"].get<std::string>()));
  }
  // What is asked, before anything is signed (standard error, so --json output stays clean).
  std::cerr << tr("msg.scene_from", app_name, str(claim, "platform_name"), tr("scene." + scene)) << "\n"
            << tr("msg.scene_title", str(claim, "title")) << "\n";
  if (!message.empty()) {
    const std::string m = to_string(message);
    if (scene == "14") {
      std::cerr << tr("msg.scene_decrypt", std::to_string(m.size()), hex_encode(crypto::sha256(message))) << "\n";
    } else if (printable_text(m) && m.size() <= 2000) {
      std::cerr << tr(scene == "16" ? "msg.scene_encrypt" : "msg.scene_message", m) << "\n";
    } else {
      std::cerr << tr("msg.scene_message_binary", std::to_string(m.size()), hex_encode(crypto::sha256(message))) << "\n";
    }
  }
  std::cerr << tr("msg.scene_expires", str(claim, "expires_at")) << "\n";
  auto refuse = [&](const std::string& reason) -> Result<json> {
    CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/refusal", {{"reason", reason}}));
    if (!ctx.g.json) std::cout << tr("msg.scene_refused") << "\n";
    return r;
  };
  if (a.refuse) return refuse(a.reason);
  // Which certificate: --cert, else the only usable one whose key is on this device.
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto keys, s->keys());
  auto on_device = [&](const std::string& cert_id) {
    for (const auto& k : keys) {
      if (k.certificate_id == cert_id) return true;
    }
    return false;
  };
  json chosen;
  std::vector<std::string> usable;
  for (const auto& c : claim["certificates"]) {
    const std::string cid = str(c, "certificate_id");
    if (!a.cert.empty() && cid == a.cert) chosen = c;
    if (c.value("enabled", false) && on_device(cid)) usable.push_back(cid);
  }
  if (!a.cert.empty()) {
    if (chosen.is_null()) return not_found("unknown_key", tr("err.unknown_key", a.cert));
    if (!chosen.value("enabled", false)) {
      return permission_denied(str(chosen, "reason"), tr("err.scene_cert_not_usable", str(chosen, "reason")));
    }
  } else {
    if (usable.empty()) return permission_denied("no_usable_certificate", tr("err.scene_no_certificate"));
    if (usable.size() > 1) {
      std::string list;
      for (const auto& u : usable) list += (list.empty() ? "" : ", ") + u;
      return usage(tr("err.scene_choose_cert", list));
    }
    for (const auto& c : claim["certificates"]) {
      if (str(c, "certificate_id") == usable.front()) chosen = c;
    }
  }
  const std::string cert_id = str(chosen, "certificate_id");
  std::cerr << tr("msg.scene_cert", str(chosen, "subject"), str(chosen, "serial")) << "\n";
  if (!a.yes) {
    CS_ASSIGN(auto answer, ctx.prompter().line(tr("prompt.scene_confirm")));
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "是") return refuse("declined");
  }
  if (scene == "16") {
    // Authorised encryption: the server encrypts to the chosen certificate; no key is used here.
    CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/completion", {{"certificate_id", cert_id}}));
    if (!ctx.g.json) std::cout << tr("msg.scene_done", app_name) << "\n";
    r["certificate_id"] = cert_id;
    r["scene"] = scene;
    return r;
  }
  CS_ASSIGN(auto key, choose_key(ctx, "", cert_id));
  if (scene == "14") {
    // Authorised decryption: unwrap the envelope's content key through the two-party protocol
    // (the server sees only a blinded point) and hand it over for this envelope.
    CS_ASSIGN(auto env, pki::cms::parse_enveloped(message));
    CS_ASSIGN(auto ct, crypto::Sm2Ciphertext::parse_der(env.encrypted_key));
    CS_ASSIGN(auto sh14, ctx.shield());
    return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
      CS_ASSIGN(auto cek, sh14.decrypt(key, half, ct.raw(crypto::Sm2CipherOrder::kC1C3C2),
                                       crypto::Sm2CipherOrder::kC1C3C2, "scene 14 " + id));
      CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/completion",
                                {{"certificate_id", cert_id}, {"content_key", base64_encode(cek)}}));
      if (!ctx.g.json) std::cout << tr("msg.scene_done", app_name) << "\n";
      r["certificate_id"] = cert_id;
      r["scene"] = scene;
      return r;
    });
  }
  CS_ASSIGN(auto pems, pem_decode_all(str(chosen, "certificate_pem")));
  if (pems.empty()) return Error(ErrorKind::kInternal, "bad_answer", "the server sent no certificate");
  const Bytes cert_der = pems.front().der;
  // The content and signed attributes exactly as the server re-builds them (pki/cms_signed.h).
  const std::int64_t signing_time = SystemClock().now_unix();
  Bytes content = message;
  if (scene == "06") {
    const std::string org = str(chosen, "org_id");
    CS_ASSIGN(content, pki::login_assertion({id, str(claim, "app_id"), str(claim, "platform_id"), str(claim, "nonce"),
                                             cert_id, org.empty() ? std::nullopt : std::optional(org), cert_der,
                                             signing_time}));
  }
  CS_ASSIGN(auto form, pki::cms::form_from_name(str(claim, "form")));
  const Bytes attrs = pki::cms::signed_attributes(form, crypto::HashAlg::kSm3, content,
                                                  SysTime(std::chrono::seconds(signing_time)));
  CS_ASSIGN(auto sh, ctx.shield());
  return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
    CS_ASSIGN(auto raw, sh.sign(key, half, attrs, crypto::kSm2DefaultId, "scene " + scene + " " + id));
    CS_ASSIGN(auto der, crypto::ec_sig_raw_to_der(raw));
    CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/completion",
                              {{"certificate_id", cert_id}, {"signing_time", signing_time},
                               {"signature", base64_encode(der)}}));
    if (!ctx.g.json) std::cout << tr("msg.scene_done", app_name) << "\n";
    r["certificate_id"] = cert_id;
    r["scene"] = scene;
    return r;
  });
}

struct DecryptArgs {
  std::string key, cert, in, hex, b64, out, order = "c1c3c2", purpose = "cli";
};

Result<json> cmd_cert_decrypt(Ctx& ctx, const DecryptArgs& a) {
  int given = !a.in.empty() + !a.hex.empty() + !a.b64.empty();
  if (given != 1) return usage("give exactly one of --in, --hex and --base64");
  Bytes cipher;
  if (!a.in.empty()) {
    CS_ASSIGN(auto t, read_input_file(a.in));
    cipher = to_bytes(t);
  } else if (!a.hex.empty()) {
    CS_ASSIGN(cipher, hex_decode(a.hex));
  } else {
    CS_ASSIGN(cipher, base64_decode(a.b64));
  }
  crypto::Sm2CipherOrder order = crypto::Sm2CipherOrder::kC1C3C2;
  if (a.order == "der") {
    CS_ASSIGN(auto c, crypto::Sm2Ciphertext::parse_der(cipher));
    cipher = c.raw(order);
  } else if (a.order == "c1c2c3") {
    order = crypto::Sm2CipherOrder::kC1C2C3;
  } else if (a.order != "c1c3c2") {
    return usage("--order must be c1c3c2, c1c2c3 or der");
  }
  // sm-crypto writes raw ciphertexts without the 04 prefix.
  if (!cipher.empty() && cipher[0] != 0x04 && cipher.size() > 96) cipher.insert(cipher.begin(), 0x04);
  CS_ASSIGN(auto key, choose_key(ctx, a.key, a.cert));
  CS_ASSIGN(auto sh, ctx.shield());
  return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
    CS_ASSIGN(auto plain, sh.decrypt(key, half, cipher, order, a.purpose));
    BytesView pv(plain.data(), plain.size());
    if (!a.out.empty()) CS_TRY(write_output_file(a.out, as_chars(pv)));
    if (!ctx.g.json && a.out.empty()) std::cout << as_chars(pv) << std::flush;
    return json{{"key_id", key.key_id}, {"plaintext_base64", base64_encode(pv)}, {"plaintext_hex", hex_encode(pv)}};
  });
}

// ---- certificate password ----

Result<json> cmd_pin_change(Ctx& ctx, const std::string& key_id, const std::string& cert) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto sh, ctx.shield());
  const std::string sock = s->agent_socket().string();
  // The old password is always asked for here (not taken from the cache): changing it is the
  // owner's decision.
  CS_ASSIGN(auto old_pw, ctx.prompter().secret(tr("prompt.current_cert_password")));
  CS_ASSIGN(auto new_pw, new_cert_password(ctx));
  CS_ASSIGN(auto dev, ctx.device());
  CS_ASSIGN(auto u, unlock_with_password(key, dev.device_id, std::string_view(old_pw.data(), old_pw.size())));
  auto changed = sh.change_password(key, u, std::string_view(new_pw.data(), new_pw.size()));
  if (!changed) return explain_unlock_error(ctx, key, std::move(changed).error());
  CS_TRY(s->save_key(*changed));
  (void)agent_request(sock, {{"op", "forget"}, {"key_id", key.key_id}});
  if (!ctx.g.json) std::cout << tr("msg.pin_changed") << "\n";
  return json{{"key_id", key.key_id}, {"changed", true}};
}

Result<json> cmd_pin_recover(Ctx& ctx, const std::string& key_id, const std::string& cert, const std::string& given,
                             const std::string& face) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto sh, ctx.shield());
  if (face.empty()) return usage("--face <photo.jpg|png> is required: recovery checks who you are again");
  CS_ASSIGN(auto face_image, read_input_file(face));
  ShieldClient::RecoveryFactors f;
  f.face_image = to_bytes(face_image);
  CS_ASSIGN(f.code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(f.login_password, ctx.prompter().secret(tr("prompt.recovery_login_password")));
  CS_ASSIGN(auto new_pw, new_cert_password(ctx));
  CS_ASSIGN(auto k, sh.recover(key, f, std::string_view(new_pw.data(), new_pw.size())));
  CS_TRY(s->save_key(k));
  (void)agent_request(s->agent_socket().string(), {{"op", "forget"}, {"key_id", key.key_id}});
  if (!ctx.g.json) std::cout << tr("msg.pin_recovered") << "\n";
  return json{{"key_id", k.key_id}, {"recovered", true}};
}

// ---- devices ----

Result<json> cmd_device_list(Ctx& ctx, const std::string& key_id, const std::string& cert) {
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto dev, ctx.device());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/shield/keys/" + key.key_id + "/devices"));
  if (!ctx.g.json) {
    for (const auto& d : r.value("items", json::array())) {
      std::cout << (str(d, "device_id") == dev.device_id ? "* " : "  ") << str(d, "device_id") << "  "
                << str(d, "status") << "  " << str(d, "name") << "  " << str(d, "created_at") << "\n";
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_devices");
  r["this_device"] = dev.device_id;
  return r;
}

// The pairing channel's own refusals (crypto/pairing.h), said in the user's language.
Error localise_pairing_error(Error e) {
  if (e.code == "pairing_code_mismatch" || e.code == "bad_pairing_code" || e.code == "pairing_envelope_forged") {
    e.message = tr("err." + e.code);
  }
  return e;
}

Result<json> cmd_device_add(Ctx& ctx, const std::string& pairing, std::string code, const std::string& key_id,
                            const std::string& cert) {
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto sh, ctx.shield());
  if (code.empty()) {
    CS_ASSIGN(code, ctx.prompter().line(tr("prompt.pairing_code")));
  }
  // A typo is told before the password is asked for.
  if (auto parsed = crypto::pairing::parse_code(code); !parsed) return localise_pairing_error(std::move(parsed).error());
  CS_ASSIGN(auto r, with_unlocked(ctx, key, [&](const Unlocked& u) -> Result<json> {
              auto to = sh.add_device(key, u, pairing, code);
              if (!to) return localise_pairing_error(std::move(to).error());
              return json{{"key_id", key.key_id}, {"pairing_id", pairing}, {"status", "delivered"},
                          {"device_id", (*to)["device_id"]}, {"device_name", (*to)["device_name"]}};
            }));
  if (!ctx.g.json) std::cout << tr("msg.device_added", str(r, "device_name"), str(r, "device_id")) << "\n";
  return r;
}

Result<json> cmd_device_remove(Ctx& ctx, const std::string& device_id, const std::string& key_id,
                               const std::string& cert, const std::string& given) {
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/shield/keys/" + key.key_id + "/devices/" + device_id + "/removal",
                            {{"code", code}}));
  CS_ASSIGN(auto dev, ctx.device());
  if (device_id == dev.device_id) {
    CS_ASSIGN(auto* s, ctx.store());
    CS_TRY(s->remove_key(key.key_id));
  }
  if (!ctx.g.json) std::cout << tr("msg.device_removed", device_id) << "\n";
  return r;
}

Result<json> cmd_device_pair(Ctx& ctx, std::string finish, bool no_wait, int wait_s) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto sh, ctx.shield());
  json started;
  if (finish.empty()) {
    CS_ASSIGN(started, sh.start_pairing(*s));
    finish = str(started, "id");
    if (ctx.g.json && no_wait) return started;
    const std::string code = str(started, "code");
    std::cerr << tr("msg.pairing_started", finish, code, finish, code) << "\n";
    if (!ctx.g.json && no_wait) std::cout << finish << "\n";
    if (no_wait) return started;
    std::cerr << tr("msg.pairing_waiting") << "\n";
    bool ready = false;
    for (int i = 0; i < wait_s * 2 && !ready; ++i) {
      CS_ASSIGN(ready, sh.pairing_ready(finish));
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (!ready) return Error(ErrorKind::kTimeout, "pairing_timeout", "the other device did not answer in time");
  }
  CS_ASSIGN(auto ready, sh.pairing_ready(finish));
  if (!ready) return Error(ErrorKind::kFailedPrecondition, "pairing_pending", "the other device has not sent the key share yet");
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  auto completed = sh.complete_pairing(*s, finish, std::string_view(pw.data(), pw.size()));
  if (!completed) return localise_pairing_error(std::move(completed).error());
  KeyFile k = std::move(completed).value();
  CS_TRY(s->save_key(k));
  if (!ctx.g.json) std::cout << tr("msg.device_paired", k.key_id) << "\n";
  return json{{"pairing_id", finish}, {"key_id", k.key_id}, {"certificate_id", k.certificate_id}};
}

// ---- PIN cache ----

Result<json> cmd_agent_start(Ctx& ctx, const std::string& ttl_text, bool foreground) {
  CS_ASSIGN(auto ttl, parse_pin_cache_ttl(ttl_text));
  CS_ASSIGN(auto* s, ctx.store());
  std::string sock = s->agent_socket().string();
  static SystemClock clock;
  if (foreground) {
    AgentServer server(sock, clock, ttl, ::getuid());
    CS_TRY(server.listen());
    if (!ctx.g.json) std::cout << tr("msg.agent_started", format_duration(ttl), sock) << std::endl;
    server.serve();
    return json{{"stopped", true}};
  }
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error(ErrorKind::kInternal, "io", "pipe failed");
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) return Error(ErrorKind::kInternal, "io", "fork failed");
  if (pid == 0) {
    ::close(pipefd[0]);
    ::setsid();
    pid_t grandchild = ::fork();  // not a session leader: never gets a controlling terminal
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    AgentServer server(sock, clock, ttl, ::getuid());
    Status st = server.listen();
    char c = st ? 'o' : (st.error().code == "agent_running" ? 'r' : 'e');
    ssize_t w = ::write(pipefd[1], &c, 1);
    (void)w;
    ::close(pipefd[1]);
    if (st) server.serve();
    ::_exit(st ? 0 : 1);
  }
  ::close(pipefd[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  char c = 0;
  ssize_t n = ::read(pipefd[0], &c, 1);
  ::close(pipefd[0]);
  if (n != 1 || c == 'e') return Error(ErrorKind::kInternal, "agent_failed", "the PIN cache could not start on " + sock);
  if (c == 'r') return conflict("agent_running", "a PIN cache already runs on " + sock);
  if (!ctx.g.json) std::cout << tr("msg.agent_started", format_duration(ttl), sock) << "\n";
  return json{{"socket", sock}, {"ttl_s", ttl.count()}};
}

Result<json> cmd_agent_simple(Ctx& ctx, const json& request, const std::string& done_msg) {
  CS_ASSIGN(auto* s, ctx.store());
  std::string sock = s->agent_socket().string();
  auto r = agent_request(sock, request);
  if (!r && r.error().code == "agent_unavailable") {
    return Error(ErrorKind::kFailedPrecondition, "agent_not_running", tr("msg.agent_not_running"));
  }
  CS_TRY(r);
  if (!ctx.g.json && !done_msg.empty()) std::cout << done_msg << "\n";
  return *r;
}

// What `certseal pc` (cmd_pc.cpp) reaches of this context: the session API, prompts, and the
// device half of a key on this device (the PIN cache's when it holds the key).
PcCliHooks pc_hooks(Ctx& ctx) {
  PcCliHooks h;
  h.api = [&ctx](bool need_session) { return ctx.api(need_session); };
  h.json_output = [&ctx] { return ctx.g.json; };
  h.data_dir = [&ctx]() -> Result<std::filesystem::path> { return resolve_data_dir(ctx.g.data_dir); };
  h.ask_line = [&ctx](const std::string& prompt) { return ctx.prompter().line(prompt); };
  h.sign = [&ctx](const std::string& cert_id, BytesView data, bool is_digest, const std::string& purpose) -> Result<Bytes> {
    CS_ASSIGN(auto key, choose_key(ctx, "", cert_id));
    CS_ASSIGN(auto sh, ctx.shield());
    Bytes out;
    CS_TRY(with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
      if (is_digest) {
        CS_ASSIGN(out, sh.sign_digest(key, half, data, purpose));
      } else {
        CS_ASSIGN(out, sh.sign(key, half, data, crypto::kSm2DefaultId, purpose));
      }
      return json::object();
    }));
    return out;
  };
  h.decrypt = [&ctx](const std::string& cert_id, BytesView ciphertext, const std::string& purpose) -> Result<SecretBytes> {
    CS_ASSIGN(auto key, choose_key(ctx, "", cert_id));
    CS_ASSIGN(auto sh, ctx.shield());
    SecretBytes out;
    CS_TRY(with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
      CS_ASSIGN(out, sh.decrypt(key, half, ciphertext, crypto::Sm2CipherOrder::kC1C3C2, purpose));
      return json::object();
    }));
    return out;
  };
  return h;
}

}  // namespace

// ---- wiring ----

int run_cli(int argc, char** argv) {
  // The language is needed before CLI11 prints errors: peek at --lang.
  std::string lang_flag;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--lang" && i + 1 < argc) lang_flag = argv[i + 1];
    if (a.rfind("--lang=", 0) == 0) lang_flag = a.substr(7);
  }
  set_language(language_from(lang_flag));

  Ctx ctx;
  Action action;
  CLI::App app{"certseal - CertSeal mobile certificate client (手机盾命令行客户端)", "certseal"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--server", ctx.g.server, "server URL (default: the session's, or $CERTSEAL_SERVER)");
  app.add_option("--data-dir", ctx.g.data_dir, "device data folder (default: $CERTSEAL_DATA_DIR, $XDG_DATA_HOME/certseal, ~/.local/share/certseal)");
  app.add_option("--lang", ctx.g.lang, "zh (default) or en");
  app.add_flag("--json", ctx.g.json, "print one JSON document on standard output");
  app.add_option("--password-fd", ctx.g.password_fd, "read answers to prompts from this file descriptor, one line each");
  app.add_option("--new-password-fd", ctx.g.new_password_fd, "read new passwords (and their confirmation) from this descriptor");

  auto sub = [](CLI::App* parent, const char* name, const char* desc) {
    CLI::App* s = parent->add_subcommand(name, desc);
    s->fallthrough();
    return s;
  };

  // help CMD [SUB]
  std::vector<std::string> help_path;
  CLI::App* help = sub(&app, "help", "show the help of a command, e.g. certseal help cert sign");
  help->add_option("command", help_path, "command path");

  // login / logout / sms-code
  std::string phone, code;
  CLI::App* login = sub(&app, "login", "log in (registers on first login) with phone, SMS code and password");
  login->add_option("--phone", phone, "phone number");
  login->add_option("--code", code, "SMS code already received (otherwise one is sent and asked for)");
  login->callback([&] { action = [&] { return cmd_login(ctx, phone, code); }; });
  sub(&app, "logout", "log out and forget the session")->callback([&] { action = [&] { return cmd_logout(ctx); }; });
  std::string sms_purpose = "login", sms_action, sms_object;
  CLI::App* sms = sub(&app, "sms-code", "ask the server to send an SMS code (for scripts; use with --code)");
  sms->add_option("--phone", phone, "phone number (login, reset_password)");
  sms->add_option("--purpose", sms_purpose, "login, reset_password, verify_person, authorise, deregister");
  sms->add_option("--for", sms_action,
                  "authorise codes: the operation (order_authorise, certificate_revoke, certificate_reissue, "
                  "device_remove, key_recover)");
  sms->add_option("--object", sms_object, "with --for: the order, certificate, device or key id");
  sms->callback([&] { action = [&] { return cmd_sms_code(ctx, phone, sms_purpose, sms_action, sms_object); }; });

  // identity
  CLI::App* identity = sub(&app, "identity", "identities (natural person, employee, admin, ...)");
  identity->require_subcommand(1);
  sub(identity, "list", "list identities; * marks the current one")->callback([&] {
    action = [&] { return cmd_identity_list(ctx); };
  });
  std::string identity_id;
  CLI::App* iswitch = sub(identity, "switch", "act as another identity");
  iswitch->add_option("identity_id", identity_id, "identity id")->required();
  iswitch->callback([&] { action = [&] { return cmd_identity_switch(ctx, identity_id); }; });

  // ledger
  LedgerVerifyArgs lva;
  CLI::App* ledger = sub(&app, "ledger", "the platform's transparency log of every issuance, grant and use (全程追溯)");
  ledger->require_subcommand(1);
  CLI::App* lverify = sub(ledger, "verify", "check that my records are in the log and that it was not rewritten");
  lverify->add_option("--state", lva.state_file,
                      "file keeping the log key and the last verified checkpoint (read, then updated)");
  lverify->add_option("--key", lva.key, "the log's verifier key (name+id+base64), obtained out of band");
  lverify->callback([&] { action = [&] { return cmd_ledger_verify(ctx, lva); }; });

  // verify
  VerifyArgs va;
  CLI::App* verify = sub(&app, "verify", "real-name verification of the person (个人实名认证)");
  verify->add_option("--name", va.name, "name as on the ID card");
  verify->add_option("--id-number", va.id_number, "resident ID card number");
  verify->add_option("--front", va.front, "photo of the ID card front (JPEG or PNG)");
  verify->add_option("--back", va.back, "photo of the ID card back (JPEG or PNG)");
  verify->add_option("--code", va.code, "SMS code of purpose verify_person (otherwise sent and asked for)");
  verify->add_option("--agreement-version", va.agreement_version, "accepted agreement version (default: current)");
  verify->add_flag("--status", va.status, "show the newest verification instead");
  verify->callback([&] { action = [&] { return cmd_verify(ctx, va); }; });

  // org
  std::string org_id, org_name, credit_code, statement, admin_name, admin_phone;
  bool legal_rep = false;
  int org_agreement = 0;
  CLI::App* org = sub(&app, "org", "organisations (单位)");
  org->require_subcommand(1);
  sub(org, "list", "my organisations")->callback([&] { action = [&] { return cmd_org_list(ctx); }; });
  CLI::App* osearch = sub(org, "search", "find verified organisations");
  osearch->add_option("--name", org_name, "name contains");
  osearch->add_option("--credit-code", credit_code, "unified social credit code");
  osearch->callback([&] { action = [&] { return cmd_org_search(ctx, org_name, credit_code); }; });
  CLI::App* oshow = sub(org, "show", "show an organisation");
  oshow->add_option("org_id", org_id)->required();
  oshow->callback([&] { action = [&] { return cmd_org_show(ctx, org_id); }; });
  CLI::App* ocreate = sub(org, "create", "start creating and verifying an organisation (draft)");
  ocreate->add_option("--name", org_name)->required();
  ocreate->add_option("--credit-code", credit_code)->required();
  ocreate->add_flag("--legal-rep", legal_rep, "I am the legal representative");
  ocreate->add_option("--agreement-version", org_agreement, "accepted agreement version (default: current)");
  ocreate->callback([&] { action = [&] { return cmd_org_create(ctx, org_name, credit_code, legal_rep, org_agreement); }; });
  CLI::App* ojoin = sub(org, "join", "ask to join an organisation");
  ojoin->add_option("org_id", org_id)->required();
  ojoin->add_option("--statement", statement)->required();
  ojoin->add_option("--admin-name", admin_name)->required();
  ojoin->add_option("--admin-phone", admin_phone)->required();
  ojoin->callback([&] { action = [&] { return cmd_org_join(ctx, org_id, statement, admin_name, admin_phone); }; });

  // order
  OrderArgs oa;
  std::string order_id, tab;
  CLI::App* order = sub(&app, "order", "orders (订单)");
  order->require_subcommand(1);
  sub(order, "catalogue", "platforms, seal makers and products")->callback([&] {
    action = [&] { return cmd_catalogue(ctx); };
  });
  CLI::App* ocreate2 = sub(order, "create", "place an order");
  ocreate2->add_option("--product", oa.product)->required();
  ocreate2->add_option("--platform", oa.platform, "trading platform (certificate products)");
  ocreate2->add_option("--certificate", oa.certificate, "your certificate (renewal and mutual-recognition packages)");
  ocreate2->add_option("--seal-maker", oa.seal_maker);
  ocreate2->add_option("--org", oa.org, "organisation (organisation products)");
  ocreate2->add_option("--quantity", oa.quantity);
  ocreate2->callback([&] { action = [&] { return cmd_order_create(ctx, oa); }; });
  CLI::App* oauth = sub(order, "authorise", "authorise an order with an SMS code");
  oauth->add_option("order_id", order_id)->required();
  oauth->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
  oauth->callback([&] { action = [&] { return cmd_order_authorise(ctx, order_id, code); }; });
  CLI::App* olist = sub(order, "list", "my orders");
  olist->add_option("--tab", tab, "all, awaiting_payment, in_review, done")
      ->check(CLI::IsMember({"all", "awaiting_payment", "in_review", "done"}));
  olist->callback([&] { action = [&] { return cmd_order_list(ctx, tab); }; });
  CLI::App* oshow2 = sub(order, "show", "one order with its events and payments");
  oshow2->add_option("order_id", order_id)->required();
  oshow2->callback([&] { action = [&] { return cmd_order_show(ctx, order_id); }; });
  CLI::App* ocancel = sub(order, "cancel", "cancel an unpaid order");
  ocancel->add_option("order_id", order_id)->required();
  ocancel->callback([&] { action = [&] { return cmd_order_cancel(ctx, order_id); }; });

  // pay
  std::string gateway = "sandbox", payer_name, payer_account, reference;
  bool sandbox_done = false;
  int pay_wait = 10;
  long amount_fen = 0;
  CLI::App* pay = sub(&app, "pay", "pay an order");
  pay->require_subcommand(1);
  CLI::App* ponline = sub(pay, "online", "pay online through a gateway; prints the payment page");
  ponline->add_option("order_id", order_id)->required();
  ponline->add_option("--gateway", gateway, "payment gateway (default sandbox)");
  ponline->add_flag("--sandbox-complete", sandbox_done, "open the sandbox page and press pay, as the payer would");
  ponline->add_option("--wait", pay_wait, "seconds to wait for the payment notification (default 10)");
  ponline->callback([&] { action = [&] { return cmd_pay_online(ctx, order_id, gateway, sandbox_done, pay_wait); }; });
  CLI::App* ptransfer = sub(pay, "transfer", "declare a corporate bank transfer (对公打款)");
  ptransfer->add_option("order_id", order_id)->required();
  ptransfer->add_option("--payer-name", payer_name)->required();
  ptransfer->add_option("--payer-account", payer_account)->required();
  ptransfer->add_option("--amount-fen", amount_fen)->required();
  ptransfer->add_option("--reference", reference);
  ptransfer->callback([&] {
    action = [&] { return cmd_pay_transfer(ctx, order_id, payer_name, payer_account, amount_fen, reference); };
  });

  // cert
  std::string cert_id, copy, device_name, reason = "unspecified", request_id, reissue_front, reissue_back;
  SignArgs sa;
  DecryptArgs da;
  CLI::App* cert = sub(&app, "cert", "certificates and the mobile shield (证书)");
  cert->require_subcommand(1);
  sub(cert, "list", "certificates of the account; * marks keys on this device")->callback([&] {
    action = [&] { return cmd_cert_list(ctx); };
  });
  CLI::App* cshow = sub(cert, "show", "certificate details");
  cshow->add_option("cert_id", cert_id)->required();
  cshow->add_option("--copy", copy, "print one field alone: sha1, sha256, sm3, md5, serial, subject, issuer, not_before, not_after, status, key_usage, pem, ...");
  cshow->callback([&] { action = [&] { return cmd_cert_show(ctx, cert_id, copy); }; });
  CLI::App* cinstall = sub(cert, "install", "generate the two-party key for an approved order and install its certificate");
  cinstall->add_option("order_id", order_id)->required();
  cinstall->add_option("--device-name", device_name, "name the server shows for this device (default certseal@host)");
  cinstall->callback([&] { action = [&] { return cmd_cert_install(ctx, order_id, device_name); }; });
  for (auto [name, what, desc] : {std::tuple{"renew", "renewals", "renew (延期): same key, new validity"},
                                  std::tuple{"change", "changes", "change (变更): subject taken again from the verified data"}}) {
    CLI::App* c = sub(cert, name, desc);
    c->add_option("cert_id", cert_id)->required();
    c->add_option("--request-id", request_id, "idempotency id (to retry safely)");
    std::string w = what;
    if (w == "renewals") c->add_option("--order", order_id, "the approved renewal order (renewal package) to use");
    c->callback([&, w] { action = [&, w] { return cmd_cert_new_version(ctx, cert_id, w, request_id, order_id); }; });
  }
  CLI::App* crevoke = sub(cert, "revoke", "revoke (注销) a certificate");
  crevoke->add_option("cert_id", cert_id)->required();
  crevoke->add_option("--reason", reason, "unspecified, key_compromise, affiliation_changed, superseded, cessation_of_operation")
      ->check(CLI::IsMember({"unspecified", "key_compromise", "affiliation_changed", "superseded", "cessation_of_operation"}));
  crevoke->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
  crevoke->add_option("--request-id", request_id);
  crevoke->callback([&] { action = [&] { return cmd_cert_revoke(ctx, cert_id, reason, code, request_id); }; });
  CLI::App* creissue = sub(cert, "reissue", "reissue (补发) with a new key on this device");
  creissue->add_option("cert_id", cert_id)->required();
  creissue->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
  creissue->add_option("--front", reissue_front, "a new photo of the ID card's front (fresh identity check)");
  creissue->add_option("--back", reissue_back, "a new photo of the ID card's back");
  creissue->add_option("--request-id", request_id);
  creissue->callback([&] {
    action = [&] { return cmd_cert_reissue(ctx, cert_id, code, request_id, reissue_front, reissue_back); };
  });
  CLI::App* csign = sub(cert, "sign", "sign a message or file with the two-party protocol (协同签名)");
  csign->add_option("--key", sa.key, "key id on this device");
  csign->add_option("--cert", sa.cert, "certificate id");
  csign->add_option("--message", sa.message, "the message text");
  csign->add_option("--in", sa.in, "file to sign (- for standard input)");
  csign->add_option("--out", sa.out, "write the DER signature to this file");
  csign->add_option("--format", sa.format, "output: base64 (DER, default), hex (DER), raw (r||s hex)")
      ->check(CLI::IsMember({"base64", "hex", "raw"}));
  csign->add_option("--sm2-id", sa.sm2_id, "SM2 signer ID (default 1234567812345678; \"\" for OpenSSL's default)");
  csign->add_option("--purpose", sa.purpose, "purpose recorded by the server");
  csign->callback([&] { action = [&] { return cmd_cert_sign(ctx, sa); }; });
  CLI::App* cdecrypt = sub(cert, "decrypt", "decrypt an SM2 ciphertext with the two-party protocol (协同解密)");
  cdecrypt->add_option("--key", da.key, "key id on this device");
  cdecrypt->add_option("--cert", da.cert, "certificate id");
  cdecrypt->add_option("--in", da.in, "binary ciphertext file (- for standard input)");
  cdecrypt->add_option("--hex", da.hex, "ciphertext in hex");
  cdecrypt->add_option("--base64", da.b64, "ciphertext in base64");
  cdecrypt->add_option("--order", da.order, "c1c3c2 (default), c1c2c3 or der");
  cdecrypt->add_option("--out", da.out, "write the plaintext to this file");
  cdecrypt->add_option("--purpose", da.purpose, "purpose recorded by the server");
  cdecrypt->callback([&] { action = [&] { return cmd_cert_decrypt(ctx, da); }; });

  // pin
  std::string key_id, face_file;
  CLI::App* pin = sub(&app, "pin", "the certificate password (证书密码)");
  pin->require_subcommand(1);
  CLI::App* pchange = sub(pin, "change", "change the certificate password");
  pchange->add_option("--key", key_id);
  pchange->add_option("--cert", cert_id);
  pchange->callback([&] { action = [&] { return cmd_pin_change(ctx, key_id, cert_id); }; });
  CLI::App* precover = sub(pin, "recover",
                           "reset a forgotten password or unlock a locked key (SMS code + login password + face check)");
  precover->add_option("--key", key_id);
  precover->add_option("--cert", cert_id);
  precover->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
  precover->add_option("--face", face_file, "a photo of your face taken now (JPEG or PNG), for the identity check");
  precover->callback([&] { action = [&] { return cmd_pin_recover(ctx, key_id, cert_id, code, face_file); }; });

  // device
  std::string device_id, pairing_id, pairing_code;
  bool no_wait = false;
  int pair_wait = 600;
  CLI::App* device = sub(&app, "device", "devices holding a share of a key");
  device->require_subcommand(1);
  CLI::App* dlist = sub(device, "list", "devices of a key; * marks this one");
  dlist->add_option("--key", key_id);
  dlist->add_option("--cert", cert_id);
  dlist->callback([&] { action = [&] { return cmd_device_list(ctx, key_id, cert_id); }; });
  CLI::App* dadd = sub(device, "add", "on this (unlocked) device: send a key share to a pairing new device");
  dadd->add_option("pairing_id", pairing_id)->required();
  dadd->add_option("--code", pairing_code, "the pairing code the new device shows (otherwise asked for)");
  dadd->add_option("--key", key_id);
  dadd->add_option("--cert", cert_id);
  dadd->callback([&] { action = [&] { return cmd_device_add(ctx, pairing_id, pairing_code, key_id, cert_id); }; });
  CLI::App* dremove = sub(device, "remove", "remove a device: its share stops working at once");
  dremove->add_option("device_id", device_id)->required();
  dremove->add_option("--key", key_id);
  dremove->add_option("--cert", cert_id);
  dremove->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
  dremove->callback([&] { action = [&] { return cmd_device_remove(ctx, device_id, key_id, cert_id, code); }; });
  CLI::App* dpair = sub(device, "pair", "on a new device: start pairing, wait for the other device, set a password");
  dpair->add_flag("--no-wait", no_wait, "only start the pairing and print its id");
  dpair->add_option("--finish", pairing_id, "complete a pairing started earlier with --no-wait");
  dpair->add_option("--wait", pair_wait, "seconds to wait for the other device (default 600)");
  dpair->callback([&] { action = [&] { return cmd_device_pair(ctx, pairing_id, no_wait, pair_wait); }; });

  // agent
  std::string ttl_text = "30m";
  bool foreground = false;
  CLI::App* agent = sub(&app, "agent", "the PIN cache (证书密码缓存)");
  agent->require_subcommand(1);
  CLI::App* astart = sub(agent, "start", "start the PIN cache in the background");
  astart->add_option("--ttl", ttl_text, "1m, 5m, 10m, 30m (default), 1h or off");
  astart->add_flag("--foreground", foreground, "stay in the foreground");
  astart->callback([&] { action = [&] { return cmd_agent_start(ctx, ttl_text, foreground); }; });
  CLI::App* attl = sub(agent, "ttl", "change the cache time (applies from the next password entry)");
  attl->add_option("duration", ttl_text, "1m, 5m, 10m, 30m, 1h or off")->required();
  attl->callback([&] {
    action = [&]() -> Result<json> {
      CS_ASSIGN(auto ttl, parse_pin_cache_ttl(ttl_text));
      return cmd_agent_simple(ctx, {{"op", "ttl"}, {"ttl_s", ttl.count()}}, tr("msg.agent_ttl", format_duration(ttl)));
    };
  });
  sub(agent, "status", "what is cached, and until when")->callback([&] {
    action = [&]() -> Result<json> {
      CS_ASSIGN(auto r, cmd_agent_simple(ctx, {{"op", "status"}}, ""));
      if (!ctx.g.json) {
        std::cout << "ttl " << format_duration(std::chrono::seconds(r.value("ttl_s", 0L))) << "\n";
        for (const auto& e : r.value("entries", json::array())) {
          std::cout << str(e, "key_id") << "  " << format_rfc3339(SysTime(std::chrono::seconds(e.value("expires_at", 0L))))
                    << "\n";
        }
      }
      return r;
    };
  });
  sub(agent, "clear", "forget every cached password")->callback([&] {
    action = [&] { return cmd_agent_simple(ctx, {{"op", "clear"}}, tr("msg.agent_stopped")); };
  });
  sub(agent, "stop", "wipe the cache and stop")->callback([&] {
    action = [&]() -> Result<json> {
      CS_ASSIGN(auto r, cmd_agent_simple(ctx, {{"op", "stop"}}, tr("msg.agent_stopped")));
      // Return once the agent is gone, so a following `agent start` finds the place free.
      CS_ASSIGN(auto* s, ctx.store());
      for (int i = 0; i < 50 && std::filesystem::exists(s->agent_socket()); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return r;
    };
  });

  // seal (cmd_seal.cpp)
  add_seal_commands(app, {[&ctx]() { return ctx.api(); }, [&ctx]() { return ctx.g.json; }}, action);
  // pc (cmd_pc.cpp)
  add_pc_commands(app, pc_hooks(ctx), action);
  // token (cmd_token.cpp)
  add_token_commands(app,
                     {[&ctx] { return ctx.api(); }, [&ctx] { return ctx.g.json; },
                      [&ctx](const std::string& p) { return ctx.prompter().secret(p); },
                      [&ctx](const std::string& p, const std::string& c) { return ctx.prompter().new_secret(p, c); }},
                     action);

  // scan
  ScanArgs scan_a;
  CLI::App* scan = sub(&app, "scan", "answer a relying party's QR code (扫码: login, message signing)");
  scan->add_option("image", scan_a.image, "a PNG picture of the QR code");
  scan->add_option("--payload", scan_a.payload, "the QR code's text instead of a picture");
  scan->add_option("--cert", scan_a.cert, "the certificate to answer with (when several may)");
  scan->add_flag("--yes", scan_a.yes, "do not ask for confirmation (scripts)");
  scan->add_flag("--refuse", scan_a.refuse, "decline the request (the relying party is told)");
  scan->add_option("--reason", scan_a.reason, "why, with --refuse");
  scan->callback([&] {
    action = [&]() -> Result<json> { return cmd_scan(ctx, scan_a); };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << tr("err.usage", e.what()) << "\n";
    return kExitUsage;
  }
  if (help->parsed()) {
    CLI::App* target = &app;
    for (const auto& name : help_path) {
      try {
        target = target->get_subcommand(name);
      } catch (const CLI::OptionNotFound&) {
        std::cerr << tr("err.usage", "unknown command " + name) << "\n";
        return kExitUsage;
      }
    }
    std::cout << target->help();
    return kExitOk;
  }
  if (!action) return kExitUsage;
  Result<json> r = json();
  try {
    r = action();
  } catch (const std::exception& ex) {
    // A server answer of an unexpected shape (nlohmann throws on type mismatches).
    r = unavailable("bad_answer", tr("err.server", ex.what()));
  }
  if (!r) {
    const Error& e = r.error();
    int code_out = exit_code_for(e);
    std::string line = e.message.empty() ? e.code : e.message;
    if (is_server_refusal(e) && e.code != "bad_unlock_proof" && e.code != "key_locked") line = tr("err.refused", line);
    if (code_out == kExitServer && e.code == "server_error") line = tr("err.server", line);
    std::cerr << "certseal: " << line << "\n";
    if (ctx.g.json) {
      std::cout << json{{"ok", false}, {"error", e.code}, {"message", line}, {"exit", code_out}}.dump() << "\n";
    }
    return code_out;
  }
  if (ctx.g.json && !r->is_null()) std::cout << r->dump() << "\n";
  return kExitOk;
}

}  // namespace certseal::client
