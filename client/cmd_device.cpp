// `certseal device …`: the devices holding a share of a key — list, add, remove, pair
// (docs/SHIELD.md).
#include "client/cli_commands.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/encoding.h"
#include "client/agent.h"
#include "client/messages.h"
#include "crypto/pairing.h"

namespace certseal::client::cli {
namespace {

// ---- devices ----

Result<json> cmd_device_list(Ctx& ctx, const std::string& key_id, const std::string& cert) {
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto dev, ctx.device());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/shield/keys/" + key.key_id + "/devices"));
  if (!ctx.g.json) {
    for (const auto& d : r.value("items", json::array())) {
      std::cout << (str(d, "device_id") == dev.device_id ? "* " : "  ") << str(d, "device_id")
                << "  " << str(d, "status") << "  " << str(d, "name") << "  "
                << str(d, "created_at") << "\n";
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_devices");
  r["this_device"] = dev.device_id;
  return r;
}

// The pairing channel's own refusals (crypto/pairing.h), said in the user's language.
Error localise_pairing_error(Error e) {
  if (e.code == "pairing_code_mismatch" || e.code == "bad_pairing_code" ||
      e.code == "pairing_envelope_forged") {
    e.message = tr("err." + e.code);
  }
  return e;
}

Result<json> cmd_device_add(Ctx& ctx, const std::string& pairing, std::string code,
                            const std::string& key_id, const std::string& cert) {
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto sh, ctx.shield());
  if (code.empty()) {
    CS_ASSIGN(code, ctx.prompter().line(tr("prompt.pairing_code")));
  }
  // A typo is told before the password is asked for.
  if (auto parsed = crypto::pairing::parse_code(code); !parsed)
    return localise_pairing_error(std::move(parsed).error());
  CS_ASSIGN(auto r, with_unlocked(ctx, key, [&](const Unlocked& u) -> Result<json> {
              auto to = sh.add_device(key, u, pairing, code);
              if (!to) return localise_pairing_error(std::move(to).error());
              return json{{"key_id", key.key_id},
                          {"pairing_id", pairing},
                          {"status", "delivered"},
                          {"device_id", (*to)["device_id"]},
                          {"device_name", (*to)["device_name"]}};
            }));
  if (!ctx.g.json)
    std::cout << tr("msg.device_added", str(r, "device_name"), str(r, "device_id")) << "\n";
  return r;
}

Result<json> cmd_device_remove(Ctx& ctx, const std::string& device_id, const std::string& key_id,
                               const std::string& cert, const std::string& given) {
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(
      auto r,
      h->call("POST", "/api/v1/shield/keys/" + key.key_id + "/devices/" + device_id + "/removal",
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
    if (!ready)
      return Error(ErrorKind::kTimeout, "pairing_timeout",
                   "the other device did not answer in time");
  }
  CS_ASSIGN(auto ready, sh.pairing_ready(finish));
  if (!ready)
    return Error(ErrorKind::kFailedPrecondition, "pairing_pending",
                 "the other device has not sent the key share yet");
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  auto completed = sh.complete_pairing(*s, finish, std::string_view(pw.data(), pw.size()));
  if (!completed) return localise_pairing_error(std::move(completed).error());
  KeyFile k = std::move(completed).value();
  CS_TRY(s->save_key(k));
  if (!ctx.g.json) std::cout << tr("msg.device_paired", k.key_id) << "\n";
  return json{{"pairing_id", finish}, {"key_id", k.key_id}, {"certificate_id", k.certificate_id}};
}

// The options live here, as long as the parse and the action that read them.
struct DeviceCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string key_id, cert_id, code;
  std::string device_id, pairing_id, pairing_code;
  bool no_wait = false;
  int pair_wait = 600;

  DeviceCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* device = sub(&app, "device", "devices holding a share of a key");
    device->require_subcommand(1);
    CLI::App* dlist = sub(device, "list", "devices of a key; * marks this one");
    dlist->add_option("--key", key_id);
    dlist->add_option("--cert", cert_id);
    dlist->callback([&] { action = [&] { return cmd_device_list(ctx, key_id, cert_id); }; });
    CLI::App* dadd =
        sub(device, "add", "on this (unlocked) device: send a key share to a pairing new device");
    dadd->add_option("pairing_id", pairing_id)->required();
    dadd->add_option("--code", pairing_code,
                     "the pairing code the new device shows (otherwise asked for)");
    dadd->add_option("--key", key_id);
    dadd->add_option("--cert", cert_id);
    dadd->callback([&] {
      action = [&] { return cmd_device_add(ctx, pairing_id, pairing_code, key_id, cert_id); };
    });
    CLI::App* dremove = sub(device, "remove", "remove a device: its share stops working at once");
    dremove->add_option("device_id", device_id)->required();
    dremove->add_option("--key", key_id);
    dremove->add_option("--cert", cert_id);
    dremove->add_option("--code", code,
                        "SMS code of purpose authorise (otherwise sent and asked for)");
    dremove->callback(
        [&] { action = [&] { return cmd_device_remove(ctx, device_id, key_id, cert_id, code); }; });
    CLI::App* dpair =
        sub(device, "pair",
            "on a new device: start pairing, wait for the other device, set a password");
    dpair->add_flag("--no-wait", no_wait, "only start the pairing and print its id");
    dpair->add_option("--finish", pairing_id, "complete a pairing started earlier with --no-wait");
    dpair->add_option("--wait", pair_wait, "seconds to wait for the other device (default 600)");
    dpair->callback(
        [&] { action = [&] { return cmd_device_pair(ctx, pairing_id, no_wait, pair_wait); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_device_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<DeviceCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
