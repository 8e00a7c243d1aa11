// `certseal grant …`: organisation grants (单位证书授权, docs/GRANTS.md, docs/CLI.md) — ask for an
// organisation certificate on a platform, see whom to ring, list and show grants, approve with a
// window and uses, refuse, take back, and pair this device to the key of an approved grant.
#pragma once

#include <memory>

#include "client/cli_commands.h"

namespace certseal::client::cli {

std::unique_ptr<CommandFamily> add_grant_commands(CLI::App& app, Ctx& ctx, Action& action);

}  // namespace certseal::client::cli
