// `certseal pin …`: change or recover the certificate password (docs/SHIELD.md).
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

namespace certseal::client::cli {
namespace {

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
  const std::string_view old_text(old_pw.data(), old_pw.size()), new_text(new_pw.data(), new_pw.size());
  Result<KeyFile> changed = [&]() -> Result<KeyFile> {
    if (is_rsa_key(key)) {
      CS_ASSIGN(auto u, unlock_rsa_with_password(key, dev.device_id, old_text));
      return sh.change_password(key, u, new_text);
    }
    if (is_ecdsa_key(key)) {
      CS_ASSIGN(auto u, unlock_ecdsa_with_password(key, dev.device_id, old_text));
      return sh.change_password(key, u, new_text);
    }
    CS_ASSIGN(auto u, unlock_with_password(key, dev.device_id, old_text));
    return sh.change_password(key, u, new_text);
  }();
  if (!changed) return explain_unlock_error(ctx, key, std::move(changed).error());
  CS_TRY(s->save_key(*changed));
  (void)agent_request(sock, {{"op", "forget"}, {"key_id", key.key_id}});
  if (!ctx.g.json) std::cout << tr("msg.pin_changed") << "\n";
  return json{{"key_id", key.key_id}, {"changed", true}};
}

Result<json> cmd_pin_recover(Ctx& ctx, const std::string& key_id, const std::string& cert,
                             const std::string& given, const std::string& face) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto key, choose_key(ctx, key_id, cert));
  CS_ASSIGN(auto sh, ctx.shield());
  if (face.empty())
    return usage("--face <photo.jpg|png> is required: recovery checks who you are again");
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

// The options live here, as long as the parse and the action that read them.
struct PinCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string cert_id, code;
  std::string key_id, face_file;

  PinCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* pin = sub(&app, "pin", "the certificate password (证书密码)");
    pin->require_subcommand(1);
    CLI::App* pchange = sub(pin, "change", "change the certificate password");
    pchange->add_option("--key", key_id);
    pchange->add_option("--cert", cert_id);
    pchange->callback([&] { action = [&] { return cmd_pin_change(ctx, key_id, cert_id); }; });
    CLI::App* precover = sub(pin, "recover",
                             "reset a forgotten password or unlock a locked key (SMS code + login "
                             "password + face check)");
    precover->add_option("--key", key_id);
    precover->add_option("--cert", cert_id);
    precover->add_option("--code", code,
                         "SMS code of purpose authorise (otherwise sent and asked for)");
    precover->add_option("--face", face_file,
                         "a photo of your face taken now (JPEG or PNG), for the identity check");
    precover->callback(
        [&] { action = [&] { return cmd_pin_recover(ctx, key_id, cert_id, code, face_file); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_pin_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<PinCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
