// `certseal org …`: organisations — list, search, show, create, join (docs/CLI.md).
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
#include "client/org_transfer.h"

namespace certseal::client::cli {
namespace {

// ---- organisations ----

Result<json> cmd_org_list(Ctx& ctx) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto ids, h->call("GET", "/api/v1/identities"));
  json out = json::array();
  for (const auto& i : ids.value("items", json::array())) {
    std::string org = str(i, "org_id");
    if (org.empty()) continue;
    auto o = h->call("GET", "/api/v1/organisations/" + org);
    json row = {{"identity_id", str(i, "id")}, {"role", str(i, "kind")}, {"org_id", org}};
    if (o) {
      row["name"] = str(*o, "name");
      row["status"] = str(*o, "status");
    }
    if (!ctx.g.json)
      std::cout << org << "  " << str(row, "role") << "  " << str(row, "name") << "  "
                << str(row, "status") << "\n";
    out.push_back(row);
  }
  say_if_empty(ctx, out, "msg.empty_orgs");
  return json{{"items", out}};
}

Result<json> cmd_org_search(Ctx& ctx, const std::string& name, const std::string& credit_code) {
  CS_ASSIGN(auto* h, ctx.api());
  std::string q;
  auto esc = [](const std::string& v) {
    std::string o;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        o.push_back(static_cast<char>(c));
      } else {
        char b[4];
        std::snprintf(b, sizeof b, "%%%02X", c);
        o += b;
      }
    }
    return o;
  };
  if (!name.empty()) q += "name=" + esc(name);
  if (!credit_code.empty())
    q += std::string(q.empty() ? "" : "&") + "credit_code=" + esc(credit_code);
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/organisations" + (q.empty() ? "" : "?" + q)));
  if (!ctx.g.json) {
    for (const auto& o : r.value("items", json::array())) {
      std::cout << str(o, "id") << "  " << str(o, "name") << "  " << str(o, "credit_code") << "\n";
    }
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_org_search");
  return r;
}

Result<json> cmd_org_show(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/organisations/" + id));
  if (!ctx.g.json) std::cout << r.dump(2) << "\n";
  return r;
}

Result<json> cmd_org_create(Ctx& ctx, const std::string& name, const std::string& code,
                            bool legal_rep, int version) {
  CS_ASSIGN(auto* h, ctx.api());
  if (version <= 0) {
    CS_ASSIGN(auto ag, h->call("GET", "/api/v1/agreements/organisation"));
    version = ag.value("version", 1);
  }
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/organisations",
                            {{"name", name},
                             {"credit_code", code},
                             {"creator_is_legal_rep", legal_rep},
                             {"agreement_version", version}}));
  if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
  return r;
}

Result<json> cmd_org_join(Ctx& ctx, const std::string& id, const std::string& statement,
                          const std::string& admin_name, const std::string& admin_phone) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/organisations/" + id + "/join-requests",
                            {{"statement", statement},
                             {"admin_name", admin_name},
                             {"admin_phone", admin_phone}}));
  if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
  return r;
}

// The options live here, as long as the parse and the action that read them.
struct OrgCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string org_id, org_name, credit_code, statement, admin_name, admin_phone;
  bool legal_rep = false;
  int org_agreement = 0;
  TransferAdminOptions transfer;

  OrgCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* org = sub(&app, "org", "organisations (单位)");
    org->require_subcommand(1);
    sub(org, "list", "my organisations")->callback([&] {
      action = [&] { return cmd_org_list(ctx); };
    });
    CLI::App* osearch = sub(org, "search", "find verified organisations");
    osearch->add_option("--name", org_name, "name contains");
    osearch->add_option("--credit-code", credit_code, "unified social credit code");
    osearch->callback([&] { action = [&] { return cmd_org_search(ctx, org_name, credit_code); }; });
    CLI::App* oshow = sub(org, "show", "show an organisation");
    oshow->add_option("org_id", org_id)->required();
    oshow->callback([&] { action = [&] { return cmd_org_show(ctx, org_id); }; });
    CLI::App* ocreate = sub(org, "create", "start creating and verifying an organisation (draft)");
    ocreate->add_option("--name", org_name)->required();
    ocreate->add_option("--credit-code", credit_code)->required();
    ocreate->add_flag("--legal-rep", legal_rep, "I am the legal representative");
    ocreate->add_option("--agreement-version", org_agreement,
                        "accepted agreement version (default: current)");
    ocreate->callback([&] {
      action = [&] { return cmd_org_create(ctx, org_name, credit_code, legal_rep, org_agreement); };
    });
    CLI::App* ojoin = sub(org, "join", "ask to join an organisation");
    ojoin->add_option("org_id", org_id)->required();
    ojoin->add_option("--statement", statement)->required();
    ojoin->add_option("--admin-name", admin_name)->required();
    ojoin->add_option("--admin-phone", admin_phone)->required();
    ojoin->callback([&] {
      action = [&] { return cmd_org_join(ctx, org_id, statement, admin_name, admin_phone); };
    });
    CLI::App* otransfer = sub(org, "transfer-admin",
                              "hand the admin role to a member by signing the authorisation letter (转让管理员)");
    otransfer->add_option("--org", transfer.org_id, "organisation id")->required();
    otransfer->add_option("--member", transfer.member_id, "the member (membership id) who becomes admin")->required();
    otransfer->add_option("--cert", transfer.cert_id, "certificate to sign with (default: the only key here)");
    otransfer->add_option("--seal", transfer.seal_id, "your handwritten signature or personal seal to show");
    otransfer->add_option("--signature", transfer.signature_png, "a PNG of your handwritten signature to show");
    otransfer->add_option("--preview", transfer.preview, "where to save the letter before signing");
    otransfer->add_option("--out", transfer.out, "where to save the signed letter (PDF)");
    otransfer->add_flag("--yes", transfer.yes, "do not ask for confirmation");
    otransfer->callback([&] { action = [&] { return cmd_org_transfer_admin(ctx, transfer); }; });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_org_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<OrgCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
