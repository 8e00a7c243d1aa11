// `certseal order sign-form` (cmd_order_form.h).
#include "client/cmd_order_form.h"

#include <iostream>

#include "base/encoding.h"
#include "client/http.h"
#include "client/messages.h"
#include "client/shield.h"
#include "crypto/sm2.h"

namespace certseal::client::cli {
namespace {

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

struct SignFormOptions {
  std::string order_id, cert_id, seal_id, signature_png, out;
};

Result<json> cmd_order_sign_form(Ctx& ctx, const SignFormOptions& o) {
  if (!o.seal_id.empty() && !o.signature_png.empty()) return usage(say("--seal 与 --signature 只能给一个", "give --seal or --signature, not both"));
  CS_ASSIGN(auto* h, ctx.api());
  // Which certificate: --cert, else the only key on this device.
  CS_ASSIGN(auto key, choose_key(ctx, "", o.cert_id));
  const std::string cert_id = o.cert_id.empty() ? key.certificate_id : o.cert_id;
  json body = {{"certificate_id", cert_id}};
  if (!o.seal_id.empty()) body["seal_id"] = o.seal_id;
  if (!o.signature_png.empty()) {
    CS_ASSIGN(auto png, read_input_file(o.signature_png));
    CS_ASSIGN(auto up, h->upload("/api/v1/blobs?purpose=handwritten_signature", png, content_type_of(png)));
    body["signature_blob_id"] = str(up, "id");
  }
  const std::string base = "/api/v1/orders/" + o.order_id + "/application-form";
  CS_ASSIGN(auto pending, h->call("POST", base + "/digital-signature", body));
  CS_ASSIGN(Bytes attrs, base64_decode(str(pending, "signed_attributes")));
  std::cerr << say("数字证书申请表，订单：", "Application form, order: ") << o.order_id << "\n"
            << say("签名证书：", "Signing certificate: ") << cert_id << " (" << str(pending, "algorithm") << ")\n"
            << say("签名时间：", "Signing time: ") << str(pending, "signing_time") << "\n";
  CS_ASSIGN(auto sh, ctx.shield());
  const std::string purpose = "application-form " + o.order_id;
  auto submit = [&](const Bytes& signature) -> Result<json> {
    CS_ASSIGN(auto r, h->call("POST", base + "/digital-signature/completion", {{"signature", base64_encode(signature)}}));
    if (!o.out.empty()) {
      CS_ASSIGN(auto pdf, h->raw("GET", base));
      if (pdf.status != 200) return error_from_response(pdf);
      CS_TRY(write_output_file(o.out, pdf.body));
      r["out"] = o.out;
    }
    if (!ctx.g.json) {
      const json form = r.value("application_form", json::object());
      std::cout << say("申请表已数字签名", "Application form signed digitally") << " (" << str(form, "level") << ")"
                << (o.out.empty() ? "" : say("，申请表：", "; form: ") + o.out) << "\n";
    }
    return r;
  };
  return with_signature(ctx, sh, key, attrs, purpose, submit);
}

struct OrderFormCommands final : CommandFamily {
  SignFormOptions opts;

  OrderFormCommands(CLI::App& app, Ctx& ctx, Action& action) {
    CLI::App* order = app.get_subcommand("order");
    CLI::App* sign = sub(order, "sign-form",
                         "sign the application form online with your certificate (申请表数字签名)");
    sign->add_option("order_id", opts.order_id)->required();
    sign->add_option("--cert", opts.cert_id, "your personal certificate to sign with (default: the only key here)");
    sign->add_option("--seal", opts.seal_id, "your handwritten signature or personal seal to show");
    sign->add_option("--signature", opts.signature_png, "a PNG of your handwritten signature to show");
    sign->add_option("--out", opts.out, "where to save the signed form (PDF)");
    sign->callback([this, &ctx, &action] { action = [this, &ctx] { return cmd_order_sign_form(ctx, opts); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_order_form_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<OrderFormCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
