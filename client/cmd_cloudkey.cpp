// `certseal cloudkey …` (cmd_cloudkey.h).
#include "client/cmd_cloudkey.h"

#include <cctype>
#include <iostream>

#include "base/clock.h"
#include "base/encoding.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "pki/certificate.h"
#include "pki/cms_enveloped.h"
#include "client/agent.h"
#include "client/duration.h"
#include "client/messages.h"

namespace certseal::client::cli {
namespace {

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The tenant named by --tenant, or by the QR payload (--qr), whose server must be this one.
Result<std::string> tenant_of(Ctx& ctx, const std::string& tenant, const std::string& qr) {
  if (tenant.empty() == qr.empty()) return usage("give exactly one of --tenant and --qr");
  if (!tenant.empty()) return tenant;
  auto j = json::parse(qr, nullptr, false);
  if (j.is_discarded() || !j.is_object() || str(j, "type") != "certseal-cloudkey" || str(j, "tenant").empty() ||
      str(j, "server").empty()) {
    return usage("--qr: not a cloud key tenant code");
  }
  // The code sets the server: without --server (or a session) the payload's is used.
  if (ctx.g.server.empty()) ctx.g.server = str(j, "server");
  CS_ASSIGN(auto server, ctx.server_url());
  if (trim_slash(server) != trim_slash(str(j, "server"))) {
    return usage("the code is for server " + str(j, "server") + "; log in there first (--server)");
  }
  return str(j, "tenant");
}

void print_items(const Ctx& ctx, const json& items, const std::vector<const char*>& cols) {
  if (ctx.g.json) return;
  for (const auto& it : items) {
    std::string line;
    for (const char* c : cols) line += (line.empty() ? "" : "  ") + str(it, c);
    std::cout << line << "\n";
  }
}

// Opens an exported log with the support side's SM2 private key (PEM): the content key is
// unwrapped locally; any other key fails (decryption_failed).
Result<std::string> open_log(const std::string& envelope_der, const std::string& key_pem) {
  CS_ASSIGN(auto key, crypto::PrivateKey::from_pem(key_pem));
  CS_ASSIGN(auto env, pki::cms::parse_enveloped(as_bytes(envelope_der)));
  CS_ASSIGN(auto c, crypto::Sm2Ciphertext::parse_der(env.encrypted_key));
  auto content_key = crypto::sm2_decrypt(key, c.raw(crypto::Sm2CipherOrder::kC1C3C2));
  if (!content_key) {
    return Error(ErrorKind::kPermissionDenied, "decryption_failed", "this key does not open the exported log");
  }
  CS_ASSIGN(auto plain, pki::cms::open_content(env, BytesView(content_key->data(), content_key->size())));
  return std::string(plain.begin(), plain.end());
}

// The refreshed certificate must certify this device's key: a server that answered another
// key's certificate is refused (cert_key_mismatch) and nothing local changes.
Status same_key(const KeyFile& k, const std::string& pem) {
  CS_ASSIGN(auto blocks, pem_decode_all(pem));
  if (blocks.empty() || blocks.front().label != "CERTIFICATE") {
    return Error(ErrorKind::kInvalidArgument, "bad_certificate", "the server's answer holds no certificate");
  }
  CS_ASSIGN(auto facts, pki::read_certificate(blocks.front().der));
  Bytes mine = facts.spki;
  if (k.algorithm == "sm2") {
    CS_ASSIGN(mine, pki::public_key_bits(facts.spki));
  }
  if (mine != k.public_key) {
    return Error(ErrorKind::kPermissionDenied, "cert_key_mismatch", tr("err.cloudkey_cert_key_mismatch"));
  }
  return {};
}

struct CloudKeyCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string q, tenant, qr, staff_no, name, phone, id_number, csv, staff_id, reason, status, key, device, from,
      to, code, secondary, auth_mode, device_name, target, holder, statement, dur = "24h";
  std::int64_t uses = 0;
  std::string apps;
  bool all_sessions = false, as_operator = false;
  CLI::Option* apps_opt = nullptr;

  Result<json> get(const std::string& path) {
    CS_ASSIGN(auto* h, ctx.api());
    return h->call("GET", path);
  }
  Result<json> post(const std::string& path, const json& body, const std::string& method = "POST") {
    CS_ASSIGN(auto* h, ctx.api());
    return h->call(method, path, body);
  }
  std::string keys_path() { return "/api/v1/cloudkey/keys/" + key + "/devices"; }
  // --key, else the only cloud-key certificate's key of this account on this device.
  Result<std::string> this_key() {
    if (!key.empty()) return key;
    CS_ASSIGN(auto k, choose_key(ctx, "", ""));
    return k.key_id;
  }

  Result<json> setup() {
    CS_ASSIGN(auto t, tenant_of(ctx, tenant, qr));
    CS_ASSIGN(auto* s, ctx.store());
    CS_ASSIGN(auto* h, ctx.api());
    CS_ASSIGN(auto dev, ctx.device());
    if (!device_name.empty()) dev.device_name = device_name;
    ShieldClient sh(*h, dev, ctx.rng);
    CS_ASSIGN(auto pw, new_cert_password(ctx));
    json answer;
    CS_ASSIGN(auto k, sh.install("/api/v1/cloudkey/tenants/" + t + "/certificates", json{{"staff_no", staff_no}},
                                 std::string_view(pw.data(), pw.size()), &answer));
    CS_TRY(s->save_key(k));
    if (!ctx.g.json) std::cout << tr("msg.installed", k.key_id, k.certificate_id) << "\n";
    return json{{"key_id", k.key_id}, {"certificate_id", k.certificate_id}, {"device_id", dev.device_id},
                {"certificate", answer["certificate"]}};
  }

  // {not_after, uses} from --for and --uses.
  Result<json> terms() {
    CS_ASSIGN(auto d, parse_duration(dur));
    json t = {{"not_after", SystemClock().now_unix() + d.count()}};
    if (uses > 0) t["uses"] = uses;
    return t;
  }
  static void print_delegation(const Ctx& c, const json& r) {
    if (c.g.json) return;
    std::cout << str(r, "id") << "  " << str(r, "holder_staff_no") << " -> " << str(r, "delegate_staff_no") << "  "
              << str(r, "status") << (r.value("frozen", false) ? " (frozen)" : "") << "  uses_left=" << str(r, "uses_left")
              << "  not_after=" << str(r, "not_after") << "\n";
  }
  void add_delegation_commands(CLI::App* ck) {
    CLI::App* dg = sub(ck, "delegation", "delegation between staff (授权管理)");
    dg->require_subcommand(1);
    CLI::App* rq = sub(dg, "request", "ask a certificate holder (by staff number) for use of their certificate");
    rq->add_option("--tenant", tenant);
    rq->add_option("--qr", qr, "the tenant's QR code text");
    rq->add_option("--holder", holder, "the holder's staff number")->required();
    rq->add_option("--statement", statement, "what for");
    rq->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto t, tenant_of(ctx, tenant, qr));
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + t + "/delegations",
                               {{"holder_staff_no", holder}, {"statement", statement}}));
        print_delegation(ctx, r);
        return r;
      };
    });
    sub(dg, "list", "delegations given and received")->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/delegations"));
        for (const auto& d : r["items"]) print_delegation(ctx, d);
        return r;
      };
    });
    for (const char* verb : {"approve", "change"}) {
      CLI::App* c = sub(dg, verb, std::string(verb) == "approve" ? "the holder approves, with a validity and uses"
                                                                 : "the holder changes validity and uses (renews)");
      c->add_option("id", target)->required();
      c->add_option("--for", dur, "validity from now, e.g. 30m, 2h (default 24h)");
      c->add_option("--uses", uses, "number of uses (default: any within the validity)");
      std::string v = verb;
      c->callback([&, v] {
        action = [&, v]() -> Result<json> {
          CS_ASSIGN(auto t, terms());
          CS_ASSIGN(auto r, v == "approve" ? post("/api/v1/cloudkey/delegations/" + target + "/approval", t)
                                           : post("/api/v1/cloudkey/delegations/" + target + "/terms", t, "PUT"));
          print_delegation(ctx, r);
          return r;
        };
      });
    }
    for (const char* verb : {"freeze", "unfreeze", "refuse", "delete"}) {
      CLI::App* c = sub(dg, verb, "the holder freezes, unfreezes, refuses or deletes a delegation");
      c->add_option("id", target)->required();
      std::string v = verb;
      c->callback([&, v] {
        action = [&, v]() -> Result<json> {
          const std::string path = "/api/v1/cloudkey/delegations/" + target;
          Result<json> r = v == "refuse"   ? post(path + "/refusal", json::object())
                           : v == "delete" ? post(path, nullptr, "DELETE")
                                           : post(path + "/frozen", {{"frozen", v == "freeze"}}, "PUT");
          if (r) print_delegation(ctx, *r);
          return r;
        };
      });
    }
    CLI::App* rp = sub(dg, "reset-password", "the holder: a new password for the delegate's device, sent by SMS");
    rp->add_option("id", target)->required();
    rp->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/delegations/" + target + "/password-resets", json::object()));
        if (!ctx.g.json) std::cout << target << "  sent\n";
        return r;
      };
    });
    CLI::App* ar = sub(dg, "apply-reset", "the delegate's device: take the password from the SMS as its password");
    ar->add_option("id", target)->required();
    ar->add_option("--key", key);
    ar->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto* s, ctx.store());
        CS_ASSIGN(auto k, choose_key(ctx, key, ""));
        CS_ASSIGN(auto sh, ctx.shield());
        CS_ASSIGN(auto pw, ctx.prompter().secret(tr("prompt.cloudkey_reset_password")));
        const std::string password(pw.begin(), pw.end());
        CS_ASSIGN(auto next, sh.recover_at("/api/v1/cloudkey/delegations/" + target + "/password-reset-completion",
                                           {{"reset_password", password}}, k, password));
        CS_TRY(s->save_key(next));
        (void)agent_request(s->agent_socket().string(), {{"op", "forget"}, {"key_id", k.key_id}});
        if (!ctx.g.json) std::cout << k.key_id << "  reset\n";
        return json{{"key_id", k.key_id}, {"reset", true}};
      };
    });
    CLI::App* du = sub(dg, "uses", "each use and refused attempt under a delegation");
    du->add_option("id", target)->required();
    du->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/delegations/" + target + "/uses"));
        print_items(ctx, r["items"], {"at", "device_id", "operation", "result"});
        return r;
      };
    });
  }

  // 签名采集: the staff member's handwritten signature picture (a PNG from a canvas or a file).
  Result<json> write_signature(const json& r) {
    CS_ASSIGN(auto png, base64_decode(str(r, "png")));
    if (!target.empty()) CS_TRY(write_output_file(target, as_chars(png)));
    json out = r;
    out.erase("png");
    out["out"] = target;
    if (!ctx.g.json) {
      std::cout << str(r, "staff_no") << "  " << str(r, "width_px") << "x" << str(r, "height_px") << "  "
                << str(r, "sha256") << (target.empty() ? "" : "  " + target) << "\n";
    }
    return out;
  }
  void add_signature_commands(CLI::App* ck, CLI::App* staff) {
    CLI::App* sg = sub(ck, "signature", "the handwritten signature picture (签名采集)");
    sg->require_subcommand(1);
    CLI::App* set = sub(sg, "set", "upload a PNG of your handwritten signature (replaces the one before)");
    set->add_option("file", csv, "the PNG (from a drawing canvas or a scan)")->required();
    set->add_option("--key", key);
    set->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto bytes, read_input_file(csv));
        CS_ASSIGN(auto* h, ctx.api());
        CS_ASSIGN(json up, h->upload("/api/v1/blobs?purpose=handwritten_signature", bytes, "image/png"));
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/keys/" + key + "/signature", {{"blob_id", str(up, "id")}}, "PUT"));
        return write_signature(r);
      };
    });
    CLI::App* show = sub(sg, "show", "your signature picture as stored (cleaned)");
    show->add_option("--key", key);
    show->add_option("--out", target, "write the PNG here");
    show->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/keys/" + key + "/signature"));
        return write_signature(r);
      };
    });
    CLI::App* ss = sub(staff, "signature", "a staff member's signature picture");
    ss->add_option("tenant", tenant)->required();
    ss->add_option("staff_id", staff_id)->required();
    ss->add_option("--out", target, "write the PNG here");
    ss->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/tenants/" + tenant + "/staff/" + staff_id + "/signature"));
        return write_signature(r);
      };
    });
  }

  // 找回密码: picture captcha, then an SMS code, then a new certificate password for this device.
  void add_password_commands(CLI::App* ck) {
    CLI::App* pw = sub(ck, "password", "recover the certificate password (picture captcha + SMS code)");
    pw->require_subcommand(1);
    CLI::App* cap = sub(pw, "captcha", "ask for a picture captcha; writes the PNG and prints its id");
    cap->add_option("--out", target, "where to write the picture (PNG)")->required();
    cap->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/captchas", json::object()));
        CS_ASSIGN(auto png, base64_decode(str(r, "image")));
        CS_TRY(write_output_file(target, as_chars(png)));
        if (!ctx.g.json) std::cout << str(r, "id") << "  " << target << "  expires " << str(r, "expires_at") << "\n";
        json out = r;
        out.erase("image");
        out["out"] = target;
        return out;
      };
    });
    CLI::App* sc = sub(pw, "send-code", "answer the picture captcha; the server then sends the SMS code");
    sc->add_option("--captcha", target, "the captcha's id")->required();
    sc->add_option("--answer", statement, "the digits in the picture")->required();
    sc->add_option("--key", key);
    sc->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/keys/" + key + "/password-recovery-codes",
                               {{"captcha_id", target}, {"captcha_answer", statement}}));
        if (!ctx.g.json) std::cout << tr("msg.code_sent", ctx.phone()) << "\n";
        return r;
      };
    });
    CLI::App* rc = sub(pw, "recover", "the SMS code, then a new certificate password for this device");
    rc->add_option("--code", code, "the SMS code sent after the captcha")->required();
    rc->add_option("--key", key);
    rc->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto* s, ctx.store());
        CS_ASSIGN(auto k, choose_key(ctx, key, ""));
        CS_ASSIGN(auto sh, ctx.shield());
        CS_ASSIGN(auto new_pw, new_cert_password(ctx));
        CS_ASSIGN(auto next, sh.recover_at("/api/v1/cloudkey/keys/" + k.key_id + "/password-recovery",
                                           {{"code", code}}, k, std::string_view(new_pw.data(), new_pw.size())));
        CS_TRY(s->save_key(next));
        (void)agent_request(s->agent_socket().string(), {{"op", "forget"}, {"key_id", k.key_id}});
        if (!ctx.g.json) std::cout << tr("msg.pin_recovered") << "\n";
        return json{{"key_id", k.key_id}, {"recovered", true}};
      };
    });
  }

  // The staff certificates on this device: the device's keys that are the account's cloud keys,
  // the chosen one (`use`) marked.
  Result<json> on_device() {
    CS_ASSIGN(auto* s, ctx.store());
    CS_ASSIGN(auto local, s->keys());
    CS_ASSIGN(auto mine, get("/api/v1/cloudkey/certificates"));
    const std::string chosen = chosen_key(s->root());
    json items = json::array();
    for (const auto& c : mine["items"]) {
      if (!c.value("current", false)) continue;
      for (const auto& k : local) {
        if (k.key_id != str(c, "key_id")) continue;
        json it = c;
        it["chosen"] = k.key_id == chosen;
        it["certificate_id"] = k.certificate_id;  // the copy on this device (refresh updates it)
        items.push_back(it);
      }
    }
    return json{{"items", items}};
  }
  void add_device_certificate_commands(CLI::App* ck, CLI::App* staff) {
    sub(ck, "list", "the staff certificates on this device (* the one in use)")->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, on_device());
        if (!ctx.g.json) {
          for (const auto& it : r["items"]) {
            std::cout << (it["chosen"].get<bool>() ? "* " : "  ") << str(it, "key_id") << "  "
                      << str(it, "tenant_name") << "  " << str(it, "staff_no") << "  " << str(it, "name") << "\n";
          }
        }
        return r;
      };
    });
    CLI::App* use = sub(ck, "use", "switch to another staff certificate on this device (切换证书)");
    use->add_option("which", target, "a staff number or key id")->required();
    use->add_option("--tenant", tenant, "the tenant, when two tenants' staff numbers are the same");
    use->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, on_device());
        json found;
        int n = 0;
        for (const auto& it : r["items"]) {
          if (str(it, "key_id") != target && str(it, "staff_no") != target) continue;
          if (!tenant.empty() && str(it, "tenant_id") != tenant) continue;
          found = it;
          ++n;
        }
        if (n == 0) return not_found("unknown_key", tr("err.cloudkey_not_on_device", target));
        if (n > 1) return usage(tr("err.cloudkey_ambiguous", target));
        CS_ASSIGN(auto* s, ctx.store());
        CS_TRY(choose_cloud_key(s->root(), str(found, "key_id")));
        found["chosen"] = true;
        if (!ctx.g.json) std::cout << tr("msg.cloudkey_using", str(found, "staff_no"), str(found, "tenant_name")) << "\n";
        return found;
      };
    });
    CLI::App* del = sub(ck, "delete", "delete the staff certificate from this device (删除证书; SMS code)");
    del->add_option("--key", key);
    del->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
    del->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto* s, ctx.store());
        CS_ASSIGN(auto k, choose_key(ctx, key, ""));
        CS_ASSIGN(auto dev, ctx.device());
        CS_ASSIGN(auto c, sms_code(ctx, code, "authorise"));
        // The server first: the device's server share goes, so these files are useless even
        // if a backup brings them back. Only then does the device forget its share.
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/keys/" + k.key_id + "/devices/" + dev.device_id + "/deletion",
                               {{"code", c}}));
        CS_TRY(s->remove_key(k.key_id));
        (void)agent_request(s->agent_socket().string(), {{"op", "forget"}, {"key_id", k.key_id}});
        if (chosen_key(s->root()) == k.key_id) CS_TRY(choose_cloud_key(s->root(), ""));
        if (!ctx.g.json) {
          std::cout << tr(r.value("key_retired", false) ? "msg.cloudkey_deleted_last" : "msg.cloudkey_deleted",
                          k.key_id)
                    << "\n";
        }
        return r;
      };
    });
    CLI::App* rf = sub(ck, "refresh", "fetch the staff certificate again after a renewal on the server (下拉刷新)");
    rf->add_option("--key", key);
    rf->add_option("--out", target, "also write the certificate (PEM) here");
    rf->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto* s, ctx.store());
        CS_ASSIGN(auto k, choose_key(ctx, key, ""));
        CS_ASSIGN(auto dev, ctx.device());
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/keys/" + k.key_id + "/certificate?device=" + url_encode(dev.device_id)));
        const std::string pem = r.contains("certificate") ? str(r["certificate"], "certificate_pem") : "";
        CS_TRY(same_key(k, pem));
        const std::string before = k.certificate_id;
        k.certificate_id = str(r, "certificate_id");
        CS_TRY(s->save_key(k));
        if (!target.empty()) CS_TRY(write_output_file(target, pem));
        r["previous_certificate_id"] = before;
        r["changed"] = before != k.certificate_id;
        if (!ctx.g.json) {
          std::cout << tr(before != k.certificate_id ? "msg.cloudkey_refreshed" : "msg.cloudkey_up_to_date",
                          k.certificate_id)
                    << "\n";
        }
        return r;
      };
    });
    CLI::App* rn = sub(staff, "renew", "renew a staff member's certificate on the same key (续期)");
    rn->add_option("tenant", tenant)->required();
    rn->add_option("staff_id", staff_id)->required();
    rn->add_option("--request-id", reason, "makes a retry renew once (default: a new one)");
    rn->add_flag("--operator", as_operator, "as an operator (otherwise as the tenant's admin)");
    rn->callback([&] {
      action = [&]() -> Result<json> {
        if (reason.empty()) reason = new_request_id(ctx.rng).substr(0, 40);
        CS_ASSIGN(auto r, post(std::string(as_operator ? "/api/v1/operator" : "/api/v1") + "/cloudkey/tenants/" +
                                   tenant + "/staff/" + staff_id + "/renewal",
                               {{"request_id", reason}}));
        if (!ctx.g.json) std::cout << str(r, "certificate_id") << "  " << str(r, "staff_no") << "\n";
        return r;
      };
    });
  }

  // About: this client's version, the server's (GET /api/v1/info) and the tenant's settings.
  void add_about_command(CLI::App* ck) {
    CLI::App* ab = sub(ck, "about", "client and server versions, server address, the tenant's settings");
    ab->add_option("--tenant", tenant, "the tenant (default: that of this device's staff certificate)");
    ab->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto server, ctx.server_url());
        CS_ASSIGN(auto* h, ctx.api());
        CS_ASSIGN(auto info, h->call("GET", "/api/v1/info"));
        json out = {{"client_version", CERTSEAL_CLIENT_VERSION},
                    {"server", server},
                    {"server_version", str(info, "version")},
                    {"server_time", str(info, "time")}};
        std::string t = tenant;
        if (t.empty()) {
          CS_ASSIGN(auto mine, get("/api/v1/cloudkey/certificates"));
          for (const auto& c : mine["items"]) {
            if (c.value("current", false)) {
              t = str(c, "tenant_id");
              break;
            }
          }
        }
        if (!t.empty()) {
          CS_ASSIGN(auto tj, get("/api/v1/cloudkey/tenants/" + t));
          out["tenant"] = {{"id", str(tj, "id")},
                           {"name", str(tj, "name")},
                           {"secondary_devices", tj.value("secondary_devices", false)},
                           {"auth_mode", str(tj, "auth_mode")},
                           {"allowed_apps", tj.value("allowed_apps", json::array())}};
        }
        if (!ctx.g.json) {
          std::cout << "certseal " << CERTSEAL_CLIENT_VERSION << "\n"
                    << "server   " << server << "  certseald " << str(info, "version") << "\n";
          if (out.contains("tenant")) {
            std::cout << "tenant   " << str(out["tenant"], "name") << "  secondary_devices="
                      << (out["tenant"]["secondary_devices"].get<bool>() ? "on" : "off")
                      << "  auth_mode=" << str(out["tenant"], "auth_mode") << "\n";
          }
        }
        return out;
      };
    });
  }

  CloudKeyCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* ck = sub(&app, "cloudkey", "cloud key (云密钥): tenants, staff certificates, devices");
    ck->require_subcommand(1);

    CLI::App* tenants = sub(ck, "tenants", "find a tenant by name");
    tenants->add_option("--q", q, "part of the name");
    tenants->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/tenants?q=" + url_encode(q)));
        print_items(ctx, r["items"], {"id", "name"});
        return r;
      };
    });
    CLI::App* qrc = sub(ck, "qr", "the text of a tenant's QR code (server address and tenant id)");
    qrc->add_option("tenant", tenant)->required();
    qrc->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/tenants/" + tenant + "/qr"));
        if (!ctx.g.json) std::cout << str(r, "payload") << "\n";
        return r;
      };
    });
    CLI::App* settings = sub(ck, "settings", "tenant admins: change the tenant's settings");
    settings->add_option("tenant", tenant)->required();
    settings->add_option("--secondary-devices", secondary, "on or off")->check(CLI::IsMember({"on", "off"}));
    settings->add_option("--auth-mode", auth_mode, "password or password_sms")
        ->check(CLI::IsMember({"password", "password_sms"}));
    apps_opt = settings->add_option("--allowed-apps", apps,
                         "the relying-party applications allowed collaborative signing, comma-separated "
                         "(\"\" for none)");
    settings->callback([&] {
      action = [&]() -> Result<json> {
        json body = json::object();
        if (!secondary.empty()) body["secondary_devices"] = secondary == "on";
        if (!auth_mode.empty()) body["auth_mode"] = auth_mode;
        if (apps_opt->count() > 0) {
          json list = json::array();
          std::string cur;
          for (char c : apps + ",") {
            if (c != ',') {
              cur += c;
            } else if (!cur.empty()) {
              list.push_back(cur);
              cur.clear();
            }
          }
          body["allowed_apps"] = list;
        }
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + tenant + "/settings", body, "PUT"));
        if (!ctx.g.json) {
          std::cout << str(r, "name") << "  secondary_devices=" << str(r, "secondary_devices")
                    << "  auth_mode=" << str(r, "auth_mode") << "  allowed_apps=" << r["allowed_apps"].dump() << "\n";
        }
        return r;
      };
    });

    // Staff records (tenant admins)
    CLI::App* staff = sub(ck, "staff", "tenant admins: staff records");
    staff->require_subcommand(1);
    CLI::App* sl = sub(staff, "list", "staff records");
    sl->add_option("tenant", tenant)->required();
    sl->add_option("--status", status, "pending, active or refused");
    sl->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/tenants/" + tenant + "/staff" +
                              (status.empty() ? "" : "?status=" + url_encode(status))));
        print_items(ctx, r["items"], {"id", "staff_no", "name", "phone", "status"});
        return r;
      };
    });
    CLI::App* sa = sub(staff, "add", "enter a staff record");
    sa->add_option("tenant", tenant)->required();
    sa->add_option("--staff-no", staff_no)->required();
    sa->add_option("--name", name)->required();
    sa->add_option("--phone", phone)->required();
    sa->add_option("--id-number", id_number)->required();
    sa->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + tenant + "/staff",
                               {{"staff_no", staff_no}, {"name", name}, {"phone", phone}, {"id_number", id_number}}));
        if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "staff_no") << "  " << str(r, "status") << "\n";
        return r;
      };
    });
    CLI::App* si = sub(staff, "import", "import staff records from CSV (staff_no,name,phone,id_number)");
    si->add_option("tenant", tenant)->required();
    si->add_option("--csv", csv, "the CSV file (- for standard input)")->required();
    si->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto text, read_input_file(csv));
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + tenant + "/staff-imports", {{"csv", text}}));
        if (!ctx.g.json) std::cout << str(r, "added") << "\n";
        return r;
      };
    });
    for (auto [verb, approve_binding] : {std::pair{"approve", true}, std::pair{"refuse", false}}) {
      const bool approve = approve_binding;  // clang before 16 cannot capture a structured binding
      CLI::App* d = sub(staff, verb, approve ? "approve an application (审核通过)" : "refuse an application");
      d->add_option("tenant", tenant)->required();
      d->add_option("staff_id", staff_id)->required();
      if (!approve) d->add_option("--reason", reason)->required();
      d->callback([&, approve] {
        action = [&, approve]() -> Result<json> {
          json body = {{"approve", approve}};
          if (!approve) body["reason"] = reason;
          CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + tenant + "/staff/" + staff_id + "/decision", body));
          if (!ctx.g.json) std::cout << str(r, "staff_no") << "  " << str(r, "status") << "\n";
          return r;
        };
      });
    }

    // Staff members
    CLI::App* apply = sub(ck, "apply", "apply for a staff record (自助录入), for the tenant admin to approve");
    apply->add_option("--tenant", tenant);
    apply->add_option("--qr", qr, "the tenant's QR code text");
    apply->add_option("--staff-no", staff_no)->required();
    apply->add_option("--name", name)->required();
    apply->add_option("--id-number", id_number)->required();
    apply->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto t, tenant_of(ctx, tenant, qr));
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + t + "/applications",
                               {{"staff_no", staff_no}, {"name", name}, {"id_number", id_number}}));
        if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
        return r;
      };
    });
    CLI::App* setup_c = sub(ck, "setup", "download the staff certificate to this device (a two-party key)");
    setup_c->add_option("--tenant", tenant);
    setup_c->add_option("--qr", qr, "the tenant's QR code text (sets the server)");
    setup_c->add_option("--staff-no", staff_no, "user id or staff number")->required();
    setup_c->add_option("--device-name", device_name);
    setup_c->callback([&] { action = [&] { return setup(); }; });
    sub(ck, "certificates", "this account's cloud key certificates")->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/certificates"));
        print_items(ctx, r["items"], {"certificate_id", "tenant_name", "staff_no", "name"});
        return r;
      };
    });

    // Devices of a staff key
    CLI::App* devices = sub(ck, "devices", "devices of a staff key: list, freeze, activate, remove, unlock");
    devices->require_subcommand(1);
    CLI::App* dl = sub(devices, "list", "main and secondary devices");
    dl->add_option("--key", key);
    dl->add_option("--status", status, "active, pending, frozen or removed");
    dl->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto r, get(keys_path() + (status.empty() ? "" : "?status=" + url_encode(status))));
        print_items(ctx, r["items"], {"device_id", "name", "role", "status"});
        return r;
      };
    });
    for (const char* verb : {"freeze", "activate"}) {
      CLI::App* c = sub(devices, verb, "a secondary device (from the main device)");
      c->add_option("device_id", target)->required();
      c->add_option("--key", key);
      std::string v = verb;
      c->callback([&, v] {
        action = [&, v]() -> Result<json> {
          CS_ASSIGN(key, this_key());
          CS_ASSIGN(auto dev, ctx.device());
          CS_ASSIGN(auto r, post(keys_path() + "/" + target + "/state", {{"action", v}, {"from_device", dev.device_id}}));
          if (!ctx.g.json) std::cout << str(r, "device_id") << "  " << str(r, "status") << "\n";
          return r;
        };
      });
    }
    CLI::App* dr = sub(devices, "remove", "remove a device, the main one too (SMS code)");
    dr->add_option("device_id", target)->required();
    dr->add_option("--key", key);
    dr->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
    dr->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto c, sms_code(ctx, code, "authorise"));
        CS_ASSIGN(auto r, post(keys_path() + "/" + target + "/removal", {{"code", c}}));
        if (!ctx.g.json) std::cout << str(r, "device_id") << "  " << str(r, "status") << "\n";
        return r;
      };
    });
    CLI::App* du = sub(devices, "unlock", "SMS unlock of this device for its next step (password + SMS code)");
    du->add_option("--key", key);
    du->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
    du->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto dev, ctx.device());
        CS_ASSIGN(auto c, sms_code(ctx, code, "authorise"));
        CS_ASSIGN(auto r, post(keys_path() + "/" + dev.device_id + "/sms-unlock", {{"code", c}}));
        if (!ctx.g.json) std::cout << str(r, "device_id") << "  unlocked\n";
        return r;
      };
    });
    CLI::App* drs = sub(devices, "remove-secondaries",
                        "remove every secondary device at once (from the main device, SMS code)");
    drs->add_option("--key", key);
    drs->add_option("--code", code, "SMS code of purpose authorise (otherwise sent and asked for)");
    drs->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto dev, ctx.device());
        CS_ASSIGN(auto c, sms_code(ctx, code, "authorise"));
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/keys/" + key + "/secondary-removal",
                               {{"from_device", dev.device_id}, {"code", c}}));
        if (!ctx.g.json) {
          for (const auto& d : r["removed"]) std::cout << d.get<std::string>() << "  removed\n";
        }
        return r;
      };
    });
    CLI::App* srs = sub(staff, "remove-secondaries", "remove every secondary device of a staff member's key");
    srs->add_option("tenant", tenant)->required();
    srs->add_option("staff_id", staff_id)->required();
    srs->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/tenants/" + tenant + "/staff/" + staff_id + "/secondary-removal",
                               json::object()));
        if (!ctx.g.json) {
          for (const auto& d : r["removed"]) std::cout << d.get<std::string>() << "  removed\n";
        }
        return r;
      };
    });
    sub(ck, "sessions", "the applications this account is logged in from (sessions)")->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, get("/api/v1/cloudkey/sessions"));
        if (!ctx.g.json) {
          for (const auto& it : r["items"]) {
            std::cout << str(it, "id") << "  " << str(it, "created_at") << "  " << str(it, "remote_addr")
                      << (it.value("current", false) ? "  (this one)" : "") << "\n";
          }
        }
        return r;
      };
    });
    CLI::App* lo = sub(ck, "logout", "log out of one application (a session id from `sessions`) or of all");
    lo->add_option("session", target, "the session to end");
    lo->add_flag("--all", all_sessions, "end every session of this account, this one too");
    lo->callback([&] {
      action = [&]() -> Result<json> {
        if (target.empty() == !all_sessions) return usage("give a session id or --all");
        json body = all_sessions ? json{{"all", true}} : json{{"session", target}};
        CS_ASSIGN(auto list, get("/api/v1/cloudkey/sessions"));
        bool mine = all_sessions;
        for (const auto& it : list["items"]) mine = mine || (it.value("current", false) && str(it, "id") == target);
        CS_ASSIGN(auto r, post("/api/v1/cloudkey/logouts", body));
        // This client's own session ended too: forget it here.
        if (mine) {
          CS_ASSIGN(auto* s, ctx.store());
          CS_TRY(s->clear_session());
        }
        if (!ctx.g.json) std::cout << tr("msg.logged_out") << "  " << str(r, "ended") << "\n";
        return r;
      };
    });
    add_device_certificate_commands(ck, staff);
    add_password_commands(ck);
    add_signature_commands(ck, staff);
    add_about_command(ck);
    add_delegation_commands(ck);
    CLI::App* ex = sub(ck, "export-log", "the usage log encrypted to the tenant's support key (from the main device)");
    ex->add_option("--key", key);
    ex->add_option("--from", from);
    ex->add_option("--to", to);
    ex->add_option("--out", target, "write the encrypted log (DER CMS EnvelopedData) here")->required();
    ex->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto dev, ctx.device());
        std::string path = "/api/v1/cloudkey/keys/" + key + "/usage-export?device=" + url_encode(dev.device_id);
        if (!from.empty()) path += "&from=" + url_encode(from);
        if (!to.empty()) path += "&to=" + url_encode(to);
        CS_ASSIGN(auto r, get(path));
        CS_ASSIGN(auto der, base64_decode(str(r, "envelope")));
        CS_TRY(write_output_file(target, as_chars(der)));
        if (!ctx.g.json) std::cout << target << "\n";
        return json{{"out", target}, {"bytes", der.size()}};
      };
    });
    CLI::App* dx = sub(ck, "decrypt-log", "support: open an exported log with the support key (no server needed)");
    dx->add_option("--in", csv, "the exported log")->required();
    dx->add_option("--support-key", from, "the support side's SM2 private key (PEM)")->required();
    dx->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto env, read_input_file(csv));
        CS_ASSIGN(auto pem, read_input_file(from));
        CS_ASSIGN(auto text, open_log(env, pem));
        auto j = json::parse(text, nullptr, false);
        if (j.is_discarded()) return Error(ErrorKind::kInvalidArgument, "bad_log", "the log inside is not JSON");
        if (!ctx.g.json) std::cout << j.dump(2) << "\n";
        return j;
      };
    });
    CLI::App* log = sub(ck, "log", "usage log of a staff key (from its main device)");
    log->add_option("--key", key);
    log->add_option("--from", from, "from this date (YYYY-MM-DD, inclusive)");
    log->add_option("--to", to, "to this date (exclusive)");
    log->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(key, this_key());
        CS_ASSIGN(auto dev, ctx.device());
        std::string path = "/api/v1/cloudkey/keys/" + key + "/usage?device=" + url_encode(dev.device_id);
        if (!from.empty()) path += "&from=" + url_encode(from);
        if (!to.empty()) path += "&to=" + url_encode(to);
        CS_ASSIGN(auto r, get(path));
        print_items(ctx, r["items"], {"at", "device_id", "operation", "result", "delegation_id"});
        return r;
      };
    });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_cloudkey_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<CloudKeyCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
