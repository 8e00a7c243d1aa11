// `certseal cert …`: certificates and the two-party key behind each — list, show, install, renew,
// change, revoke, reissue, sign, decrypt (docs/CLI.md, docs/SHIELD.md).
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
#include "client/agent.h"
#include "client/cert_fields.h"
#include "client/messages.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"

namespace certseal::client::cli {
namespace {

// ---- certificates ----

Result<json> cmd_cert_list(Ctx& ctx) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto keys, s->keys());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/account/certificates"));
  if (r.contains("items") && r["items"].is_array()) {
    for (auto& c : r["items"]) {
      bool here = false;
      for (const auto& k : keys) here = here || k.key_id == str(c, "key_id");
      c["on_this_device"] = here;
      if (!ctx.g.json) {
        std::cout << (here ? "* " : "  ") << str(c, "id") << "  " << str(c, "status") << "  "
                  << str(c, "subject") << "  " << str(c, "not_after")
                  << (c.value("current", true) ? "" : "  (replaced)")
                  << (c.contains("reissue_notice") && !c["reissue_notice"].is_null() ? "  [reissue]"
                                                                                     : "")
                  << "\n";
      }
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_certs");
  return r;
}

Result<json> cmd_cert_show(Ctx& ctx, const std::string& id, const std::string& copy) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/account/certificates/" + id));
  json cert = with_details(r.contains("certificate") ? r["certificate"] : r);
  if (!copy.empty()) {
    CS_ASSIGN(auto v, copy_field(cert, copy));
    std::cout << (ctx.g.json ? json{{"field", copy}, {"value", v}}.dump() : v) << "\n";
    return json();  // already printed
  }
  r["certificate"] = cert;
  if (!ctx.g.json) {
    const json d = cert.value("details", json::object());
    auto line = [](const std::string& k, const std::string& v) {
      std::cout << k << ": " << v << "\n";
    };
    line("id", str(cert, "id"));
    line("status", str(cert, "status"));
    line("subject", str(d, "subject").empty() ? str(cert, "subject") : str(d, "subject"));
    line("issuer", str(d, "issuer"));
    line("serial", str(d, "serial").empty() ? str(cert, "serial") : str(d, "serial"));
    line("not_before", str(cert, "not_before"));
    line("not_after", str(cert, "not_after"));
    if (d.contains("public_key"))
      line("public_key", str(d["public_key"], "algorithm") + " " + str(d["public_key"], "bits"));
    std::string ku;
    for (const auto& u : d.value("key_usage", json::array()))
      ku += (ku.empty() ? "" : ",") + u.get<std::string>();
    line("key_usage", ku);
    if (d.contains("thumbprints")) {
      for (const char* t : {"sha1", "sha256", "sm3", "md5"})
        line(std::string("thumbprint ") + t, str(d["thumbprints"], t));
    }
    if (r.contains("key")) line("key", str(r["key"], "id") + " (" + str(r["key"], "status") + ")");
  }
  return r;
}

Result<json> cmd_cert_install(Ctx& ctx, const std::string& order, const std::string& device_name) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto dev, ctx.device());
  if (!device_name.empty()) dev.device_name = device_name;
  ShieldClient sh(*h, dev, ctx.rng);
  // The product's algorithm decides the key: two-party SM2, or a two-party RSA key generated here.
  std::string algorithm = "sm2";
  CS_ASSIGN(auto o, h->call("GET", "/api/v1/orders/" + order));
  CS_ASSIGN(auto cat, h->call("GET", "/api/v1/catalogue"));
  if (cat.contains("products") && cat["products"].is_array()) {
    for (const auto& p : cat["products"]) {
      if (str(p, "id") == str(o, "product_id") && !str(p, "algorithm").empty()) algorithm = str(p, "algorithm");
    }
  }
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  json answer;
  CS_ASSIGN(auto k, sh.install("/api/v1/orders/" + order + "/installation", json::object(),
                               std::string_view(pw.data(), pw.size()), &answer, algorithm));
  CS_TRY(s->save_key(k));
  if (!ctx.g.json) std::cout << tr("msg.installed", k.key_id, k.certificate_id) << "\n";
  return json{{"key_id", k.key_id},
              {"certificate_id", k.certificate_id},
              {"certificate", answer["certificate"]}};
}

// Renewal and change: a new certificate for the same key; the key file follows it.
Result<json> cmd_cert_new_version(Ctx& ctx, const std::string& id, const std::string& what,
                                  std::string request_id, const std::string& order_id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto* s, ctx.store());
  if (what == "renewals" && order_id.empty())
    return usage("renew needs --order (an approved renewal order)");
  if (request_id.empty()) request_id = new_request_id(ctx.rng);
  json body = {{"request_id", request_id}};
  if (!order_id.empty()) body["order_id"] = order_id;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/account/certificates/" + id + "/" + what, body));
  json cert = r.contains("certificate") && r["certificate"].is_object() ? r["certificate"] : r;
  std::string new_id = str(cert, "id");
  CS_ASSIGN(auto keys, s->keys());
  for (auto& k : keys) {
    if (k.certificate_id == id && !new_id.empty()) {
      k.certificate_id = new_id;
      CS_TRY(s->save_key(k));
    }
  }
  if (!ctx.g.json) std::cout << tr("msg.cert_done", new_id) << "\n";
  return r;
}

Result<json> cmd_cert_revoke(Ctx& ctx, const std::string& id, const std::string& reason,
                             const std::string& given, std::string request_id) {
  CS_ASSIGN(auto* h, ctx.api());
  if (request_id.empty()) request_id = new_request_id(ctx.rng);
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/account/certificates/" + id + "/revocations",
                            {{"request_id", request_id}, {"code", code}, {"reason", reason}}));
  if (!ctx.g.json) std::cout << tr("msg.revoked", id) << "\n";
  return r;
}

// Reissue needs, besides the SMS code, the login password and new ID card photos for a fresh
// identity check (server side: ShieldService::reissue).
Result<json> cmd_cert_reissue(Ctx& ctx, const std::string& id, const std::string& given,
                              std::string request_id, const std::string& front_file,
                              const std::string& back_file) {
  if (front_file.empty() || back_file.empty())
    return usage("reissue needs --front and --back (new ID card photos)");
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto sh, ctx.shield());
  if (request_id.empty()) request_id = new_request_id(ctx.rng);
  CS_ASSIGN(auto before, h->call("GET", "/api/v1/account/certificates/" + id));
  std::string old_key = before.contains("key") ? str(before["key"], "id") : "";
  CS_ASSIGN(auto front, read_input_file(front_file));
  CS_ASSIGN(auto back, read_input_file(back_file));
  CS_ASSIGN(auto fb,
            h->upload("/api/v1/blobs?purpose=id_card_front", front, content_type_of(front)));
  CS_ASSIGN(auto bb, h->upload("/api/v1/blobs?purpose=id_card_back", back, content_type_of(back)));
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise", "certificate_reissue", id));
  CS_ASSIGN(auto login_pw, ctx.prompter().secret(tr("prompt.account_password")));
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  json answer;
  json extra = {{"request_id", request_id},
                {"code", code},
                {"password", std::string(login_pw.begin(), login_pw.end())},
                {"id_card_front", str(fb, "id")},
                {"id_card_back", str(bb, "id")}};
  // A new key of the same algorithm as the one it replaces (two-party SM2 or RSA).
  const std::string algorithm = before.contains("key") && !str(before["key"], "algorithm").empty()
                                    ? str(before["key"], "algorithm")
                                    : std::string("sm2");
  auto installed = sh.install("/api/v1/account/certificates/" + id + "/reissues", extra,
                              std::string_view(pw.data(), pw.size()), &answer, algorithm);
  wipe_json_strings(extra, {"password"});
  CS_ASSIGN(auto k, std::move(installed));
  CS_TRY(s->save_key(k));
  if (!old_key.empty() && old_key != k.key_id) {
    CS_TRY(s->remove_key(old_key));
    (void)agent_request(s->agent_socket().string(), {{"op", "forget"}, {"key_id", old_key}});
  }
  if (!ctx.g.json) std::cout << tr("msg.installed", k.key_id, k.certificate_id) << "\n";
  return json{{"key_id", k.key_id},
              {"certificate_id", k.certificate_id},
              {"certificate", answer["certificate"]}};
}

struct SignArgs {
  std::string key, cert, message, in, out,
      format = "base64", sm2_id = std::string(crypto::kSm2DefaultId), purpose = "cli";
};

Result<json> cmd_cert_sign(Ctx& ctx, const SignArgs& a) {
  if (a.message.empty() == a.in.empty()) return usage("give exactly one of --message and --in");
  std::string msg = a.message;
  if (!a.in.empty()) {
    CS_ASSIGN(msg, read_input_file(a.in));
  }
  CS_ASSIGN(auto key, choose_key(ctx, a.key, a.cert));
  CS_ASSIGN(auto sh, ctx.shield());
  if (is_ecdsa_key(key)) {
    // A two-party ECDSA P-256 key: ECDSA-with-SHA256 of the message (DER, low s), verified here.
    return with_ecdsa_unlocked(ctx, key, [&](const UnlockedEcdsa& u) -> Result<json> {
      CS_ASSIGN(auto der, sh.ecdsa_sign(key, u, as_bytes(msg), a.purpose));
      CS_ASSIGN(auto raw, crypto::ec_sig_der_to_raw(der));
      if (!a.out.empty()) CS_TRY(write_output_file(a.out, as_chars(der)));
      json out = {{"key_id", key.key_id},
                  {"certificate_id", key.certificate_id},
                  {"algorithm", "ecdsa-with-SHA256"},
                  {"signature", base64_encode(der)},
                  {"signature_hex", hex_encode(der)},
                  {"signature_raw", hex_encode(raw)}};
      if (!ctx.g.json && a.out.empty()) {
        std::cout << (a.format == "hex" ? hex_encode(der) : a.format == "raw" ? hex_encode(raw) : base64_encode(der))
                  << "\n";
      }
      return out;
    });
  }
  return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
    CS_ASSIGN(auto raw, sh.sign(key, half, as_bytes(msg), a.sm2_id, a.purpose));
    CS_ASSIGN(auto der, crypto::ec_sig_raw_to_der(raw));
    if (!a.out.empty()) CS_TRY(write_output_file(a.out, as_chars(der)));
    json out = {{"key_id", key.key_id},
                {"certificate_id", key.certificate_id},
                {"sm2_id", a.sm2_id},
                {"signature", base64_encode(der)},
                {"signature_hex", hex_encode(der)},
                {"signature_raw", hex_encode(raw)},
                {"public_key", hex_encode(key.public_key)}};
    if (!ctx.g.json && a.out.empty()) {
      if (a.format == "hex") {
        std::cout << hex_encode(der) << "\n";
      } else if (a.format == "raw") {
        std::cout << hex_encode(raw) << "\n";
      } else {
        std::cout << base64_encode(der) << "\n";
      }
    }
    return out;
  });
}

struct DecryptArgs {
  std::string key, cert, in, hex, b64, out, order = "c1c3c2", purpose = "cli";
};

Result<json> cmd_cert_decrypt(Ctx& ctx, const DecryptArgs& a) {
  int given = !a.in.empty() + !a.hex.empty() + !a.b64.empty();
  if (given != 1) return usage("give exactly one of --in, --hex and --base64");
  Bytes cipher;
  if (!a.in.empty()) {
    CS_ASSIGN(auto t, read_input_file(a.in));
    cipher = to_bytes(t);
  } else if (!a.hex.empty()) {
    CS_ASSIGN(cipher, hex_decode(a.hex));
  } else {
    CS_ASSIGN(cipher, base64_decode(a.b64));
  }
  crypto::Sm2CipherOrder order = crypto::Sm2CipherOrder::kC1C3C2;
  if (a.order == "der") {
    CS_ASSIGN(auto c, crypto::Sm2Ciphertext::parse_der(cipher));
    cipher = c.raw(order);
  } else if (a.order == "c1c2c3") {
    order = crypto::Sm2CipherOrder::kC1C2C3;
  } else if (a.order != "c1c3c2") {
    return usage("--order must be c1c3c2, c1c2c3 or der");
  }
  // sm-crypto writes raw ciphertexts without the 04 prefix.
  if (!cipher.empty() && cipher[0] != 0x04 && cipher.size() > 96)
    cipher.insert(cipher.begin(), 0x04);
  CS_ASSIGN(auto key, choose_key(ctx, a.key, a.cert));
  CS_ASSIGN(auto sh, ctx.shield());
  return with_device_half(ctx, key, [&](DeviceHalf& half) -> Result<json> {
    CS_ASSIGN(auto plain, sh.decrypt(key, half, cipher, order, a.purpose));
    BytesView pv(plain.data(), plain.size());
    if (!a.out.empty()) CS_TRY(write_output_file(a.out, as_chars(pv)));
    if (!ctx.g.json && a.out.empty()) std::cout << as_chars(pv) << std::flush;
    return json{{"key_id", key.key_id},
                {"plaintext_base64", base64_encode(pv)},
                {"plaintext_hex", hex_encode(pv)}};
  });
}

// The options live here, as long as the parse and the action that read them.
struct CertCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string order_id, code;
  std::string cert_id, copy, device_name, reason = "unspecified", request_id, reissue_front,
                                          reissue_back;
  SignArgs sa;
  DecryptArgs da;

  CertCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* cert = sub(&app, "cert", "certificates and the mobile shield (证书)");
    cert->require_subcommand(1);
    sub(cert, "list", "certificates of the account; * marks keys on this device")->callback([&] {
      action = [&] { return cmd_cert_list(ctx); };
    });
    CLI::App* cshow = sub(cert, "show", "certificate details");
    cshow->add_option("cert_id", cert_id)->required();
    cshow->add_option("--copy", copy,
                      "print one field alone: sha1, sha256, sm3, md5, serial, subject, issuer, "
                      "not_before, not_after, status, key_usage, pem, ...");
    cshow->callback([&] { action = [&] { return cmd_cert_show(ctx, cert_id, copy); }; });
    CLI::App* cinstall =
        sub(cert, "install",
            "generate the two-party key for an approved order and install its certificate");
    cinstall->add_option("order_id", order_id)->required();
    cinstall->add_option("--device-name", device_name,
                         "name the server shows for this device (default certseal@host)");
    cinstall->callback(
        [&] { action = [&] { return cmd_cert_install(ctx, order_id, device_name); }; });
    for (auto [name, what, desc] :
         {std::tuple{"renew", "renewals", "renew (延期): same key, new validity"},
          std::tuple{"change", "changes",
                     "change (变更): subject taken again from the verified data"}}) {
      CLI::App* c = sub(cert, name, desc);
      c->add_option("cert_id", cert_id)->required();
      c->add_option("--request-id", request_id, "idempotency id (to retry safely)");
      std::string w = what;
      if (w == "renewals")
        c->add_option("--order", order_id, "the approved renewal order (renewal package) to use");
      c->callback([&, w] {
        action = [&, w] { return cmd_cert_new_version(ctx, cert_id, w, request_id, order_id); };
      });
    }
    CLI::App* crevoke = sub(cert, "revoke", "revoke (注销) a certificate");
    crevoke->add_option("cert_id", cert_id)->required();
    crevoke
        ->add_option(
            "--reason", reason,
            "unspecified, key_compromise, affiliation_changed, superseded, cessation_of_operation")
        ->check(CLI::IsMember({"unspecified", "key_compromise", "affiliation_changed", "superseded",
                               "cessation_of_operation"}));
    crevoke->add_option("--code", code,
                        "SMS code of purpose authorise (otherwise sent and asked for)");
    crevoke->add_option("--request-id", request_id);
    crevoke->callback(
        [&] { action = [&] { return cmd_cert_revoke(ctx, cert_id, reason, code, request_id); }; });
    CLI::App* creissue = sub(cert, "reissue", "reissue (补发) with a new key on this device");
    creissue->add_option("cert_id", cert_id)->required();
    creissue->add_option("--code", code,
                         "SMS code of purpose authorise (otherwise sent and asked for)");
    creissue->add_option("--front", reissue_front,
                         "a new photo of the ID card's front (fresh identity check)");
    creissue->add_option("--back", reissue_back, "a new photo of the ID card's back");
    creissue->add_option("--request-id", request_id);
    creissue->callback([&] {
      action = [&] {
        return cmd_cert_reissue(ctx, cert_id, code, request_id, reissue_front, reissue_back);
      };
    });
    CLI::App* csign =
        sub(cert, "sign", "sign a message or file with the two-party protocol (协同签名)");
    csign->add_option("--key", sa.key, "key id on this device");
    csign->add_option("--cert", sa.cert, "certificate id");
    csign->add_option("--message", sa.message, "the message text");
    csign->add_option("--in", sa.in, "file to sign (- for standard input)");
    csign->add_option("--out", sa.out, "write the DER signature to this file");
    csign
        ->add_option("--format", sa.format,
                     "output: base64 (DER, default), hex (DER), raw (r||s hex)")
        ->check(CLI::IsMember({"base64", "hex", "raw"}));
    csign->add_option("--sm2-id", sa.sm2_id,
                      "SM2 signer ID (default 1234567812345678; \"\" for OpenSSL's default)");
    csign->add_option("--purpose", sa.purpose, "purpose recorded by the server");
    csign->callback([&] { action = [&] { return cmd_cert_sign(ctx, sa); }; });
    CLI::App* cdecrypt =
        sub(cert, "decrypt", "decrypt an SM2 ciphertext with the two-party protocol (协同解密)");
    cdecrypt->add_option("--key", da.key, "key id on this device");
    cdecrypt->add_option("--cert", da.cert, "certificate id");
    cdecrypt->add_option("--in", da.in, "binary ciphertext file (- for standard input)");
    cdecrypt->add_option("--hex", da.hex, "ciphertext in hex");
    cdecrypt->add_option("--base64", da.b64, "ciphertext in base64");
    cdecrypt->add_option("--order", da.order, "c1c3c2 (default), c1c2c3 or der");
    cdecrypt->add_option("--out", da.out, "write the plaintext to this file");
    cdecrypt->add_option("--purpose", da.purpose, "purpose recorded by the server");
    cdecrypt->callback([&] { action = [&] { return cmd_cert_decrypt(ctx, da); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_cert_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<CertCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
