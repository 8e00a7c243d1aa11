#include "client/cmd_token.h"

#include <openssl/sha.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "base/encoding.h"
#include "client/cert_fields.h"
#include "client/cli_context.h"
#include "client/messages.h"
#include "client/p11_tokens.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "pki/certificate.h"

namespace certseal::client {

using nlohmann::json;

namespace {

struct TokenArgs {
  std::string module, token, label, id, hash = "sha1", copy, in, out, picture_label = "电子签章";
  std::string name, id_number, request, key_label = "自助证书";
};

nlohmann::json token_json(const TokenRef& t) {
  return {{"module", t.module},
          {"slot", t.slot},
          {"label", t.label},
          {"manufacturer", t.manufacturer},
          {"model", t.model},
          {"serial", t.serial},
          {"login_required", t.login_required},
          {"protected_authentication_path", t.protected_path},
          {"write_protected", t.write_protected}};
}

std::string pem_of(const Bytes& der) {
  return pem_encode("CERTIFICATE", der);
}

// The certificate record cert_fields.h understands: PEM with details computed from it.
json cert_record(const TokenCertificate& c) {
  json r = with_details({{"pem", pem_of(c.der)}});
  r["label"] = c.label;
  r["id"] = hex_encode(c.id);
  return r;
}

Result<std::string> thumbprint(const json& record, const std::string& hash) {
  if (hash != "sha1" && hash != "sha256" && hash != "sm3" && hash != "md5") {
    return invalid_argument("usage", "--hash must be sha1, sha256, sm3 or md5");
  }
  return copy_field(record, hash);
}

Result<std::unique_ptr<Tokens>> open_tokens(const TokenArgs& a) {
  return Tokens::open(a.module);
}

Result<json> cmd_list(const TokenCliHooks& h, const TokenArgs& a) {
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto list, tokens->list());
  json items = json::array();
  for (const auto& t : list) {
    items.push_back(token_json(t));
    if (!h.json_output()) {
      std::cout << t.label << "  " << t.manufacturer << " " << t.model << "  " << t.serial << "  ("
                << t.module << ")\n";
    }
  }
  if (!h.json_output() && list.empty()) std::cout << tr("msg.token_none") << "\n";
  return json{{"items", items}};
}

Result<json> cmd_certs(const TokenCliHooks& h, const TokenArgs& a) {
  CS_ASSIGN(auto tokens, open_tokens(a));
  std::vector<TokenRef> which;
  if (a.token.empty()) {
    CS_ASSIGN(which, tokens->list());
  } else {
    CS_ASSIGN(auto t, tokens->find(a.token));
    which.push_back(t);
  }
  json items = json::array();
  for (const auto& t : which) {
    CS_ASSIGN(auto certs, tokens->certificates(t));
    for (const auto& c : certs) {
      json r = cert_record(c);
      CS_ASSIGN(auto tp, thumbprint(r, a.hash));
      json item = {{"token", t.label},
                   {"label", c.label},
                   {"id", hex_encode(c.id)},
                   {"thumbprint", tp},
                   {"hash", a.hash}};
      if (r.contains("details")) {
        for (const char* f : {"subject", "issuer", "serial", "not_after"}) {
          auto v = copy_field(r, f);
          if (v) item[f] = *v;
        }
      }
      if (!h.json_output()) {
        std::cout << t.label << "  " << c.label << "  " << item.value("subject", "") << "  " << tp
                  << "\n";
      }
      items.push_back(item);
    }
  }
  return json{{"items", items}};
}

Result<json> cmd_show(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.label.empty() && a.id.empty()) return invalid_argument("usage", tr("err.token_name_cert"));
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto c, tokens->certificate(t, a.label, a.id));
  json r = cert_record(c);
  if (!a.copy.empty()) {
    CS_ASSIGN(auto v, copy_field(r, a.copy));
    if (!h.json_output()) std::cout << v << "\n";
    return json{{"field", a.copy}, {"value", v}};
  }
  CS_ASSIGN(auto tp, thumbprint(r, a.hash));
  json out = {{"token", t.label},
              {"label", c.label},
              {"id", hex_encode(c.id)},
              {"hash", a.hash},
              {"thumbprint", tp}};
  for (const auto& f : copy_fields()) {
    if (f == "pem" || f == "status" || f == "ca_id" || f == "thumbprint") continue;
    auto v = copy_field(r, f);
    if (v) out[f] = *v;
  }
  out["pem"] = pem_of(c.der);
  if (!h.json_output()) {
    for (const auto& [k, v] : out.items()) {
      if (k != "pem")
        std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
  }
  return out;
}

Result<json> cmd_pin(const TokenCliHooks& h, const TokenArgs& a) {
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto old_pin, h.ask_secret(tr("prompt.token_pin")));
  CS_ASSIGN(auto new_pin, h.ask_new_secret(tr("prompt.token_new_pin"), tr("prompt.confirm")));
  if (new_pin.size() < 4) return invalid_argument("pin_invalid", tr("err.token_pin_short"));
  CS_TRY(tokens->change_pin(t, old_pin, new_pin));
  if (!h.json_output()) std::cout << tr("msg.token_pin_changed", t.label) << "\n";
  return json{{"token", t.label}, {"changed", true}};
}

Result<json> cmd_delete(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.label.empty() && a.id.empty()) return invalid_argument("usage", tr("err.token_name_cert"));
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto c, tokens->certificate(t, a.label, a.id));  // told before the PIN is asked
  CS_ASSIGN(auto pin, h.ask_secret(tr("prompt.token_pin")));
  CS_TRY(tokens->delete_certificate(t, pin, a.label, a.id));
  if (!h.json_output()) std::cout << tr("msg.token_cert_deleted", c.label, t.label) << "\n";
  return json{{"token", t.label}, {"label", c.label}, {"id", hex_encode(c.id)}, {"deleted", true}};
}

Result<json> cmd_picture_write(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.in.empty()) return invalid_argument("usage", "--in <picture> is required");
  std::ifstream in(a.in, std::ios::binary);
  if (!in) return invalid_argument("usage", "no such file: " + a.in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  if (bytes.empty() || bytes.size() > 1024 * 1024) {
    return invalid_argument("picture_size", tr("err.token_picture_size"));
  }
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto pin, h.ask_secret(tr("prompt.token_pin")));
  CS_TRY(tokens->write_picture(t, pin, a.picture_label, as_bytes(bytes)));
  if (!h.json_output())
    std::cout << tr("msg.token_picture_written", a.picture_label, t.label) << "\n";
  return json{{"token", t.label},
              {"label", a.picture_label},
              {"bytes", bytes.size()},
              {"sha256", hex_encode(crypto::sha256(as_bytes(bytes)))}};
}

Result<json> cmd_picture_read(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.out.empty()) return invalid_argument("usage", "--out <file> is required");
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto pin, h.ask_secret(tr("prompt.token_pin")));
  CS_ASSIGN(auto bytes, tokens->read_picture(t, pin, a.picture_label));
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) return Error(ErrorKind::kInternal, "io", "cannot write " + a.out);
  if (!h.json_output()) std::cout << tr("msg.token_picture_read", a.out) << "\n";
  return json{
      {"token", t.label}, {"label", a.picture_label}, {"bytes", bytes.size()}, {"out", a.out}};
}

// The message the token's key signs to prove possession; the server checks exactly this
// (service/token/token_certificates.h, TokenCertificates::pop_message).
Bytes pop_message(const std::string& account_id, const std::string& name,
                  const std::string& id_number, BytesView spki) {
  return to_bytes("certseal-token-request v1\n" + account_id + "\n" + name + "\n" + id_number +
                  "\n" + hex_encode(crypto::sha256(spki)));
}

// CKA_ID of the token key a certificate (or SPKI) belongs to: SHA-1 of its public point.
Result<Bytes> key_id_of_spki(BytesView spki) {
  CS_ASSIGN(auto key, crypto::PublicKey::from_spki_der(spki));
  CS_ASSIGN(auto point, key.ec_point());
  Bytes id(SHA_DIGEST_LENGTH);
  SHA1(point.data(), point.size(), id.data());
  return id;
}

// 业务查询: every issued certificate of the account whose key is in this token goes into it
// (a renewed one replaces the old). Returns what was installed.
Result<json> install_issued(const TokenCliHooks& h, Tokens& tokens, const TokenRef& t,
                            std::optional<SecretString>& pin) {
  CS_ASSIGN(auto* http, h.api());
  CS_ASSIGN(auto list, http->call("GET", "/api/v1/token-requests"));
  json installed = json::array();
  for (const auto& r : list.value("items", json::array())) {
    if (r.value("status", "") != "issued" || !r.contains("certificate_pem")) continue;
    CS_ASSIGN(auto pems, pem_decode_all(r["certificate_pem"].get<std::string>()));
    if (pems.empty()) continue;
    CS_ASSIGN(auto facts, pki::read_certificate(pems.front().der));
    auto id = key_id_of_spki(facts.spki);
    if (!id) continue;  // not a key a token of ours made
    CS_ASSIGN(auto here, tokens.has_private_key(t, *id));
    if (!here) continue;
    if (!pin) {
      CS_ASSIGN(auto p, h.ask_secret(tr("prompt.token_pin")));
      pin.emplace(std::move(p));
    }
    CS_ASSIGN(auto fresh,
              tokens.install_certificate(t, *pin, pems.front().der, *id, r.value("name", "")));
    if (!fresh) continue;
    installed.push_back({{"request_id", r.value("id", "")},
                         {"certificate_id", r.value("certificate_id", "")},
                         {"id", hex_encode(*id)}});
    if (!h.json_output())
      std::cout << tr("msg.token_installed", t.label, r.value("certificate_id", "")) << "\n";
  }
  return installed;
}

Result<json> cmd_enroll(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.name.empty() || a.id_number.empty())
    return invalid_argument("usage", "--name and --id-number are required");
  CS_ASSIGN(auto* http, h.api());
  CS_ASSIGN(auto account, http->call("GET", "/api/v1/account"));
  const std::string account_id = account.value("id", "");
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  std::optional<SecretString> pin;
  CS_ASSIGN(auto p, h.ask_secret(tr("prompt.token_pin")));
  pin.emplace(std::move(p));
  // The key pair is made inside the token; only its public key and a signature leave it.
  CS_ASSIGN(auto spki, tokens->generate_key(t, *pin, a.key_label));
  CS_ASSIGN(auto key_id, key_id_of_spki(spki));
  CS_ASSIGN(auto pop, tokens->sign_sha256(t, *pin, key_id,
                                          pop_message(account_id, a.name, a.id_number, spki)));
  CS_ASSIGN(auto r, http->call("POST", "/api/v1/token-requests",
                               {{"name", a.name},
                                {"id_number", a.id_number},
                                {"public_key", base64_encode(spki)},
                                {"pop", base64_encode(pop)}}));
  if (!h.json_output())
    std::cout << tr("msg.token_enrolled", r.value("id", ""), r.value("status", "")) << "\n";
  r["key_id"] = hex_encode(key_id);
  if (r.value("status", "") == "issued") {
    CS_ASSIGN(r["installed"], install_issued(h, *tokens, t, pin));
  }
  return r;
}

Result<json> cmd_query(const TokenCliHooks& h, const TokenArgs& a) {
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  std::optional<SecretString> pin;
  CS_ASSIGN(auto installed, install_issued(h, *tokens, t, pin));
  if (!h.json_output() && installed.empty()) std::cout << tr("msg.token_nothing_new") << "\n";
  CS_ASSIGN(auto* http, h.api());
  CS_ASSIGN(auto list, http->call("GET", "/api/v1/token-requests"));
  return json{{"installed", installed}, {"requests", list.value("items", json::array())}};
}

Result<json> cmd_renew(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.request.empty()) return invalid_argument("usage", "--request ID is required");
  CS_ASSIGN(auto* http, h.api());
  CS_ASSIGN(auto r,
            http->call("POST", "/api/v1/token-requests/" + a.request + "/renewal", json::object()));
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  std::optional<SecretString> pin;
  CS_ASSIGN(r["installed"], install_issued(h, *tokens, t, pin));
  return r;
}

Result<json> cmd_key(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.id.empty()) return invalid_argument("usage", "--id HEX is required");
  auto id = hex_decode(a.id);
  if (!id) return invalid_argument("usage", "--id must be hex");
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto pin, h.ask_secret(tr("prompt.token_pin")));
  CS_ASSIGN(auto flags, tokens->private_key_flags(t, pin, *id));
  json out = {{"token", t.label}, {"id", hex_encode(*id)}};
  for (const auto& [k, v] : flags) {
    out[k] = v;
    if (!h.json_output()) std::cout << k << ": " << (v ? "true" : "false") << "\n";
  }
  return out;
}

}  // namespace

void add_token_commands(CLI::App& app, TokenCliHooks hooks, std::function<Result<json>()>& action) {
  auto h = std::make_shared<TokenCliHooks>(std::move(hooks));
  auto a = std::make_shared<TokenArgs>();
  CLI::App* token = app.add_subcommand(
      "token", "hardware and file-based tokens (USB keys, SoftHSM) through PKCS#11");
  token->require_subcommand(1);
  token->add_option("--module", a->module,
                    "one PKCS#11 module (path) instead of those registered with p11-kit");
  using Fn = Result<json> (*)(const TokenCliHooks&, const TokenArgs&);
  auto bind = [&action, h, a](CLI::App* c, Fn fn) {
    c->callback([&action, h, a, fn] { action = [h, a, fn] { return fn(*h, *a); }; });
  };
  auto named = [a](CLI::App* c) {
    c->add_option("--token", a->token, "the token's label or serial (default: the only one)");
  };
  auto cert = [a](CLI::App* c) {
    c->add_option("--label", a->label, "the certificate's label");
    c->add_option("--id", a->id, "the certificate's CKA_ID (hex)");
  };
  bind(token->add_subcommand("list", "tokens of the registered modules"), cmd_list);
  CLI::App* certs = token->add_subcommand("certs", "certificates in the tokens, with thumbprints");
  named(certs);
  certs->add_option("--hash", a->hash, "thumbprint: sha1 (default), sha256, sm3 or md5");
  bind(certs, cmd_certs);
  CLI::App* show = token->add_subcommand(
      "show", "a certificate's details and thumbprint, or one field (--copy)");
  named(show);
  cert(show);
  show->add_option("--hash", a->hash, "thumbprint: sha1 (default), sha256, sm3 or md5");
  show->add_option("--copy", a->copy,
                   "print only this field (sha1, sha256, sm3, md5, serial, subject, …)");
  bind(show, cmd_show);
  CLI::App* pin = token->add_subcommand("pin", "change the token's user PIN");
  named(pin);
  bind(pin, cmd_pin);
  CLI::App* del =
      token->add_subcommand("delete", "delete a certificate from the token (asks the PIN)");
  named(del);
  cert(del);
  bind(del, cmd_delete);
  CLI::App* picture =
      token->add_subcommand("picture", "a seal picture kept on the token (电子签章)");
  picture->require_subcommand(1);
  CLI::App* write =
      picture->add_subcommand("write", "write a picture (PNG or other bytes) to the token");
  named(write);
  write->add_option("--in", a->in, "the picture file (e.g. from `certseal seal preview`)");
  write->add_option("--label", a->picture_label, "the data object's label (default 电子签章)");
  bind(write, cmd_picture_write);
  CLI::App* read = picture->add_subcommand("read", "read the picture back to a file");
  named(read);
  read->add_option("--out", a->out, "where to write it");
  read->add_option("--label", a->picture_label, "the data object's label (default 电子签章)");
  bind(read, cmd_picture_read);

  CLI::App* enroll = token->add_subcommand(
      "enroll",
      "self-service certificate: a key pair made inside the token, sent for review (自助服务)");
  named(enroll);
  enroll->add_option("--name", a->name, "your name as on your ID card");
  enroll->add_option("--id-number", a->id_number, "your resident ID number");
  enroll->add_option("--label", a->key_label, "the key's label in the token (default 自助证书)");
  bind(enroll, cmd_enroll);
  CLI::App* query = token->add_subcommand(
      "query", "business query (业务查询): install issued certificates into the token");
  named(query);
  bind(query, cmd_query);
  CLI::App* renew = token->add_subcommand(
      "renew", "renew a token certificate; the new one replaces the old in the token");
  named(renew);
  renew->add_option("--request", a->request, "the request whose certificate to renew");
  bind(renew, cmd_renew);
  CLI::App* key = token->add_subcommand(
      "key", "where a key lives: its sensitive / extractable / never-extractable flags");
  named(key);
  key->add_option("--id", a->id, "the key's CKA_ID (hex)");
  bind(key, cmd_key);
}

void add_token_commands(CLI::App& app, cli::Ctx& ctx, std::function<Result<json>()>& action) {
  add_token_commands(app,
                     {[&ctx] { return ctx.api(); }, [&ctx] { return ctx.g.json; },
                      [&ctx](const std::string& p) { return ctx.prompter().secret(p); },
                      [&ctx](const std::string& p, const std::string& c) {
                        return ctx.prompter().new_secret(p, c);
                      }},
                     action);
}

}  // namespace certseal::client
