// `certseal cloudkey …`: the cloud key (云密钥, docs/CLOUDKEY.md, docs/CLI.md) — find a tenant or
// read its QR payload, apply for a staff record, download the staff certificate (a two-party key
// of the mobile shield) on this device; for tenant admins the settings and staff records; for
// the holder the devices of a staff key (freeze, activate, remove), SMS unlocks and the usage log.
#pragma once

#include <memory>

#include "client/cli_commands.h"

namespace certseal::client::cli {

std::unique_ptr<CommandFamily> add_cloudkey_commands(CLI::App& app, Ctx& ctx, Action& action);

}  // namespace certseal::client::cli
