// `certseal order sign-form` (docs/CLI.md): the application form (申请表) signed online with a
// digital signature. The server draws the form and prepares it with the applicant's handwritten
// signature picture (--seal, else an uploaded --signature PNG, else the handwritten seal the
// server keeps); the signed attributes are signed through the two-party protocol (certificate
// password) and posted; the server checks the signature and the PDF and keeps it as the order's
// signed form; --out saves it.
#pragma once

#include <memory>

#include "client/cli_commands.h"

namespace certseal::client::cli {

// Adds `sign-form` to the `order` command (register after add_order_commands).
std::unique_ptr<CommandFamily> add_order_form_commands(CLI::App& app, Ctx& ctx, Action& action);

}  // namespace certseal::client::cli
