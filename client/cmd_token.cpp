#include "client/cmd_token.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/encoding.h"
#include "client/cert_fields.h"
#include "client/messages.h"
#include "client/p11_tokens.h"
#include "crypto/hash.h"

namespace certseal::client {

using nlohmann::json;

namespace {

struct TokenArgs {
  std::string module, token, label, id, hash = "sha1", copy, in, out, picture_label = "电子签章";
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

std::string pem_of(const Bytes& der) { return pem_encode("CERTIFICATE", der); }

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

Result<std::unique_ptr<Tokens>> open_tokens(const TokenArgs& a) { return Tokens::open(a.module); }

Result<json> cmd_list(const TokenCliHooks& h, const TokenArgs& a) {
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto list, tokens->list());
  json items = json::array();
  for (const auto& t : list) {
    items.push_back(token_json(t));
    if (!h.json_output()) {
      std::cout << t.label << "  " << t.manufacturer << " " << t.model << "  " << t.serial << "  (" << t.module << ")\n";
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
      json item = {{"token", t.label}, {"label", c.label}, {"id", hex_encode(c.id)}, {"thumbprint", tp},
                   {"hash", a.hash}};
      if (r.contains("details")) {
        for (const char* f : {"subject", "issuer", "serial", "not_after"}) {
          auto v = copy_field(r, f);
          if (v) item[f] = *v;
        }
      }
      if (!h.json_output()) {
        std::cout << t.label << "  " << c.label << "  " << item.value("subject", "") << "  " << tp << "\n";
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
  json out = {{"token", t.label}, {"label", c.label}, {"id", hex_encode(c.id)}, {"hash", a.hash}, {"thumbprint", tp}};
  for (const auto& f : copy_fields()) {
    if (f == "pem" || f == "status" || f == "ca_id" || f == "thumbprint") continue;
    auto v = copy_field(r, f);
    if (v) out[f] = *v;
  }
  out["pem"] = pem_of(c.der);
  if (!h.json_output()) {
    for (const auto& [k, v] : out.items()) {
      if (k != "pem") std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
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
  if (!h.json_output()) std::cout << tr("msg.token_picture_written", a.picture_label, t.label) << "\n";
  return json{{"token", t.label}, {"label", a.picture_label}, {"bytes", bytes.size()},
              {"sha256", hex_encode(crypto::sha256(as_bytes(bytes)))}};
}

Result<json> cmd_picture_read(const TokenCliHooks& h, const TokenArgs& a) {
  if (a.out.empty()) return invalid_argument("usage", "--out <file> is required");
  CS_ASSIGN(auto tokens, open_tokens(a));
  CS_ASSIGN(auto t, tokens->find(a.token));
  CS_ASSIGN(auto pin, h.ask_secret(tr("prompt.token_pin")));
  CS_ASSIGN(auto bytes, tokens->read_picture(t, pin, a.picture_label));
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Error(ErrorKind::kInternal, "io", "cannot write " + a.out);
  if (!h.json_output()) std::cout << tr("msg.token_picture_read", a.out) << "\n";
  return json{{"token", t.label}, {"label", a.picture_label}, {"bytes", bytes.size()}, {"out", a.out}};
}

}  // namespace

void add_token_commands(CLI::App& app, TokenCliHooks hooks, std::function<Result<json>()>& action) {
  auto h = std::make_shared<TokenCliHooks>(std::move(hooks));
  auto a = std::make_shared<TokenArgs>();
  CLI::App* token = app.add_subcommand("token", "hardware and file-based tokens (USB keys, SoftHSM) through PKCS#11");
  token->require_subcommand(1);
  token->add_option("--module", a->module, "one PKCS#11 module (path) instead of those registered with p11-kit");
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
  CLI::App* show = token->add_subcommand("show", "a certificate's details and thumbprint, or one field (--copy)");
  named(show);
  cert(show);
  show->add_option("--hash", a->hash, "thumbprint: sha1 (default), sha256, sm3 or md5");
  show->add_option("--copy", a->copy, "print only this field (sha1, sha256, sm3, md5, serial, subject, …)");
  bind(show, cmd_show);
  CLI::App* pin = token->add_subcommand("pin", "change the token's user PIN");
  named(pin);
  bind(pin, cmd_pin);
  CLI::App* del = token->add_subcommand("delete", "delete a certificate from the token (asks the PIN)");
  named(del);
  cert(del);
  bind(del, cmd_delete);
  CLI::App* picture = token->add_subcommand("picture", "a seal picture kept on the token (电子签章)");
  picture->require_subcommand(1);
  CLI::App* write = picture->add_subcommand("write", "write a picture (PNG or other bytes) to the token");
  named(write);
  write->add_option("--in", a->in, "the picture file (e.g. from `certseal seal preview`)");
  write->add_option("--label", a->picture_label, "the data object's label (default 电子签章)");
  bind(write, cmd_picture_write);
  CLI::App* read = picture->add_subcommand("read", "read the picture back to a file");
  named(read);
  read->add_option("--out", a->out, "where to write it");
  read->add_option("--label", a->picture_label, "the data object's label (default 电子签章)");
  bind(read, cmd_picture_read);
}

}  // namespace certseal::client
