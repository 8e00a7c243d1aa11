// `certseal about`, `update check`, `agreement show`, `privacy …`, `logs …`: the settings of a
// client business (SPEC §11 "Settings"; docs/CLI.md "Settings"). --business (legacy by default,
// or cloudkey, unified) picks whose release and support certificate the server answers with:
//   about           this client's version, the server's, and whether a newer release exists
//   update check    the business's latest release against this client's version: up to date,
//                   update available, or update required (this version is older than the
//                   release's min_version); no release published yet is said as such
//   agreement show  the user agreement or privacy policy text the server serves (kind: user,
//                   privacy, person_verification, organisation)
//   privacy personal-info | third-parties   the personal-information and third-party lists
//   logs on|off|status|export --out FILE    the client's own log (client/client_log.h)
#pragma once

#include <memory>

#include "client/cli_commands.h"

namespace certseal::client::cli {

std::unique_ptr<CommandFamily> add_settings_commands(CLI::App& app, Ctx& ctx, Action& action);

}  // namespace certseal::client::cli
