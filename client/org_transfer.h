// `certseal org transfer-admin` (转让管理员, docs/CLI.md): the whole signed admin transfer. The
// server draws the authorisation letter (授权委托书) and prepares it with the signer's handwritten
// signature picture (--seal, else an uploaded --signature PNG, else the handwritten seal the
// server keeps); the unsigned letter is saved (--preview FILE, else
// <data-dir>/previews/letter-<id>.pdf) and summarised; after confirmation the signed attributes
// are signed through the two-party protocol (certificate password) and posted; the server checks
// the signature and the PDF and changes the roles; the signed letter is saved with --out.
#pragma once

#include <string>

#include "client/cli_context.h"

namespace certseal::client::cli {

struct TransferAdminOptions {
  std::string org_id, member_id, cert_id, seal_id, signature_png, out, preview;
  bool yes = false;
};

Result<json> cmd_org_transfer_admin(Ctx& ctx, const TransferAdminOptions& o);

}  // namespace certseal::client::cli
