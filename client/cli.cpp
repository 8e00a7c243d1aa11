// `certseal`: global options, the command families (client/cli_commands.h), and running the one
// command the line names.
#include "client/cli.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client/cli_commands.h"
#include "client/cmd_docsign.h"
#include "client/cmd_grant.h"
#include "client/cmd_order_form.h"
#include "client/cmd_cloudkey.h"
#include "client/cmd_platforms.h"
#include "client/cmd_pc.h"
#include "client/cmd_seal.h"
#include "client/cmd_settings.h"
#include "client/client_log.h"
#include "client/cmd_token.h"
#include "client/exit_codes.h"
#include "client/messages.h"

namespace certseal::client {

namespace cli {

CLI::App* sub(CLI::App* parent, const char* name, const char* desc) {
  CLI::App* s = parent->add_subcommand(name, desc);
  s->fallthrough();
  return s;
}

}  // namespace cli

int run_cli(int argc, char** argv) {
  using cli::Action;
  using cli::sub;
  using nlohmann::json;

  // The language is needed before CLI11 prints errors: peek at --lang.
  std::string lang_flag;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--lang" && i + 1 < argc) lang_flag = argv[i + 1];
    if (a.rfind("--lang=", 0) == 0) lang_flag = a.substr(7);
  }
  set_language(language_from(lang_flag));

  cli::Ctx ctx;
  Action action;
  CLI::App app{"certseal - CertSeal mobile certificate client (手机盾命令行客户端)", "certseal"};
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--server", ctx.g.server,
                 "server URL (default: the session's, or $CERTSEAL_SERVER)");
  app.add_option("--data-dir", ctx.g.data_dir,
                 "device data folder (default: $CERTSEAL_DATA_DIR, $XDG_DATA_HOME/certseal, "
                 "~/.local/share/certseal)");
  app.add_option("--lang", ctx.g.lang, "zh (default) or en");
  app.add_flag("--json", ctx.g.json, "print one JSON document on standard output");
  app.add_option("--password-fd", ctx.g.password_fd,
                 "read answers to prompts from this file descriptor, one line each");
  app.add_option("--new-password-fd", ctx.g.new_password_fd,
                 "read new passwords (and their confirmation) from this descriptor");

  // help CMD [SUB]
  std::vector<std::string> help_path;
  CLI::App* help = sub(&app, "help", "show the help of a command, e.g. certseal help cert sign");
  help->add_option("command", help_path, "command path");

  // The command families, in the order `certseal --help` lists them.
  std::vector<std::unique_ptr<cli::CommandFamily>> families;
  for (auto add : {cli::add_account_commands, cli::add_ledger_commands, cli::add_org_commands,
                   cli::add_order_commands, cli::add_cert_commands, cli::add_pin_commands,
                   cli::add_device_commands, cli::add_agent_commands}) {
    families.push_back(add(app, ctx, action));
  }
  add_seal_commands(app, {[&ctx]() { return ctx.api(); }, [&ctx]() { return ctx.g.json; }}, action);
  add_docsign_commands(app, [&ctx]() { return ctx.g.json; }, action);
  families.push_back(cli::add_scan_commands(app, ctx, action));
  families.push_back(cli::add_grant_commands(app, ctx, action));
  families.push_back(cli::add_cloudkey_commands(app, ctx, action));  // cmd_cloudkey.cpp
  families.push_back(cli::add_platforms_commands(app, ctx, action));
  add_pc_commands(app, ctx, action);     // cmd_pc.cpp
  add_token_commands(app, ctx, action);  // cmd_token.cpp
  families.push_back(cli::add_settings_commands(app, ctx, action));  // cmd_settings.cpp
  families.push_back(cli::add_order_form_commands(app, ctx, action));  // cmd_order_form.cpp

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
  record_command(ctx.g.data_dir, command_path(app), r);  // client_log.h: only when logs are on
  if (!r) {
    const Error& e = r.error();
    int code_out = exit_code_for(e);
    std::string line = e.message.empty() ? e.code : e.message;
    if (is_server_refusal(e) && e.code != "bad_unlock_proof" && e.code != "key_locked")
      line = tr("err.refused", line);
    if (code_out == kExitServer && e.code == "server_error") line = tr("err.server", line);
    std::cerr << "certseal: " << line << "\n";
    if (ctx.g.json) {
      std::cout
          << json{{"ok", false}, {"error", e.code}, {"message", line}, {"exit", code_out}}.dump()
          << "\n";
    }
    return code_out;
  }
  if (ctx.g.json && !r->is_null()) std::cout << r->dump() << "\n";
  return kExitOk;
}

}  // namespace certseal::client
