// Scene 13 in `certseal scan` (scan_document.h).
#include "client/scan_document.h"

#include <filesystem>
#include <iostream>

#include "base/encoding.h"
#include "client/messages.h"
#include "crypto/hash.h"
#include "crypto/sm2.h"

namespace certseal::client::cli {
namespace {

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

}  // namespace

Result<json> answer_document_scene(Ctx& ctx, const json& claim, const DocumentScanOptions& o,
                                   const std::function<Result<json>(const std::string& reason)>& refuse) {
  CS_ASSIGN(auto* h, ctx.api());
  const std::string id = str(claim, "id"), app_name = str(claim, "app_name");
  Bytes pdf;
  if (claim.contains("message") && claim["message"].is_string()) {
    CS_ASSIGN(pdf, base64_decode(claim["message"].get<std::string>()));
  }
  std::cerr << say("待签章文件：", "Document to seal: ") << pdf.size() << say(" 字节，SHA-256 ", " bytes, SHA-256 ")
            << hex_encode(crypto::sha256(pdf)) << "\n";
  // Which seal: --seal, else the only usable one whose certificate's key is on this device.
  CS_ASSIGN(auto* store, ctx.store());
  CS_ASSIGN(auto keys, store->keys());
  auto on_device = [&](const std::string& cert_id) {
    for (const auto& k : keys) {
      if (k.certificate_id == cert_id) return true;
    }
    return false;
  };
  json chosen;
  std::vector<std::string> usable;
  const json seals = claim.contains("seals") ? claim["seals"] : json::array();
  for (const auto& s : seals) {
    if (!o.seal_id.empty() && str(s, "id") == o.seal_id) chosen = s;
    if (s.value("usable", false) && on_device(str(s, "certificate_id"))) usable.push_back(str(s, "id"));
  }
  if (!o.seal_id.empty()) {
    if (chosen.is_null()) return not_found("seal_not_found", say("没有该印章：", "no such seal: ") + o.seal_id);
    if (!chosen.value("usable", false)) {
      return permission_denied(str(chosen, "reason"), say("该印章不能用于此请求：", "this seal cannot answer this request: ") +
                                                          str(chosen, "reason"));
    }
  } else {
    if (usable.empty()) {
      return permission_denied("no_usable_seal", say("没有可用于此请求的印章", "no seal of yours may answer this request"));
    }
    if (usable.size() > 1) {
      std::string list;
      for (const auto& u : usable) list += (list.empty() ? "" : ", ") + u;
      return usage(say("有多个印章可用，请用 --seal 指定：", "several seals may answer; choose one with --seal: ") + list);
    }
    for (const auto& s : seals) {
      if (str(s, "id") == usable.front()) chosen = s;
    }
  }
  const std::string seal_id = str(chosen, "id"), cert_id = str(chosen, "certificate_id");
  // The server prepares the document with the seal and renders the page.
  const std::int64_t signing_time = SystemClock().now_unix();
  CS_ASSIGN(auto prep, h->call("POST", "/api/v1/scene-requests/" + id + "/document-preparation",
                               {{"seal_id", seal_id}, {"signing_time", signing_time}}));
  CS_ASSIGN(Bytes attrs, base64_decode(str(prep, "signed_attributes")));
  CS_ASSIGN(Bytes png, base64_decode(str(prep, "preview_png")));
  std::string preview = o.preview_path;
  if (preview.empty()) {
    std::error_code ec;
    const std::string dir = (ctx.g.data_dir.empty() ? std::string(".") : ctx.g.data_dir) + "/previews";
    std::filesystem::create_directories(dir, ec);
    preview = dir + "/" + id + ".png";
  }
  CS_TRY(write_output_file(preview, as_chars(png)));
  std::cerr << say("印章：", "Seal: ") << str(chosen, "name") << " (" << str(chosen, "kind") << ")"
            << say("，第 ", ", page ") << prep.value("page", 1) << say(" 页", "") << "\n"
            << say("预览图：", "Preview: ") << preview << "\n";
  if (!o.yes) {
    CS_ASSIGN(auto answer, ctx.prompter().line(say("确认签章？[y/N]: ", "Seal the document? [y/N]: ")));
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "是") return refuse("declined");
  }
  CS_ASSIGN(auto key, choose_key(ctx, "", cert_id));
  CS_ASSIGN(auto sh, ctx.shield());
  // signature: DER SM2 or ECDSA, or the PKCS#1 v1.5 block of a two-party RSA key (what PDF readers check).
  auto complete = [&](const Bytes& signature) -> Result<json> {
    CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/completion",
                              {{"certificate_id", cert_id},
                               {"seal_id", seal_id},
                               {"signing_time", signing_time},
                               {"signature", base64_encode(signature)}}));
    if (!ctx.g.json) std::cout << say("已签章，", "Sealed; ") << app_name << say(" 已收到结果", " has the result") << "\n";
    r["certificate_id"] = cert_id;
    r["seal_id"] = seal_id;
    r["scene"] = "13";
    r["preview"] = preview;
    return r;
  };
  return with_signature(ctx, sh, key, attrs, "scene 13 " + id, complete);
}

}  // namespace certseal::client::cli
