// The command families of `certseal`, one file each (client/cmd_<family>.cpp).
//
// A family registers its subcommands on the CLI11 app when it is made and keeps the options they
// write into; run_cli (client/cli.cpp) keeps every family alive until the chosen command's action
// has run. A subcommand's callback only sets `action`: nothing runs before the whole command line
// is parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>

#include "client/cli_context.h"

namespace certseal::client::cli {

class CommandFamily {
 public:
  virtual ~CommandFamily() = default;
};

// A subcommand that lets global options (--json, --server, ...) follow it.
CLI::App* sub(CLI::App* parent, const char* name, const char* desc);

std::unique_ptr<CommandFamily> add_account_commands(CLI::App& app, Ctx& ctx,
                                                    Action& action);  // login, identity, verify
std::unique_ptr<CommandFamily> add_ledger_commands(CLI::App& app, Ctx& ctx, Action& action);
std::unique_ptr<CommandFamily> add_org_commands(CLI::App& app, Ctx& ctx, Action& action);
std::unique_ptr<CommandFamily> add_order_commands(CLI::App& app, Ctx& ctx,
                                                  Action& action);  // order, pay
std::unique_ptr<CommandFamily> add_cert_commands(CLI::App& app, Ctx& ctx, Action& action);
std::unique_ptr<CommandFamily> add_pin_commands(CLI::App& app, Ctx& ctx, Action& action);
std::unique_ptr<CommandFamily> add_device_commands(CLI::App& app, Ctx& ctx, Action& action);
std::unique_ptr<CommandFamily> add_agent_commands(CLI::App& app, Ctx& ctx, Action& action);
std::unique_ptr<CommandFamily> add_scan_commands(CLI::App& app, Ctx& ctx, Action& action);

}  // namespace certseal::client::cli
