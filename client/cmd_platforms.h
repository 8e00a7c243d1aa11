// `certseal platforms …`: mutual recognition (互认共享, docs/ORDERS.md, docs/GRANTS.md) — on which
// trading platforms a certificate is usable, buy a package for another platform (an order, then
// `order authorise` and `pay` as usual), cancel one per platform. With --org, an organisation
// certificate managed by the organisation's admin identity, whoever holds it.
#pragma once

#include <memory>

#include "client/cli_commands.h"

namespace certseal::client::cli {

std::unique_ptr<CommandFamily> add_platforms_commands(CLI::App& app, Ctx& ctx, Action& action);

}  // namespace certseal::client::cli
