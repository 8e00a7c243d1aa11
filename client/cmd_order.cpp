// `certseal order …` and `certseal pay …`: the catalogue, orders and their payment
// (docs/ORDERS.md).
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

namespace certseal::client::cli {
namespace {

// ---- orders and payment ----

void print_order(const json& o) {
  std::cout << str(o, "id") << "  " << str(o, "status") << "  " << str(o, "product_name") << "  x"
            << str(o, "quantity") << "  " << fen(o, "amount_fen") << "\n";
}

Result<json> cmd_catalogue(Ctx& ctx) {
  CS_ASSIGN(auto url, ctx.server_url());
  Http http(url);
  CS_ASSIGN(auto r, http.call("GET", "/api/v1/catalogue"));
  if (!ctx.g.json) {
    for (const auto& p : r.value("platforms", json::array()))
      std::cout << "platform   " << str(p, "id") << "  " << str(p, "name") << "\n";
    for (const auto& p : r.value("seal_makers", json::array()))
      std::cout << "seal_maker " << str(p, "id") << "  " << str(p, "name") << "\n";
    for (const auto& p : r.value("products", json::array())) {
      std::cout << "product    " << str(p, "id") << "  " << str(p, "name") << "  "
                << str(p, "ca_id") << "  " << fen(p, "price_fen") << "\n";
    }
  }
  say_if_empty(ctx, r.value("products", json::array()), "msg.empty_catalogue");
  return r;
}

struct OrderArgs {
  std::string product, platform, seal_maker, org, certificate, idempotency_key, link;
  int quantity = 0;
};

Result<json> cmd_order_create(Ctx& ctx, const OrderArgs& a) {
  CS_ASSIGN(auto* h, ctx.api());
  if (a.platform.empty() && a.certificate.empty() && a.link.empty())
    return usage("order create needs --platform (or --certificate, or --link)");
  json body = {{"product_id", a.product}};
  if (!a.platform.empty()) body["platform_id"] = a.platform;
  if (!a.certificate.empty()) body["certificate_id"] = a.certificate;
  if (!a.seal_maker.empty()) body["seal_maker_id"] = a.seal_maker;
  if (!a.org.empty()) body["org_id"] = a.org;
  if (a.quantity > 0) body["quantity"] = a.quantity;
  if (!a.link.empty()) body["application_link"] = a.link;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders", body));
  if (!ctx.g.json) print_order(r);
  return r;
}

Result<json> cmd_order_authorise(Ctx& ctx, const std::string& id, const std::string& given) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto code, sms_code(ctx, given, "authorise"));
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + id + "/authorisation", {{"code", code}}));
  if (!ctx.g.json) print_order(r);
  return r;
}

Result<json> cmd_order_list(Ctx& ctx, const std::string& tab) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r,
            h->call("GET", "/api/v1/orders?tab=" + (tab.empty() ? std::string("all") : tab)));
  if (!ctx.g.json) {
    for (const auto& o : r.value("items", json::array())) print_order(o);
  }
  say_if_empty(ctx, r.value("items", json::array()), "msg.empty_orders");
  return r;
}

Result<json> cmd_order_show(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("GET", "/api/v1/orders/" + id));
  if (!ctx.g.json) std::cout << r.dump(2) << "\n";
  return r;
}

Result<json> cmd_order_cancel(Ctx& ctx, const std::string& id) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + id + "/cancellation"));
  if (!ctx.g.json) print_order(r);
  return r;
}

// Follows the sandbox gateway's page and presses its "pay" button (the page's form).
Result<json> sandbox_complete(Ctx& ctx, Http& h, const std::string& pay_url,
                              const std::string& order, int wait_s) {
  std::string url = pay_url;
  auto page = h.raw("GET", url);
  if (!page || page->status != 200) {
    // The gateway may advertise a public URL this machine cannot reach; use the server we talk to.
    auto p = pay_url.find("/sandbox-pay/");
    if (p == std::string::npos)
      return page ? Result<json>(error_from_response(*page)) : Result<json>(page.error());
    url = h.base_url() + pay_url.substr(p);
    CS_ASSIGN(page, h.raw("GET", url));
    if (page->status != 200) return error_from_response(*page);
  }
  std::smatch m;
  std::string action;
  if (std::regex_search(page->body, m,
                        std::regex("<form[^>]*action=\"([^\"]+)\"", std::regex::icase)))
    action = m[1];
  if (action.empty()) return unavailable("bad_answer", "the sandbox page has no payment form");
  std::string target = action;
  if (action.rfind("http", 0) != 0) {
    auto scheme = url.find("://");
    auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    target = url.substr(0, slash) + action;
  }
  CS_ASSIGN(auto paid, h.raw("POST", target, "", "application/x-www-form-urlencoded"));
  if (paid.status / 100 != 2) return error_from_response(paid);
  // The gateway notifies the shop asynchronously: wait until the order moves on.
  json o;
  for (int i = 0; i < wait_s * 10; ++i) {
    CS_ASSIGN(o, h.call("GET", "/api/v1/orders/" + order));
    std::string st = str(o, "status");
    if (st != "awaiting_payment" && st != "created") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!ctx.g.json) std::cout << tr("msg.paid", str(o, "status")) << "\n";
  return o;
}

Result<json> cmd_pay_online(Ctx& ctx, const std::string& order, const std::string& gateway,
                            bool complete, int wait_s) {
  CS_ASSIGN(auto* h, ctx.api());
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + order + "/online-payments",
                            {{"gateway", gateway}}));
  std::string url = str(r, "pay_url");
  if (!ctx.g.json) std::cout << tr("msg.pay_url", url) << "\n";
  if (!complete) return r;
  if (gateway != "sandbox") return usage("--sandbox-complete works with the sandbox gateway only");
  CS_ASSIGN(auto o, sandbox_complete(ctx, *h, url, order, wait_s));
  r["order"] = o;
  return r;
}

Result<json> cmd_pay_transfer(Ctx& ctx, const std::string& order, const std::string& payer,
                              const std::string& account, long amount,
                              const std::string& reference) {
  CS_ASSIGN(auto* h, ctx.api());
  json body = {{"payer_name", payer}, {"payer_account", account}, {"amount_fen", amount}};
  if (!reference.empty()) body["reference"] = reference;
  CS_ASSIGN(auto r, h->call("POST", "/api/v1/orders/" + order + "/bank-transfers", body));
  if (!ctx.g.json) std::cout << str(r, "id") << "  " << str(r, "status") << "\n";
  return r;
}

// The options live here, as long as the parse and the action that read them.
struct OrderCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string code;
  OrderArgs oa;
  std::string order_id, tab;
  std::string gateway = "sandbox", payer_name, payer_account, reference;
  bool sandbox_done = false;
  int pay_wait = 10;
  long amount_fen = 0;

  OrderCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* order = sub(&app, "order", "orders (订单)");
    order->require_subcommand(1);
    sub(order, "catalogue", "platforms, seal makers and products")->callback([&] {
      action = [&] { return cmd_catalogue(ctx); };
    });
    CLI::App* ocreate2 = sub(order, "create", "place an order");
    ocreate2->add_option("--product", oa.product)->required();
    ocreate2->add_option("--platform", oa.platform, "trading platform (certificate products)");
    ocreate2->add_option("--certificate", oa.certificate,
                         "your certificate (renewal and mutual-recognition packages)");
    ocreate2->add_option("--seal-maker", oa.seal_maker);
    ocreate2->add_option("--org", oa.org, "organisation (organisation products)");
    ocreate2->add_option("--quantity", oa.quantity);
    ocreate2->add_option("--link", oa.link,
                         "a trading platform's application link (its QR code, read by `certseal scan`)");
    ocreate2->callback([&] { action = [&] { return cmd_order_create(ctx, oa); }; });
    CLI::App* oauth = sub(order, "authorise", "authorise an order with an SMS code");
    oauth->add_option("order_id", order_id)->required();
    oauth->add_option("--code", code,
                      "SMS code of purpose authorise (otherwise sent and asked for)");
    oauth->callback([&] { action = [&] { return cmd_order_authorise(ctx, order_id, code); }; });
    CLI::App* olist = sub(order, "list", "my orders");
    olist->add_option("--tab", tab, "all, awaiting_payment, in_review, done")
        ->check(CLI::IsMember({"all", "awaiting_payment", "in_review", "done"}));
    olist->callback([&] { action = [&] { return cmd_order_list(ctx, tab); }; });
    CLI::App* oshow2 = sub(order, "show", "one order with its events and payments");
    oshow2->add_option("order_id", order_id)->required();
    oshow2->callback([&] { action = [&] { return cmd_order_show(ctx, order_id); }; });
    CLI::App* ocancel = sub(order, "cancel", "cancel an unpaid order");
    ocancel->add_option("order_id", order_id)->required();
    ocancel->callback([&] { action = [&] { return cmd_order_cancel(ctx, order_id); }; });

    // pay
    CLI::App* pay = sub(&app, "pay", "pay an order");
    pay->require_subcommand(1);
    CLI::App* ponline = sub(pay, "online", "pay online through a gateway; prints the payment page");
    ponline->add_option("order_id", order_id)->required();
    ponline->add_option("--gateway", gateway, "payment gateway (default sandbox)");
    ponline->add_flag("--sandbox-complete", sandbox_done,
                      "open the sandbox page and press pay, as the payer would");
    ponline->add_option("--wait", pay_wait,
                        "seconds to wait for the payment notification (default 10)");
    ponline->callback([&] {
      action = [&] { return cmd_pay_online(ctx, order_id, gateway, sandbox_done, pay_wait); };
    });
    CLI::App* ptransfer = sub(pay, "transfer", "declare a corporate bank transfer (对公打款)");
    ptransfer->add_option("order_id", order_id)->required();
    ptransfer->add_option("--payer-name", payer_name)->required();
    ptransfer->add_option("--payer-account", payer_account)->required();
    ptransfer->add_option("--amount-fen", amount_fen)->required();
    ptransfer->add_option("--reference", reference);
    ptransfer->callback([&] {
      action = [&] {
        return cmd_pay_transfer(ctx, order_id, payer_name, payer_account, amount_fen, reference);
      };
    });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_order_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<OrderCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
