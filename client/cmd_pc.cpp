#include "client/cmd_pc.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "base/encoding.h"
#include "client/cli_context.h"
#include "client/device_store.h"
#include "client/messages.h"
#include "client/origin.h"
#include "client/qr_decode.h"
#include "client/shield.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"

namespace certseal::client {

namespace fs = std::filesystem;
using nlohmann::json;

Result<fs::path> pc_config_path(const fs::path& data_dir) {
  return data_dir / "pc.json";
}

namespace {

struct PcArgs {
  std::string name, payload, image, id, reason;
  bool yes = false, no_wait = false;
  int wait_s = 600, count = 1;
};

std::string str(const json& j, const char* k) {
  if (!j.is_object() || !j.contains(k) || !j[k].is_string()) return "";
  return j[k].get<std::string>();
}

Error usage(std::string msg) {
  return invalid_argument("usage", std::move(msg));
}

Result<json> read_pc_config(const PcCliHooks& h) {
  CS_ASSIGN(auto dir, h.data_dir());
  CS_ASSIGN(auto path, pc_config_path(dir));
  CS_ASSIGN(auto text, read_text_file(path));
  if (!text) return failed_precondition("pc_not_paired", tr("err.pc_not_paired"));
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object() || str(j, "token").empty() || str(j, "server").empty()) {
    return failed_precondition("pc_not_paired", tr("err.pc_not_paired"));
  }
  return j;
}

// An Http for the PC's own calls: its token goes in `Authorization: PC …`, set per request.
Result<json> pc_call(const json& cfg, const std::string& method, const std::string& path) {
  CS_TRY(check_transport(str(cfg, "server")));
  Http http(str(cfg, "server"), str(cfg, "token"));
  http.set_token_scheme("PC");
  return http.call(method, path);
}

// ---- PC side ----

Result<json> cmd_pair(const PcCliHooks& h, const PcArgs& a) {
  CS_ASSIGN(auto* http, h.api(false));
  std::string name = a.name;
  if (name.empty()) {
    char host[256] = {0};
    name = ::gethostname(host, sizeof host - 1) == 0 && *host ? host : "PC";
  }
  CS_ASSIGN(auto started, http->call("POST", "/api/v1/pc/pairings", {{"name", name}}));
  json cfg = {{"server", http->base_url()},
              {"link_id", str(started, "id")},
              {"token", str(started, "token")},
              {"name", name}};
  CS_ASSIGN(auto dir, h.data_dir());
  CS_TRY(ensure_private_dir(dir));
  CS_ASSIGN(auto path, pc_config_path(dir));
  CS_TRY(write_file_atomic(path, cfg.dump(2) + "\n"));
  const std::string payload = str(started, "qr_payload");
  std::cerr << tr("msg.pc_pair_started", name, payload, str(started, "code")) << "\n";
  json out = {{"id", str(started, "id")},
              {"qr_payload", payload},
              {"code", str(started, "code")},
              {"config", path.string()}};
  if (!h.json_output()) std::cout << payload << std::endl;
  if (a.no_wait) {
    out["status"] = "pending";
    return out;
  }
  for (int i = 0; i < a.wait_s * 2; ++i) {
    CS_ASSIGN(auto link, pc_call(cfg, "GET", "/api/v1/pc/link"));
    const std::string st = str(link, "status");
    if (st == "active") {
      if (!h.json_output()) std::cerr << tr("msg.pc_paired") << "\n";
      out["status"] = st;
      return out;
    }
    if (st != "pending")
      return failed_precondition("pc_pairing_" + st, tr("err.pc_pairing_ended", st));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return Error(ErrorKind::kTimeout, "pairing_timeout", tr("err.pc_pair_timeout"));
}

Result<json> cmd_status(const PcCliHooks& h) {
  CS_ASSIGN(auto cfg, read_pc_config(h));
  CS_ASSIGN(auto link, pc_call(cfg, "GET", "/api/v1/pc/link"));
  if (!h.json_output())
    std::cout << str(link, "id") << "  " << str(link, "status") << "  " << str(link, "name")
              << "\n";
  return link;
}

Result<json> cmd_unpair(const PcCliHooks& h) {
  CS_ASSIGN(auto cfg, read_pc_config(h));
  auto r = pc_call(cfg, "DELETE", "/api/v1/pc/link");
  // Whatever the server says (an unknown or removed link included), this PC forgets it.
  CS_ASSIGN(auto dir, h.data_dir());
  CS_ASSIGN(auto path, pc_config_path(dir));
  std::error_code ec;
  fs::remove(path, ec);
  if (!r && r.error().code != "pc_not_paired") return std::move(r).error();
  if (!h.json_output()) std::cout << tr("msg.pc_unpaired") << "\n";
  return json{{"status", "removed"}};
}

// ---- phone side ----

// certseal-pc:<link id>:<code>
Result<std::pair<std::string, std::string>> parse_payload(const std::string& text) {
  constexpr std::string_view kPrefix = "certseal-pc:";
  if (text.rfind(kPrefix, 0) != 0)
    return invalid_argument("pc_bad_payload", tr("err.pc_bad_payload"));
  const std::string rest = text.substr(kPrefix.size());
  const auto colon = rest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= rest.size()) {
    return invalid_argument("pc_bad_payload", tr("err.pc_bad_payload"));
  }
  std::string id = rest.substr(0, colon), code = rest.substr(colon + 1);
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return invalid_argument("pc_bad_payload", tr("err.pc_bad_payload"));
    }
  }
  return std::pair{id, code};
}

// The phone's own check that the PC's mechanism is one its key has (the server checked too):
// nothing is unlocked for a request that does not fit.
Status check_mechanism(const KeyFile& key, const std::string& mechanism,
                       std::initializer_list<const char*> sm2,
                       std::initializer_list<const char*> rsa,
                       std::initializer_list<const char*> ecdsa) {
  for (const char* m : is_rsa_key(key) ? rsa : is_ecdsa_key(key) ? ecdsa : sm2) {
    if (mechanism == m) return {};
  }
  return invalid_argument("mechanism_key_mismatch", tr("err.pc_mechanism_key"));
}

bool yes_answer(const std::string& s) {
  return s == "y" || s == "Y" || s == "yes" || s == "是";
}

Result<json> cmd_accept(const PcCliHooks& h, const PcArgs& a) {
  if (a.image.empty() == a.payload.empty()) return usage(tr("err.pc_accept_input"));
  std::string text = a.payload;
  if (!a.image.empty()) {
    CS_ASSIGN(text, decode_qr_png(a.image));
  }
  CS_ASSIGN(auto parsed, parse_payload(text));
  CS_ASSIGN(auto* http, h.api(true));
  CS_ASSIGN(auto pairing, http->call("GET", "/api/v1/pc-pairings/" + parsed.first));
  std::cerr << tr("msg.pc_accept_ask", str(pairing, "name"), parsed.first) << "\n";
  if (!a.yes) {
    CS_ASSIGN(auto answer, h.ask_line(tr("prompt.pc_accept")));
    if (!yes_answer(answer)) return failed_precondition("declined", tr("msg.pc_declined"));
  }
  CS_ASSIGN(auto link, http->call("POST", "/api/v1/pc-pairings/" + parsed.first + "/approval",
                                  {{"code", parsed.second}}));
  if (!h.json_output()) std::cout << tr("msg.pc_accepted", str(link, "name")) << "\n";
  return link;
}

Result<json> cmd_list(const PcCliHooks& h) {
  CS_ASSIGN(auto* http, h.api(true));
  CS_ASSIGN(auto r, http->call("GET", "/api/v1/account/pcs"));
  if (!h.json_output()) {
    for (const auto& l : r.value("items", json::array())) {
      std::cout << str(l, "id") << "  " << str(l, "status") << "  " << str(l, "name") << "  "
                << str(l, "paired_at") << "\n";
    }
  }
  return r;
}

Result<json> cmd_remove(const PcCliHooks& h, const std::string& id) {
  CS_ASSIGN(auto* http, h.api(true));
  CS_ASSIGN(auto r, http->call("POST", "/api/v1/account/pcs/" + id + "/removal", json::object()));
  if (!h.json_output()) std::cout << tr("msg.pc_removed", id) << "\n";
  return r;
}

Result<json> cmd_requests(const PcCliHooks& h) {
  CS_ASSIGN(auto* http, h.api(true));
  CS_ASSIGN(auto r, http->call("GET", "/api/v1/account/pc-requests"));
  if (!h.json_output()) {
    for (auto& q : r["items"]) {
      std::cout << str(q, "id") << "  " << str(q, "pc_name") << "  " << str(q, "operation") << "/"
                << str(q, "mechanism") << "  " << str(q, "certificate_id") << "  "
                << str(q, "expires_at") << "\n";
    }
  }
  for (auto& q : r["items"]) q.erase("data");
  return r;
}

// The request to answer: the one named, else the oldest pending, waiting up to wait_s for one.
Result<json> next_request(Http& http, const std::string& id, int wait_s) {
  if (!id.empty()) return http.call("GET", "/api/v1/account/pc-requests/" + id);
  for (int i = 0; i <= wait_s * 4; ++i) {
    CS_ASSIGN(auto r, http.call("GET", "/api/v1/account/pc-requests"));
    if (!r["items"].empty()) return r["items"][0];
    if (i < wait_s * 4) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return Error(ErrorKind::kTimeout, "pc_no_request", tr("err.pc_no_request"));
}

bool printable(const std::string& s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

Result<json> answer_one(const PcCliHooks& h, Http& http, const json& q, bool refuse,
                        const PcArgs& a) {
  const std::string id = str(q, "id"), op = str(q, "operation"), mech = str(q, "mechanism");
  const std::string cert = str(q, "certificate_id");
  if (str(q, "status") != "pending")
    return failed_precondition("pc_request_not_pending",
                               tr("err.pc_not_pending", str(q, "status")));
  CS_ASSIGN(auto data, base64_decode(str(q, "data")));
  std::cerr << tr("msg.pc_request_from", str(q, "pc_name"),
                  tr(op == "sign" ? "msg.pc_op_sign" : "msg.pc_op_decrypt"), cert)
            << "\n";
  const std::string text = to_string(data);
  if (op == "sign" && (mech == "sm2-sm3" || mech == "rsa-sha256" || mech == "ecdsa-sha256") &&
      printable(text) &&
      text.size() <= 2000) {
    std::cerr << tr("msg.pc_request_text", text) << "\n";
  } else {
    std::cerr << tr("msg.pc_request_bytes", std::to_string(data.size()), str(q, "data_sha256"))
              << "\n";
  }
  auto do_refuse = [&](const std::string& reason) -> Result<json> {
    CS_ASSIGN(auto r, http.call("POST", "/api/v1/account/pc-requests/" + id + "/refusal",
                                {{"reason", reason}}));
    if (!h.json_output()) std::cout << tr("msg.pc_refused", id) << "\n";
    return r;
  };
  if (refuse) return do_refuse(a.reason.empty() ? "declined" : a.reason);
  if (!a.yes) {
    CS_ASSIGN(auto answer, h.ask_line(tr("prompt.pc_confirm")));
    if (!yes_answer(answer)) return do_refuse("declined");
  }
  const std::string purpose = "pc " + id;
  Bytes result;
  if (op == "sign") {
    CS_ASSIGN(result, h.sign(cert, mech, data, purpose));
  } else {
    CS_ASSIGN(auto plain, h.decrypt(cert, mech, data, purpose));
    result.assign(plain.begin(), plain.end());
  }
  auto r = http.call("POST", "/api/v1/account/pc-requests/" + id + "/completion",
                     {{"result", base64_encode(result)}});
  secure_wipe(result.data(), result.size());
  CS_TRY(r);
  if (!h.json_output()) std::cout << tr("msg.pc_done", id) << "\n";
  return *r;
}

Result<json> cmd_answer(const PcCliHooks& h, const PcArgs& a, bool refuse) {
  CS_ASSIGN(auto* http, h.api(true));
  if (a.count < 1 || (!a.id.empty() && a.count != 1))
    return usage("--count needs no request id and must be at least 1");
  json done = json::array();
  for (int i = 0; i < a.count; ++i) {
    CS_ASSIGN(auto q, next_request(*http, a.id, a.wait_s));
    CS_ASSIGN(auto r, answer_one(h, *http, q, refuse, a));
    done.push_back(r);
  }
  return a.count == 1 ? done[0] : json{{"items", done}};
}

}  // namespace

void add_pc_commands(CLI::App& app, PcCliHooks hooks, std::function<Result<json>()>& action) {
  auto h = std::make_shared<PcCliHooks>(std::move(hooks));
  auto a = std::make_shared<PcArgs>();
  CLI::App* pc = app.add_subcommand("pc", "the phone as a PC key (移动电子密钥, PKCS#11)");
  pc->require_subcommand(1);
  CLI::App* pair =
      pc->add_subcommand("pair", "on the PC: pair with a phone (shows a QR payload to scan)");
  pair->add_option("--name", a->name, "this PC's name shown on the phone (default: the host name)");
  pair->add_flag("--no-wait", a->no_wait, "only start the pairing");
  pair->add_option("--wait", a->wait_s, "seconds to wait for the phone (default 600)");
  pair->callback([&action, h, a] { action = [h, a] { return cmd_pair(*h, *a); }; });
  pc->add_subcommand("status", "on the PC: the link with the phone")->callback([&action, h] {
    action = [h] { return cmd_status(*h); };
  });
  pc->add_subcommand("unpair", "on the PC: forget the phone")->callback([&action, h] {
    action = [h] { return cmd_unpair(*h); };
  });
  CLI::App* accept = pc->add_subcommand("accept", "on the phone: approve a PC from its QR code");
  accept->add_option("image", a->image, "a PNG picture of the PC's QR code");
  accept->add_option("--payload", a->payload, "the QR code's text instead of a picture");
  accept->add_flag("--yes", a->yes, "do not ask for confirmation (scripts)");
  accept->callback([&action, h, a] { action = [h, a] { return cmd_accept(*h, *a); }; });
  pc->add_subcommand("list", "on the phone: linked PCs")->callback([&action, h] {
    action = [h] { return cmd_list(*h); };
  });
  CLI::App* remove = pc->add_subcommand("remove", "on the phone: unlink a PC");
  remove->add_option("pc_id", a->id)->required();
  remove->callback([&action, h, a] { action = [h, a] { return cmd_remove(*h, a->id); }; });
  pc->add_subcommand("requests", "on the phone: operations linked PCs wait for")
      ->callback([&action, h] { action = [h] { return cmd_requests(*h); }; });
  for (const bool refuse : {false, true}) {
    CLI::App* c = pc->add_subcommand(
        refuse ? "refuse" : "confirm",
        refuse ? "on the phone: refuse a PC's operation (the program gets CKR_FUNCTION_REJECTED)"
               : "on the phone: confirm a PC's operation (asks the certificate password "
                 "unless the PIN cache holds it)");
    c->add_option("request_id", a->id,
                  "the request (default: the oldest waiting, or the next to come)");
    c->add_option("--wait", a->wait_s,
                  "seconds to wait for a request when none waits (default 600)");
    c->add_option("--count", a->count,
                  "answer this many requests, one after the other (default 1)");
    if (refuse) {
      c->add_option("--reason", a->reason, "why");
    } else {
      c->add_flag("--yes", a->yes,
                  "do not ask for confirmation (scripts; the password is still needed)");
    }
    c->callback([&action, h, a, refuse] {
      action = [h, a, refuse] { return cmd_answer(*h, *a, refuse); };
    });
  }
}

void add_pc_commands(CLI::App& app, cli::Ctx& ctx, std::function<Result<json>()>& action) {
  PcCliHooks h;
  h.api = [&ctx](bool need_session) { return ctx.api(need_session); };
  h.json_output = [&ctx] { return ctx.g.json; };
  h.data_dir = [&ctx]() -> Result<fs::path> { return resolve_data_dir(ctx.g.data_dir); };
  h.ask_line = [&ctx](const std::string& prompt) { return ctx.prompter().line(prompt); };
  h.sign = [&ctx](const std::string& cert_id, const std::string& mechanism, BytesView data,
                  const std::string& purpose) -> Result<Bytes> {
    CS_ASSIGN(auto key, cli::choose_key(ctx, "", cert_id));
    CS_TRY(check_mechanism(key, mechanism, {"sm2-sm3", "sm2"}, {"rsa-sha256", "rsa-sha256-digest"},
                           {"ecdsa-sha256", "ecdsa-sha256-digest"}));
    CS_ASSIGN(auto sh, ctx.shield());
    Bytes out;
    if (is_ecdsa_key(key)) {
      // The Lindell two-party step with the password, as the shield's P-256 signing; a
      // signature that does not verify stops the key on this device (the abort rule).
      CS_TRY(cli::with_ecdsa_unlocked(ctx, key, [&](const UnlockedEcdsa& u) -> Result<json> {
        Bytes der;
        if (mechanism == "ecdsa-sha256-digest") {
          CS_ASSIGN(der, sh.ecdsa_sign_digest(key, u, data, purpose));
        } else {
          CS_ASSIGN(der, sh.ecdsa_sign(key, u, data, purpose));
        }
        CS_ASSIGN(out, crypto::ec_sig_der_to_raw(der));  // PKCS#11's r‖s
        return json::object();
      }));
      return out;
    }
    if (is_rsa_key(key)) {
      // The PIN cache holds SM2 shares only: an RSA key asks for its password each time.
      CS_TRY(cli::with_rsa_unlocked(ctx, key, [&](const UnlockedRsa& u) -> Result<json> {
        if (mechanism == "rsa-sha256-digest") {
          CS_ASSIGN(out, sh.rsa_sign_digest(key, u, data, purpose));
        } else {
          CS_ASSIGN(out, sh.rsa_sign(key, u, data, purpose));
        }
        return json::object();
      }));
      return out;
    }
    const bool is_digest = mechanism == "sm2";
    CS_TRY(cli::with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
      if (is_digest) {
        CS_ASSIGN(out, sh.sign_digest(key, half, data, purpose));
      } else {
        CS_ASSIGN(out, sh.sign(key, half, data, crypto::kSm2DefaultId, purpose));
      }
      return json::object();
    }));
    return out;
  };
  h.decrypt = [&ctx](const std::string& cert_id, const std::string& mechanism,
                     BytesView ciphertext, const std::string& purpose) -> Result<SecretBytes> {
    CS_ASSIGN(auto key, cli::choose_key(ctx, "", cert_id));
    CS_TRY(check_mechanism(key, mechanism, {"sm2"}, {"rsa-pkcs1"}, {}));
    CS_ASSIGN(auto sh, ctx.shield());
    SecretBytes out;
    if (is_rsa_key(key)) {
      CS_TRY(cli::with_rsa_unlocked(ctx, key, [&](const UnlockedRsa& u) -> Result<json> {
        CS_ASSIGN(out, sh.rsa_decrypt(key, u, ciphertext, crypto::rsa_split::Padding::kPkcs1v15,
                                      purpose));
        return json::object();
      }));
      return out;
    }
    CS_TRY(cli::with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
      CS_ASSIGN(out, sh.decrypt(key, half, ciphertext, crypto::Sm2CipherOrder::kC1C3C2, purpose));
      return json::object();
    }));
    return out;
  };
  add_pc_commands(app, std::move(h), action);
}

}  // namespace certseal::client
