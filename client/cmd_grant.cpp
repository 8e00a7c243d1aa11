// `certseal grant …` (cmd_grant.h).
#include "client/cmd_grant.h"

#include <chrono>
#include <iostream>
#include <thread>
#include <tuple>

#include "base/clock.h"
#include "client/duration.h"
#include "client/messages.h"

namespace certseal::client::cli {
namespace {

// Bilingual one-liners of this family (Chinese by default, English with --lang en).
std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

std::string org_path(const std::string& org) { return "/api/v1/organisations/" + org; }

void print_grant(const json& g) {
  std::cout << str(g, "id") << "  " << str(g, "status") << (g.value("live", false) ? "*" : "") << "  "
            << str(g, "certificate_id") << "  " << str(g, "platform_id") << "  " << str(g, "member_phone") << "  "
            << str(g, "not_before") << " .. " << str(g, "not_after");
  if (g.contains("uses_left") && g["uses_left"].is_number()) {
    std::cout << "  " << say("剩余次数 ", "uses left ") << g["uses_left"].get<std::int64_t>();
  }
  std::cout << "\n";
}

json print_items(Ctx& ctx, json r) {
  if (!ctx.g.json) {
    for (const auto& g : r.value("items", json::array())) print_grant(g);
    if (r.value("items", json::array()).empty()) std::cout << say("（无）", "(none)") << "\n";
  }
  return r;
}

struct GrantArgs {
  std::string org, id, cert, seal, platform, statement, status, reason, from, until;
  std::int64_t uses = 0;
  bool no_wait = false;
  int wait_s = 600;
};

Result<json> cmd_request(Ctx& ctx, const GrantArgs& a) {
  json body = {{"statement", a.statement}};
  if (!a.seal.empty()) {
    // 单位印章授权: a seal, with the window asked for.
    if (a.until.empty()) return usage(say("印章授权需要 --for（使用时间范围，例如 8h）", "a seal grant needs --for (e.g. 8h)"));
    body["kind"] = "seal";
    body["seal_id"] = a.seal;
  } else {
    if (a.cert.empty() || a.platform.empty()) {
      return usage(say("需要 --cert 和 --platform（或 --seal）", "--cert and --platform are required (or --seal)"));
    }
    body["certificate_id"] = a.cert;
    body["platform_id"] = a.platform;
  }
  CS_ASSIGN(auto* h, ctx.api());
  if (!a.until.empty()) {
    CS_ASSIGN(auto d, parse_duration(a.until));
    const std::int64_t now = SystemClock().now_unix();
    body["not_before"] = now;
    body["not_after"] = now + d.count();
  }
  CS_ASSIGN(auto r, h->call("POST", org_path(a.org) + "/grants", body));
  if (!ctx.g.json) std::cout << say("已提交授权申请：", "Grant requested: ") << str(r, "id") << "\n";
  return r;
}

Result<json> cmd_list(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  std::string path = a.org.empty() ? "/api/v1/grants" : org_path(a.org) + "/grants";
  if (!a.org.empty() && !a.status.empty()) path += "?status=" + a.status;
  CS_ASSIGN(auto r, h->call("GET", path));
  return print_items(ctx, std::move(r));
}

Result<json> cmd_show(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", org_path(a.org) + "/grants/" + a.id));
  if (!ctx.g.json) print_grant(r);
  return r;
}

Result<json> cmd_certificates(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", org_path(a.org) + "/grantable-certificates?platform_id=" + a.platform));
  if (!ctx.g.json) {
    for (const auto& c : r.value("items", json::array())) {
      std::cout << str(c, "certificate_id") << "  " << str(c, "subject") << "  " << str(c, "not_after") << "\n";
    }
  }
  if (!ctx.g.json && r.value("items", json::array()).empty()) std::cout << say("（无）", "(none)") << "\n";
  return r;
}

Result<json> cmd_contact(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", org_path(a.org) + "/admin-contacts"));
  if (!ctx.g.json) {
    for (const auto& c : r.value("items", json::array())) {
      std::cout << str(c, "name") << "  " << str(c, "phone") << "  " << str(c, "role") << "\n";
    }
  }
  return r;
}

Result<json> cmd_approve(Ctx& ctx, const GrantArgs& a) {
  if (a.until.empty()) return usage(say("需要 --for（授权时长，例如 8h）", "--for is required (how long, e.g. 8h)"));
  CS_ASSIGN(auto length, parse_duration(a.until));
  std::int64_t start = SystemClock().now_unix();
  if (!a.from.empty()) {
    CS_ASSIGN(auto delay, parse_duration(a.from));
    start += delay.count();
  }
  json body = {{"not_before", start}, {"not_after", start + length.count()}};
  if (a.uses > 0) body["uses"] = a.uses;
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", org_path(a.org) + "/grants/" + a.id + "/approval", body));
  if (!ctx.g.json) std::cout << say("已批准授权：", "Grant approved: ") << str(r, "id") << "\n";
  return r;
}

Result<json> cmd_refuse(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", org_path(a.org) + "/grants/" + a.id + "/refusal", {{"reason", a.reason}}));
  if (!ctx.g.json) std::cout << say("已拒绝授权申请：", "Grant refused: ") << str(r, "id") << "\n";
  return r;
}

Result<json> cmd_revoke(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", org_path(a.org) + "/grants/" + a.id + "/revocation", {{"reason", a.reason}}));
  if (!ctx.g.json) std::cout << say("已收回授权：", "Grant taken back: ") << str(r, "id") << "\n";
  return r;
}

// This (the employee's) device joins the organisation key of an approved grant: it starts a
// pairing for the grant and shows the code; the holder's device delivers with `certseal device
// add <pairing id> --code <code>`; then this device sets its certificate password.
Result<json> cmd_pair(Ctx& ctx, const GrantArgs& a) {
  CS_ASSIGN(auto* s, ctx.store());
  CS_ASSIGN(auto sh, ctx.shield());
  CS_ASSIGN(auto started, sh.start_pairing(*s, a.id));
  const std::string pairing = str(started, "id"), code = str(started, "code");
  if (a.no_wait) {
    if (!ctx.g.json) std::cout << pairing << " " << code << "\n";
    return started;
  }
  std::cerr << tr("msg.pairing_started", pairing, code, pairing, code) << "\n" << tr("msg.pairing_waiting") << "\n";
  bool ready = false;
  for (int i = 0; i < a.wait_s * 2 && !ready; ++i) {
    CS_ASSIGN(ready, sh.pairing_ready(pairing));
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (!ready) return Error(ErrorKind::kTimeout, "pairing_timeout", "the other device did not answer in time");
  CS_ASSIGN(auto pw, new_cert_password(ctx));
  CS_ASSIGN(KeyFile k, sh.complete_pairing(*s, pairing, std::string_view(pw.data(), pw.size())));
  CS_TRY(s->save_key(k));
  if (!ctx.g.json) std::cout << say("本设备已加入授权证书的密钥：", "This device joined the granted key: ") << k.key_id << "\n";
  return json{{"grant_id", a.id}, {"pairing_id", pairing}, {"key_id", k.key_id}, {"certificate_id", k.certificate_id}};
}

// ---- records (certseal records …) ----

struct RecordArgs {
  std::string org, cert, seal, member, platform, result, status, from, to, csv;
};

// The query string of the filters; --from/--to take unix seconds or a duration before now (7d
// is not a unit: use hours, e.g. 168h).
Result<std::string> record_query(const RecordArgs& a) {
  std::string q;
  auto add = [&](const char* name, const std::string& v) {
    if (!v.empty()) q += std::string(q.empty() ? "?" : "&") + name + "=" + v;
  };
  auto when = [&](const std::string& v) -> Result<std::string> {
    if (v.empty()) return std::string();
    if (v.find_first_not_of("0123456789") == std::string::npos) return v;
    CS_ASSIGN(auto d, parse_duration(v));
    return std::to_string(SystemClock().now_unix() - d.count());
  };
  add("certificate_id", a.cert);
  add("seal_id", a.seal);
  add("member", a.member);
  add("platform_id", a.platform);
  add("result", a.result);
  add("status", a.status);
  CS_ASSIGN(auto from, when(a.from));
  CS_ASSIGN(auto to, when(a.to));
  add("from", from);
  add("to", to);
  return q;
}

// JSON on standard output, or the server's CSV export written to --csv FILE.
Result<json> fetch_records(Ctx& ctx, const std::string& path, const RecordArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto q, record_query(a));
  if (!a.csv.empty()) {
    CS_ASSIGN(auto r, h->raw("GET", path + q + (q.empty() ? "?" : "&") + "format=csv"));
    if (r.status < 200 || r.status > 299) {
      CS_TRY(h->call("GET", path + q));  // the same refusal, told as the API tells it
      return Error(ErrorKind::kUnavailable, "bad_answer", "the server did not send the CSV export");
    }
    CS_TRY(write_output_file(a.csv, r.body));
    if (!ctx.g.json) std::cout << say("已导出：", "Exported: ") << a.csv << "\n";
    return json{{"csv", a.csv}, {"bytes", r.body.size()}};
  }
  return h->call("GET", path + q);
}

Result<json> cmd_records_uses(Ctx& ctx, const RecordArgs& a) {
  CS_ASSIGN(auto r, fetch_records(ctx, org_path(a.org) + "/grant-uses", a));
  if (!ctx.g.json && a.csv.empty()) {
    for (const auto& u : r.value("items", json::array())) {
      std::cout << str(u, "at") << "  " << str(u, "member_phone") << "  " << str(u, "certificate_id") << "  "
                << str(u, "platform_id") << "  " << str(u, "operation") << "  " << str(u, "document_hash") << "  "
                << str(u, "result") << "\n";
    }
    if (r.value("items", json::array()).empty()) std::cout << say("（无）", "(none)") << "\n";
  }
  return r;
}

Result<json> cmd_records_grants(Ctx& ctx, const RecordArgs& a) {
  CS_ASSIGN(auto r, fetch_records(ctx, org_path(a.org) + "/grants", a));
  if (!ctx.g.json && a.csv.empty()) print_items(ctx, r);
  return r;
}

// The options live here, as long as the parse and the action that read them.
struct GrantCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  GrantArgs a;
  RecordArgs ra;

  void on(CLI::App* cmd, Result<json> (*fn)(Ctx&, const GrantArgs&)) {
    cmd->callback([this, fn] { action = [this, fn] { return fn(ctx, a); }; });
  }

  GrantCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* grant = sub(&app, "grant", "organisation grants (单位证书授权)");
    grant->require_subcommand(1);
    CLI::App* req = sub(grant, "request", "ask to use an organisation certificate on a platform, or a seal");
    req->add_option("--org", a.org)->required();
    req->add_option("--cert", a.cert, "the organisation certificate (with --platform)");
    req->add_option("--platform", a.platform, "the trading platform it is for");
    req->add_option("--seal", a.seal, "an organisation seal instead (单位印章授权; needs --for)");
    req->add_option("--statement", a.statement, "why (shown to the admin)")->required();
    req->add_option("--for", a.until, "the window asked for, from now (e.g. 8h)");
    on(req, cmd_request);
    CLI::App* list = sub(grant, "list", "grants of an organisation (--org), or my own");
    list->add_option("--org", a.org);
    list->add_option("--status", a.status, "requested, approved, refused or revoked");
    on(list, cmd_list);
    CLI::App* show = sub(grant, "show", "one grant");
    show->add_option("id", a.id)->required();
    show->add_option("--org", a.org)->required();
    on(show, cmd_show);
    CLI::App* certs = sub(grant, "certificates", "organisation certificates enabled for a platform");
    certs->add_option("--org", a.org)->required();
    certs->add_option("--platform", a.platform)->required();
    on(certs, cmd_certificates);
    CLI::App* contact = sub(grant, "contact", "the admins' names and phones (联系管理员)");
    contact->add_option("--org", a.org)->required();
    on(contact, cmd_contact);
    CLI::App* approve = sub(grant, "approve", "admin: approve a grant request");
    approve->add_option("id", a.id)->required();
    approve->add_option("--org", a.org)->required();
    approve->add_option("--for", a.until, "how long the grant lasts (e.g. 8h)");
    approve->add_option("--start-in", a.from, "starts this long from now (default: now)");
    approve->add_option("--uses", a.uses, "number of uses (default: any inside the window)");
    on(approve, cmd_approve);
    CLI::App* refuse = sub(grant, "refuse", "admin: refuse a grant request");
    refuse->add_option("id", a.id)->required();
    refuse->add_option("--org", a.org)->required();
    refuse->add_option("--reason", a.reason)->required();
    on(refuse, cmd_refuse);
    CLI::App* revoke = sub(grant, "revoke", "admin: take a grant back (收回); its devices stop at once");
    revoke->add_option("id", a.id)->required();
    revoke->add_option("--org", a.org)->required();
    revoke->add_option("--reason", a.reason);
    on(revoke, cmd_revoke);
    CLI::App* pair = sub(grant, "pair", "on the employee's device: join the key of an approved grant");
    pair->add_option("id", a.id)->required();
    pair->add_flag("--no-wait", a.no_wait, "only start the pairing and print its id and code");
    pair->add_option("--wait", a.wait_s, "seconds to wait for the holder's device (default 600)");
    on(pair, cmd_pair);

    CLI::App* records = sub(&app, "records", "grant and usage records of an organisation (全程追溯)");
    records->require_subcommand(1);
    for (auto [name, desc, fn] :
         {std::tuple{"uses", "usage records: who used which certificate or seal, when, where, on what",
                     &cmd_records_uses},
          std::tuple{"grants", "grant records: who asked, who decided, window, uses, taken back", &cmd_records_grants}}) {
      CLI::App* c = sub(records, name, desc);
      c->add_option("--org", ra.org)->required();
      c->add_option("--cert", ra.cert, "one certificate");
      c->add_option("--seal", ra.seal, "one seal");
      c->add_option("--member", ra.member, "one member (account id)");
      c->add_option("--platform", ra.platform, "one trading platform");
      c->add_option("--from", ra.from, "since (unix seconds, or a duration before now such as 24h)");
      c->add_option("--to", ra.to, "until (unix seconds, or a duration before now)");
      c->add_option("--csv", ra.csv, "write the CSV export to this file");
      if (std::string(name) == "uses") c->add_option("--result", ra.result, "ok, counted, or a refusal code");
      if (std::string(name) == "grants") c->add_option("--status", ra.status, "requested, approved, refused, revoked");
      auto f = fn;
      c->callback([this, f] { action = [this, f] { return f(ctx, ra); }; });
    }
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_grant_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<GrantCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
