// `certseal org transfer-admin` (org_transfer.h).
#include "client/org_transfer.h"

#include <filesystem>
#include <iostream>

#include "base/encoding.h"
#include "client/http.h"
#include "client/messages.h"
#include "crypto/sm2.h"

namespace certseal::client::cli {
namespace {

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

Result<std::string> download(Http& h, const std::string& path) {
  CS_ASSIGN(auto r, h.raw("GET", path));
  if (r.status != 200) return error_from_response(r);
  return r.body;
}

}  // namespace

Result<json> cmd_org_transfer_admin(Ctx& ctx, const TransferAdminOptions& o) {
  CS_ASSIGN(auto* h, ctx.api());
  // Which certificate: --cert, else the only key on this device.
  CS_ASSIGN(auto key, choose_key(ctx, "", o.cert_id));
  const std::string cert_id = o.cert_id.empty() ? key.certificate_id : o.cert_id;
  json body = {{"member_id", o.member_id}, {"certificate_id", cert_id}};
  if (!o.seal_id.empty()) body["seal_id"] = o.seal_id;
  if (!o.signature_png.empty()) {
    CS_ASSIGN(auto png, read_input_file(o.signature_png));
    CS_ASSIGN(auto up, h->upload("/api/v1/blobs?purpose=handwritten_signature", png, content_type_of(png)));
    body["signature_blob_id"] = str(up, "id");
  }
  const std::string base = "/api/v1/organisations/" + o.org_id + "/admin-transfer-letters";
  CS_ASSIGN(auto letter, h->call("POST", base, body));
  const std::string id = str(letter, "id");
  CS_ASSIGN(Bytes attrs, base64_decode(str(letter, "signed_attributes")));
  // The letter as it will be signed, to read first.
  std::string preview = o.preview;
  if (preview.empty()) {
    std::error_code ec;
    const std::string dir = (ctx.g.data_dir.empty() ? std::string(".") : ctx.g.data_dir) + "/previews";
    std::filesystem::create_directories(dir, ec);
    preview = dir + "/letter-" + id + ".pdf";
  }
  CS_ASSIGN(auto unsigned_pdf, download(*h, base + "/" + id + "/pdf"));
  CS_TRY(write_output_file(preview, unsigned_pdf));
  std::cerr << say("授权委托书（转让管理员）：", "Authorisation letter (admin transfer): ") << id << "\n"
            << say("新管理员成员：", "New admin (member): ") << o.member_id << "\n"
            << say("签名证书：", "Signing certificate: ") << cert_id << "\n"
            << say("委托书预览：", "Letter to read: ") << preview << "\n"
            << say("有效期至：", "Valid until: ") << str(letter, "expires_at") << "\n";
  if (!o.yes) {
    CS_ASSIGN(auto answer, ctx.prompter().line(say("签署委托书并转让管理员？[y/N]: ",
                                                   "Sign the letter and hand over the admin role? [y/N]: ")));
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "是") {
      return failed_precondition("declined", say("已取消，未做任何更改", "cancelled; nothing changed"));
    }
  }
  CS_ASSIGN(auto sh, ctx.shield());
  const std::string purpose = "admin-transfer-letter " + id;
  auto submit = [&](const Bytes& signature) -> Result<json> {
    CS_ASSIGN(auto r, h->call("POST", base + "/" + id + "/signature", {{"signature", base64_encode(signature)}}));
    if (!o.out.empty()) {
      CS_ASSIGN(auto pdf, download(*h, base + "/" + id + "/pdf"));
      CS_TRY(write_output_file(o.out, pdf));
      r["out"] = o.out;
    }
    if (!ctx.g.json) {
      std::cout << say("已签署授权委托书，管理员已转让", "Letter signed; the admin role has been handed over")
                << (o.out.empty() ? "" : say("，委托书：", "; letter: ") + o.out) << "\n";
    }
    return r;
  };
  return with_signature(ctx, sh, key, attrs, purpose, submit);
}

}  // namespace certseal::client::cli
