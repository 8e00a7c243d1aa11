// `certseal scan` for scene 13 (扫码文件签章签名, docs/INTEGRATION.md): the relying party's PDF is
// shown by size and digest, the user's seal is picked (--seal, else the only usable one whose
// certificate key is on this device), the server prepares the document with it and renders the
// page, the preview is written to a PNG (--preview FILE, else <data-dir>/previews/<request>.png),
// the user confirms, the signed attributes are signed through the two-party protocol and posted.
#pragma once

#include <functional>
#include <string>

#include "client/cli_context.h"

namespace certseal::client::cli {

struct DocumentScanOptions {
  std::string seal_id, preview_path;
  bool yes = false;
};

Result<json> answer_document_scene(Ctx& ctx, const json& claim, const DocumentScanOptions& o,
                                   const std::function<Result<json>(const std::string& reason)>& refuse);

}  // namespace certseal::client::cli
