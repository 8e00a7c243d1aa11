// `certseal scan`: answer a relying party's QR scene — login, sign, decrypt, encrypt
// (docs/INTEGRATION.md; the server side is service/scene).
#include "client/cli_commands.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/encoding.h"
#include "client/messages.h"
#include "client/origin.h"
#include "client/qr_decode.h"
#include "client/scan_document.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"
#include "pki/login_assertion.h"

namespace certseal::client::cli {
namespace {

// ---- scan: QR scenes (docs/INTEGRATION.md; the server side is service/scene) ----

struct ScanArgs {
  std::string image, payload, cert, reason;
  std::string seal, preview;  // scene 13
  bool yes = false, refuse = false;
};

// The one-time token of a scene QR code <server>/s/<token>, refused unless the code belongs to
// the server this client talks to (a code that sends the user elsewhere is not followed).
Result<std::string> scene_token(Ctx& ctx, const std::string& payload) {
  const std::size_t at = payload.rfind("/s/");
  if (at == std::string::npos || at + 3 >= payload.size()) {
    return invalid_argument("scene_bad_payload", tr("err.scene_bad_payload"));
  }
  const std::string base = payload.substr(0, at), token = payload.substr(at + 3);
  for (char c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return invalid_argument("scene_bad_payload", tr("err.scene_bad_payload"));
    }
  }
  CS_ASSIGN(auto url, ctx.server_url());
  if (!same_origin(base, url)) {
    return permission_denied("scene_other_server", tr("err.scene_other_server", base, url));
  }
  return token;
}

bool printable_text(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\n' && c != '\t') return false;
    if (c == 0x7f) return false;
  }
  return true;
}

// A trading platform's application link <server>/a/<token> (printed to start a certificate
// application): its token, or nullopt when the text is not one. Refused when it belongs to another
// server, like a scene code.
Result<std::optional<std::string>> application_link_token(Ctx& ctx, const std::string& payload) {
  const std::size_t at = payload.rfind("/a/");
  if (at == std::string::npos || at + 3 >= payload.size()) return std::optional<std::string>();
  const std::string base = payload.substr(0, at), token = payload.substr(at + 3);
  for (char c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return std::optional<std::string>();
  }
  CS_ASSIGN(auto url, ctx.server_url());
  if (!same_origin(base, url)) {
    return permission_denied("scene_other_server", tr("err.scene_other_server", base, url));
  }
  return std::optional<std::string>(token);
}

// Shows what an application link offers and how to order through it; nothing is bought here.
Result<json> show_application_link(Ctx& ctx, const std::string& token) {
  CS_ASSIGN(auto url, ctx.server_url());
  Http http(url);
  CS_ASSIGN(auto r, http.call("GET", "/api/v1/application-links/" + token));
  if (!ctx.g.json) {
    std::cout << tr("msg.applink_from", str(r, "app_name"), str(r, "platform_name"), str(r, "label")) << "\n";
    for (const auto& p : r.value("products", json::array())) {
      const std::int64_t fen = p.value("price_fen", std::int64_t{0});
      std::cout << "product    " << str(p, "id") << "  " << str(p, "name") << "  " << fen / 100 << "."
                << (fen % 100 < 10 ? "0" : "") << fen % 100 << "\n";
    }
    std::cout << tr("msg.applink_next", token) << "\n";
  }
  return r;
}

Result<json> cmd_scan(Ctx& ctx, const ScanArgs& a) {
  if (a.image.empty() == a.payload.empty()) return usage(tr("err.scan_input"));
  std::string text = a.payload;
  if (!a.image.empty()) {
    CS_ASSIGN(text, decode_qr_png(a.image));
  }
  CS_ASSIGN(auto link, application_link_token(ctx, text));
  if (link) return show_application_link(ctx, *link);
  CS_ASSIGN(auto token, scene_token(ctx, text));
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto claim, h->call("POST", "/api/v1/scene-claims", {{"token", token}}));
  const std::string id = str(claim, "id"), scene = str(claim, "scene");
  const std::string app_name = str(claim, "app_name");
  Bytes message;
  if (claim.contains("message") && claim["message"].is_string()) {
    CS_ASSIGN(message, base64_decode(claim["message"].get<std::string>()));
  }
  // What is asked, before anything is signed (standard error, so --json output stays clean).
  std::cerr << tr("msg.scene_from", app_name, str(claim, "platform_name"), tr("scene." + scene))
            << "\n"
            << tr("msg.scene_title", str(claim, "title")) << "\n";
  if (!message.empty()) {
    const std::string m = to_string(message);
    if (scene == "14") {
      std::cerr << tr("msg.scene_decrypt", std::to_string(m.size()),
                      hex_encode(crypto::sha256(message)))
                << "\n";
    } else if (printable_text(m) && m.size() <= 2000) {
      std::cerr << tr(scene == "16" ? "msg.scene_encrypt" : "msg.scene_message", m) << "\n";
    } else {
      std::cerr << tr("msg.scene_message_binary", std::to_string(m.size()),
                      hex_encode(crypto::sha256(message)))
                << "\n";
    }
  }
  std::cerr << tr("msg.scene_expires", str(claim, "expires_at")) << "\n";
  auto refuse = [&](const std::string& reason) -> Result<json> {
    CS_ASSIGN(auto r,
              h->call("POST", "/api/v1/scene-requests/" + id + "/refusal", {{"reason", reason}}));
    if (!ctx.g.json) std::cout << tr("msg.scene_refused") << "\n";
    return r;
  };
  if (a.refuse) return refuse(a.reason);
  if (scene == "13") return answer_document_scene(ctx, claim, {a.seal, a.preview, a.yes}, refuse);
  // Which certificate: --cert, else the only usable one whose key is on this device.
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto keys, s->keys());
  auto on_device = [&](const std::string& cert_id) {
    for (const auto& k : keys) {
      if (k.certificate_id == cert_id) return true;
    }
    return false;
  };
  json chosen;
  std::vector<std::string> usable;
  for (const auto& c : claim["certificates"]) {
    const std::string cid = str(c, "certificate_id");
    if (!a.cert.empty() && cid == a.cert) chosen = c;
    if (c.value("enabled", false) && on_device(cid)) usable.push_back(cid);
  }
  if (!a.cert.empty()) {
    if (chosen.is_null()) return not_found("unknown_key", tr("err.unknown_key", a.cert));
    if (!chosen.value("enabled", false)) {
      return permission_denied(str(chosen, "reason"),
                               tr("err.scene_cert_not_usable", str(chosen, "reason")));
    }
  } else {
    if (usable.empty())
      return permission_denied("no_usable_certificate", tr("err.scene_no_certificate"));
    if (usable.size() > 1) {
      std::string list;
      for (const auto& u : usable) list += (list.empty() ? "" : ", ") + u;
      return usage(tr("err.scene_choose_cert", list));
    }
    for (const auto& c : claim["certificates"]) {
      if (str(c, "certificate_id") == usable.front()) chosen = c;
    }
  }
  const std::string cert_id = str(chosen, "certificate_id");
  std::cerr << tr("msg.scene_cert", str(chosen, "subject"), str(chosen, "serial")) << "\n";
  if (!a.yes) {
    CS_ASSIGN(auto answer, ctx.prompter().line(tr("prompt.scene_confirm")));
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "是")
      return refuse("declined");
  }
  if (scene == "16") {
    // Authorised encryption: the server encrypts to the chosen certificate; no key is used here.
    CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/completion",
                              {{"certificate_id", cert_id}}));
    if (!ctx.g.json) std::cout << tr("msg.scene_done", app_name) << "\n";
    r["certificate_id"] = cert_id;
    r["scene"] = scene;
    return r;
  }
  CS_ASSIGN(auto key, choose_key(ctx, "", cert_id));
  auto complete = [&](json body) -> Result<json> {
    CS_ASSIGN(auto r, h->call("POST", "/api/v1/scene-requests/" + id + "/completion", body));
    if (!ctx.g.json) std::cout << tr("msg.scene_done", app_name) << "\n";
    r["certificate_id"] = cert_id;
    r["scene"] = scene;
    return r;
  };
  if (scene == "14" && is_rsa_key(key)) {
    // Authorised decryption with a two-party RSA key: the device blinds the wrapped key, the
    // server applies its half, the device removes the blinding and the padding (rsa_split.h).
    CS_ASSIGN(auto env, pki::cms::parse_enveloped(message));
    using KT = pki::cms::KeyTransport;
    if (env.key_transport == KT::kSm2) {
      return invalid_argument("scene_envelope_not_for_key", tr("err.scene_envelope_not_for_key"));
    }
    const auto padding = env.key_transport == KT::kRsaPkcs1      ? crypto::rsa_split::Padding::kPkcs1v15
                         : env.key_transport == KT::kRsaOaepSha1 ? crypto::rsa_split::Padding::kOaepSha1
                                                                 : crypto::rsa_split::Padding::kOaepSha256;
    CS_ASSIGN(auto shr, ctx.shield());
    return with_rsa_unlocked(ctx, key, [&](const UnlockedRsa& u) -> Result<json> {
      CS_ASSIGN(auto cek, shr.rsa_decrypt(key, u, env.encrypted_key, padding, "scene 14 " + id));
      return complete({{"certificate_id", cert_id}, {"content_key", base64_encode(cek)}});
    });
  }
  if (scene == "14" && is_ecdsa_key(key)) {
    // Authorised decryption with a two-party P-256 key (CMS key agreement): the device blinds the
    // sender's ephemeral point, the server applies x2, the device finishes the ECDH, the X9.63 KDF
    // and the key unwrap (ecdsa_split.h, pki/cms_enveloped.h).
    CS_ASSIGN(auto env, pki::cms::parse_enveloped(message));
    if (env.key_transport != pki::cms::KeyTransport::kEcdh) {
      return invalid_argument("scene_envelope_not_for_key", tr("err.scene_envelope_not_for_key"));
    }
    CS_ASSIGN(auto shr, ctx.shield());
    return with_ecdsa_unlocked(ctx, key, [&](const UnlockedEcdsa& u) -> Result<json> {
      CS_ASSIGN(auto z, shr.ecdsa_ecdh(key, u, env.originator_point, "scene 14 " + id));
      CS_ASSIGN(auto cek, pki::cms::kari_unwrap(env, BytesView(z.data(), z.size())));
      return complete({{"certificate_id", cert_id}, {"content_key", base64_encode(BytesView(cek.data(), cek.size()))}});
    });
  }
  if (scene == "14") {
    // Authorised decryption: unwrap the envelope's content key through the two-party protocol
    // (the server sees only a blinded point) and hand it over for this envelope.
    CS_ASSIGN(auto env, pki::cms::parse_enveloped(message));
    if (env.key_transport != pki::cms::KeyTransport::kSm2) {
      return invalid_argument("scene_envelope_not_for_key", tr("err.scene_envelope_not_for_key"));
    }
    CS_ASSIGN(auto ct, crypto::Sm2Ciphertext::parse_der(env.encrypted_key));
    CS_ASSIGN(auto sh14, ctx.shield());
    return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
      CS_ASSIGN(auto cek, sh14.decrypt(key, half, ct.raw(crypto::Sm2CipherOrder::kC1C3C2),
                                       crypto::Sm2CipherOrder::kC1C3C2, "scene 14 " + id));
      CS_ASSIGN(auto r,
                h->call("POST", "/api/v1/scene-requests/" + id + "/completion",
                        {{"certificate_id", cert_id}, {"content_key", base64_encode(cek)}}));
      if (!ctx.g.json) std::cout << tr("msg.scene_done", app_name) << "\n";
      r["certificate_id"] = cert_id;
      r["scene"] = scene;
      return r;
    });
  }
  CS_ASSIGN(auto pems, pem_decode_all(str(chosen, "certificate_pem")));
  if (pems.empty())
    return Error(ErrorKind::kInternal, "bad_answer", "the server sent no certificate");
  const Bytes cert_der = pems.front().der;
  // The content and signed attributes exactly as the server re-builds them (pki/cms_signed.h).
  const std::int64_t signing_time = SystemClock().now_unix();
  Bytes content = message;
  if (scene == "06") {
    const std::string org = str(chosen, "org_id");
    CS_ASSIGN(content, pki::login_assertion({id, str(claim, "app_id"), str(claim, "platform_id"),
                                             str(claim, "nonce"), cert_id,
                                             org.empty() ? std::nullopt : std::optional(org),
                                             cert_der, signing_time}));
  }
  // Scene 20's raw form: the message itself is signed, no CMS (docs/INTEGRATION.md).
  const bool raw_form = scene == "20" && str(claim, "form") == "raw";
  CS_ASSIGN(auto form, pki::cms::form_from_name(raw_form ? "rfc5652" : str(claim, "form")));
  // International certificates (RSA, P-256) sign in the RFC 5652 form with SHA-256, whatever
  // form was asked for; SM2 in the form asked for with SM3. The server rebuilds the same attributes.
  const bool international = is_rsa_key(key) || is_ecdsa_key(key);
  const Bytes attrs =
      raw_form ? content
               : pki::cms::signed_attributes(international ? pki::cms::Form::kRfc5652 : form,
                                             international ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSm3,
                                             content, sys_time_from_unix(signing_time));
  CS_ASSIGN(auto sh, ctx.shield());
  return with_signature(ctx, sh, key, attrs, "scene " + scene + " " + id, [&](const Bytes& sig) -> Result<json> {
    return complete({{"certificate_id", cert_id}, {"signing_time", signing_time}, {"signature", base64_encode(sig)}});
  });
}

// The options live here, as long as the parse and the action that read them.
struct ScanCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  ScanArgs scan_a;

  ScanCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* scan =
        sub(&app, "scan", "answer a relying party's QR code (扫码: login, message signing)");
    scan->add_option("image", scan_a.image, "a PNG picture of the QR code");
    scan->add_option("--payload", scan_a.payload, "the QR code's text instead of a picture");
    scan->add_option("--cert", scan_a.cert, "the certificate to answer with (when several may)");
    scan->add_flag("--yes", scan_a.yes, "do not ask for confirmation (scripts)");
    scan->add_flag("--refuse", scan_a.refuse, "decline the request (the relying party is told)");
    scan->add_option("--reason", scan_a.reason, "why, with --refuse");
    scan->add_option("--seal", scan_a.seal, "scene 13: the seal to use (when several may)");
    scan->add_option("--preview", scan_a.preview, "scene 13: where to write the preview PNG");
    scan->callback([&] { action = [&]() -> Result<json> { return cmd_scan(ctx, scan_a); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_scan_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<ScanCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
