// The demo catalogue (serve --demo): what the README's first walk buys. Created when missing,
// never changed afterwards (an operator may edit or deactivate it like any other entry).
#include <algorithm>

#include "app/platform.h"

namespace certseal::app {
namespace {

struct DemoProduct {
  const char* id;
  const char* kind;
  const char* name;
  const char* cert_type;
  const char* algorithm;  // sm2 products go to the SM2 CA, ec-p256 ones to the international CA
  std::int64_t price_fen;
  const char* seal_type;
  const char* platform_id;  // mutual_recognition only
  std::int64_t period_months;
};

constexpr const char* kPlatform = "demo-platform";
constexpr const char* kPartnerPlatform = "demo-platform-partner";

constexpr DemoProduct kProducts[] = {
    {"demo-personal-sm2", "certificate", "个人证书 SM2 一年", "personal", "sm2", 12000, "handwritten", "", 0},
    {"demo-personal-p256", "certificate", "个人证书 P-256 一年", "personal", "ec-p256", 12000, "handwritten", "", 0},
    {"demo-org-sm2", "certificate", "单位证书 SM2 一年", "organisation", "sm2", 50000, "official", "", 0},
    {"demo-org-p256", "certificate", "单位证书 P-256 一年", "organisation", "ec-p256", 50000, "official", "", 0},
    {"demo-mutual-recognition", "mutual_recognition", "互认共享 示例互认平台 十二个月", "personal", "sm2", 5000,
     "handwritten", kPartnerPlatform, 12},
    {"demo-renewal", "renewal", "证书续期 一年", "personal", "sm2", 10000, "handwritten", "", 0},
};

// The CA for an algorithm: the one with the conventional id ("sm2", "intl") if configured with
// that algorithm, else the first configured CA of that algorithm; "" when there is none.
std::string ca_for(const Config& c, std::string_view algorithm) {
  std::string_view preferred = algorithm == "sm2" ? "sm2" : "intl";
  for (const auto& ca : c.pki.cas) {
    if (ca.id == preferred && ca.algorithm == algorithm) return ca.id;
  }
  for (const auto& ca : c.pki.cas) {
    if (ca.algorithm == algorithm) return ca.id;
  }
  return "";
}

}  // namespace

Status seed_demo_catalogue(Platform& p) {
  service::OrderService& orders = *p.orders;
  int created = 0;
  CS_ASSIGN(auto platforms, orders.platforms());
  for (const auto& entry : {std::pair{kPlatform, "示例交易平台"}, std::pair{kPartnerPlatform, "示例互认平台"}}) {
    const std::string id = entry.first, name = entry.second;  // named, not bound: lambdas use them (clang 14)
    bool have = std::any_of(platforms.begin(), platforms.end(),
                            [&](const auto& x) { return x.id == id || x.name == name; });
    if (have) continue;
    CS_TRY(orders.add_platform(name, id));
    ++created;
  }
  CS_ASSIGN(auto makers, orders.seal_makers());
  for (const auto& entry :
       {std::pair{"demo-seal-maker-1", "示例制章单位一"}, std::pair{"demo-seal-maker-2", "示例制章单位二"}}) {
    const std::string id = entry.first, name = entry.second;
    bool have = std::any_of(makers.begin(), makers.end(), [&](const auto& x) { return x.id == id || x.name == name; });
    if (have) continue;
    CS_TRY(orders.add_seal_maker(name, id));
    ++created;
  }
  // The partner platform's id, in case an operator had created one of that name before.
  CS_ASSIGN(platforms, orders.platforms());
  std::string partner = kPartnerPlatform;
  for (const auto& x : platforms) {
    if (x.name == "示例互认平台") partner = x.id;
  }
  CS_ASSIGN(auto products, orders.products(/*include_inactive=*/true));
  for (const auto& d : kProducts) {
    bool have = std::any_of(products.begin(), products.end(), [&](const auto& x) { return x.id == d.id; });
    if (have) continue;
    std::string ca = ca_for(p.config, d.algorithm);
    if (ca.empty()) {
      p.log->warn("demo product skipped: no CA for its algorithm", {{"product", d.id}, {"algorithm", d.algorithm}});
      continue;
    }
    service::ProductInput in;
    in.kind = d.kind;
    in.name = d.name;
    in.cert_type = d.cert_type;
    in.algorithm = d.algorithm;
    in.validity_years = 1;
    in.price_fen = d.price_fen;
    in.ca_id = ca;
    in.seal_type = d.seal_type;
    if (*d.platform_id) in.platform_id = partner;
    in.period_months = d.period_months;
    CS_TRY(orders.add_product(in, d.id));
    ++created;
  }
  p.log->info("demo catalogue ready", {{"created", created}});
  return {};
}

}  // namespace certseal::app
