// `certseal login | logout | sms-code | identity … | verify`: the account, its identities and the
// person's real-name verification (docs/CLI.md).
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
#include "client/prompt.h"
#include "client/shield.h"

namespace certseal::client::cli {
namespace {

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
    CS_ASSIGN(auto np,
              ctx.new_prompter().new_secret(tr("prompt.new_login_password"), tr("prompt.confirm")));
    http.set_token(sess.token);
    json pbody = {{"password", std::string(np.begin(), np.end())}};
    auto set = http.call("PUT", "/api/v1/account/password", pbody);
    wipe_json_strings(pbody, {"password"});
    CS_TRY(set);
    registered = true;
  }
  json out = {{"phone", phone},
              {"server", url},
              {"created", r->value("created", false)},
              {"expires_at", sess.expires_at},
              {"account", (*r)["account"]}};
  std::cout << (ctx.g.json
                    ? ""
                    : (registered ? tr("msg.registered", phone) : tr("msg.logged_in", phone)) +
                          "\n");
  return out;
}

Result<json> cmd_logout(Ctx& ctx) {
  CS_ASSIGN(auto* s, ctx.store());
  if (auto h = ctx.api(); h) (void)(*h)->call("DELETE", "/api/v1/sessions/current");
  CS_TRY(s->clear_session());
  if (!ctx.g.json) std::cout << tr("msg.logged_out") << "\n";
  return json{{"logged_out", true}};
}

Result<json> cmd_sms_code(Ctx& ctx, const std::string& phone, const std::string& purpose,
                          const std::string& for_action, const std::string& object_id) {
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
Result<json> cmd_identity_list(Ctx& ctx) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/identities"));
  if (!ctx.g.json) {
    std::string cur = str(r, "current_identity_id");
    for (const auto& i : r.value("items", json::array())) {
      std::cout << (str(i, "id") == cur ? "* " : "  ") << str(i, "id") << "  " << str(i, "kind")
                << "  " << str(i, "org_name") << str(i, "org_id") << "\n";
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

Result<json> cmd_verify(Ctx& ctx, const VerifyArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  if (a.status) {
    CS_ASSIGN(auto r, h->call("GET", "/api/v1/person-verifications/current"));
    if (!ctx.g.json)
      std::cout << str(r, "status") << "  " << str(r, "name") << "  " << str(r, "id_number")
                << "\n";
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
  CS_ASSIGN(auto fb,
            h->upload("/api/v1/blobs?purpose=id_card_front", front, content_type_of(front)));
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

// The options live here, as long as the parse and the action that read them.
struct AccountCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string phone, code;
  std::string sms_purpose = "login", sms_action, sms_object;
  std::string identity_id;
  VerifyArgs va;

  AccountCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* login =
        sub(&app, "login", "log in (registers on first login) with phone, SMS code and password");
    login->add_option("--phone", phone, "phone number");
    login->add_option("--code", code,
                      "SMS code already received (otherwise one is sent and asked for)");
    login->callback([&] { action = [&] { return cmd_login(ctx, phone, code); }; });
    sub(&app, "logout", "log out and forget the session")->callback([&] {
      action = [&] { return cmd_logout(ctx); };
    });
    CLI::App* sms =
        sub(&app, "sms-code", "ask the server to send an SMS code (for scripts; use with --code)");
    sms->add_option("--phone", phone, "phone number (login, reset_password)");
    sms->add_option("--purpose", sms_purpose,
                    "login, reset_password, verify_person, authorise, deregister");
    sms->add_option(
        "--for", sms_action,
        "authorise codes: the operation (order_authorise, certificate_revoke, certificate_reissue, "
        "device_remove, key_recover)");
    sms->add_option("--object", sms_object, "with --for: the order, certificate, device or key id");
    sms->callback([&] {
      action = [&] { return cmd_sms_code(ctx, phone, sms_purpose, sms_action, sms_object); };
    });

    // identity
    CLI::App* identity = sub(&app, "identity", "identities (natural person, employee, admin, ...)");
    identity->require_subcommand(1);
    sub(identity, "list", "list identities; * marks the current one")->callback([&] {
      action = [&] { return cmd_identity_list(ctx); };
    });
    CLI::App* iswitch = sub(identity, "switch", "act as another identity");
    iswitch->add_option("identity_id", identity_id, "identity id")->required();
    iswitch->callback([&] { action = [&] { return cmd_identity_switch(ctx, identity_id); }; });

    // verify
    CLI::App* verify = sub(&app, "verify", "real-name verification of the person (个人实名认证)");
    verify->add_option("--name", va.name, "name as on the ID card");
    verify->add_option("--id-number", va.id_number, "resident ID card number");
    verify->add_option("--front", va.front, "photo of the ID card front (JPEG or PNG)");
    verify->add_option("--back", va.back, "photo of the ID card back (JPEG or PNG)");
    verify->add_option("--code", va.code,
                       "SMS code of purpose verify_person (otherwise sent and asked for)");
    verify->add_option("--agreement-version", va.agreement_version,
                       "accepted agreement version (default: current)");
    verify->add_flag("--status", va.status, "show the newest verification instead");
    verify->callback([&] { action = [&] { return cmd_verify(ctx, va); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_account_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<AccountCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
