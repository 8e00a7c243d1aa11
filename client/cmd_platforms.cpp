// `certseal platforms …` (cmd_platforms.h).
#include "client/cmd_platforms.h"

#include <iostream>

#include "client/messages.h"

namespace certseal::client::cli {
namespace {

std::string say(const char* zh, const char* en) { return language() == Language::kEn ? en : zh; }

struct PlatformArgs {
  std::string org, cert, platform, product;
};

std::string base(const PlatformArgs& a) {
  return a.org.empty() ? "/api/v1/account/certificates/" + a.cert + "/platforms"
                       : "/api/v1/organisations/" + a.org + "/certificates/" + a.cert + "/platforms";
}

void print_platform(const json& p) {
  std::cout << str(p, "platform_id") << "  " << str(p, "platform_name") << "  " << str(p, "source") << "  "
            << (p.value("enabled", false) ? say("可用", "enabled") : say("不可用", "not enabled")) << "  "
            << str(p, "enabled_until") << "\n";
}

Result<json> cmd_list(Ctx& ctx, const PlatformArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", base(a)));
  if (!ctx.g.json) {
    for (const auto& p : r.value("items", json::array())) print_platform(p);
  }
  return r;
}

Result<json> cmd_cancel(Ctx& ctx, const PlatformArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", base(a) + "/" + a.platform + "/cancellation", json::object()));
  if (!ctx.g.json) std::cout << say("已取消互认：", "Mutual recognition cancelled: ") << a.platform << "\n";
  return r;
}

// An order for a mutual-recognition package of the certificate (the product names the platform).
Result<json> cmd_buy(Ctx& ctx, const PlatformArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  json body = {{"product_id", a.product}, {"certificate_id", a.cert}};
  if (!a.org.empty()) body["org_id"] = a.org;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders", body));
  if (!ctx.g.json) {
    std::cout << say("已下单：", "Order placed: ") << str(r, "id")
              << say("（接着 order authorise 与 pay）", " (then order authorise and pay)") << "\n";
  }
  return r;
}

struct PlatformCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  PlatformArgs a;

  void on(CLI::App* cmd, Result<json> (*fn)(Ctx&, const PlatformArgs&)) {
    cmd->callback([this, fn] { action = [this, fn] { return fn(ctx, a); }; });
  }

  PlatformCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* platforms = sub(&app, "platforms", "mutual recognition of a certificate (互认共享)");
    platforms->require_subcommand(1);
    CLI::App* list = sub(platforms, "list", "the platforms a certificate is usable on");
    list->add_option("--cert", a.cert)->required();
    list->add_option("--org", a.org, "an organisation certificate, as its admin");
    on(list, cmd_list);
    CLI::App* buy = sub(platforms, "buy", "order a mutual-recognition package for another platform");
    buy->add_option("--cert", a.cert)->required();
    buy->add_option("--product", a.product, "a mutual_recognition product (order catalogue)")->required();
    buy->add_option("--org", a.org, "an organisation certificate, acting as its admin");
    on(buy, cmd_buy);
    CLI::App* cancel = sub(platforms, "cancel", "cancel the package of one platform");
    cancel->add_option("--cert", a.cert)->required();
    cancel->add_option("--platform", a.platform)->required();
    cancel->add_option("--org", a.org, "an organisation certificate, as its admin");
    on(cancel, cmd_cancel);
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_platforms_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<PlatformCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
