// `certseal ledger verify`: check this account's records in the transparency log (docs/LEDGER.md).
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
#include "client/ledger_verify.h"
#include "client/messages.h"

namespace certseal::client::cli {
namespace {

// ---- transparency log ----

Result<json> cmd_ledger_verify(Ctx& ctx, const LedgerVerifyArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto rep, verify_ledger(*h, a));
  if (!ctx.g.json) {
    if (rep.key_from_server)
      std::cerr << tr("msg.ledger_tofu", a.state_file.empty() ? "-" : a.state_file) << "\n";
    if (rep.old_size > 0)
      std::cout << tr("msg.ledger_consistent", std::to_string(rep.old_size)) << "\n";
    std::cout << tr("msg.ledger_ok", std::to_string(rep.records), std::to_string(rep.size)) << "\n";
  }
  return rep.to_json();
}

// The options live here, as long as the parse and the action that read them.
struct LedgerCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  LedgerVerifyArgs lva;

  LedgerCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* ledger =
        sub(&app, "ledger",
            "the platform's transparency log of every issuance, grant and use (全程追溯)");
    ledger->require_subcommand(1);
    CLI::App* lverify =
        sub(ledger, "verify", "check that my records are in the log and that it was not rewritten");
    lverify->add_option(
        "--state", lva.state_file,
        "file keeping the log key and the last verified checkpoint (read, then updated)");
    lverify->add_option("--key", lva.key,
                        "the log's verifier key (name+id+base64), obtained out of band");
    lverify->callback([&] { action = [&] { return cmd_ledger_verify(ctx, lva); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_ledger_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<LedgerCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
