// Application links (SPEC §8, last paragraph): a trading platform prints a QR code that starts a
// certificate and seal application for that platform (docs/INTEGRATION.md "Application links").
//
// A relying-party application creates a link (signed request, like its scene requests): a label
// ("投标人证书办理" on the platform's help page) and optionally the products it offers (empty:
// every certificate product on sale). The link's QR code carries <public_url>/a/<token>. Unlike a
// scene token, the token is printed and reused by many people, so it is not a secret and is kept
// as it is; what it grants is only a preselected platform and product list. Whoever scans it
// (the user's client, `GET /api/v1/application-links/{token}`) sees the platform, the relying
// party's name and the products; an order placed with the link (`application_link` in
// POST /api/v1/orders) is for the link's platform and one of its products, and is counted for
// the link in the order's own transaction, so the relying party sees how many applications and
// completed orders its QR code brought. Disabling a link is final: the token then resolves to
// nothing and orders naming it are refused.
//
// The order service calls admit()/record() through its OrderOrigin seam (service/order): this
// class implements it.
//
// Thread-safe; state is in the database. Each public method opens its own transaction.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "service/order/order_service.h"
#include "service/scene/rp_apps.h"
#include "store/db.h"

namespace certseal::service {

struct ApplicationLinkInput {
  std::string label;                     // 1-64 characters, shown to whoever scans
  std::vector<std::string> product_ids;  // certificate products on sale; empty: all of them
};

struct ApplicationLinkView {
  std::string id, app_id, platform_id, label, status, url, created_at, disabled_at;
  std::vector<std::string> product_ids;
  std::int64_t orders = 0;       // orders placed through the link
  std::int64_t orders_done = 0;  // of which done (certificate issued)
  nlohmann::json to_json() const;
};

struct ApplicationLinkCreated {
  ApplicationLinkView link;
  Bytes qr_png;  // the QR code of link.url
};

// What the user's client shows after scanning (public: the token is printed).
struct ApplicationLinkPublic {
  std::string token, label, platform_id, platform_name, app_name;
  std::vector<ProductView> products;  // on sale now, in the link's list
  nlohmann::json to_json() const;
};

class ApplicationLinkService final : public OrderOrigin {
 public:
  // public_url: the base of <public_url>/a/<token>.
  // orders: the catalogue shown by resolve(). The caller also passes this object to
  // orders.set_origin().
  ApplicationLinkService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, OrderService& orders,
                         std::string public_url);

  // Errors: invalid_field (label; product_ids: each a certificate product on sale, at most 20).
  Result<ApplicationLinkCreated> create(const RpAppView& app, const ApplicationLinkInput& in);
  // The app's links, newest first, with their counts.
  Result<std::vector<ApplicationLinkView>> list(const RpAppView& app);
  // Errors: application_link_not_found (404; also another app's link).
  Result<ApplicationLinkView> get(const RpAppView& app, const std::string& id);
  // Idempotent. Errors: application_link_not_found.
  Result<ApplicationLinkView> disable(const RpAppView& app, const std::string& id);
  // Errors: application_link_not_found (unknown, disabled, or its app disabled).
  Result<ApplicationLinkPublic> resolve(const std::string& token);

  // OrderOrigin.
  Result<std::string> admit(store::Tx& tx, const std::string& token, const ProductView& product,
                            const std::string& platform_id) override;
  Status record(store::Tx& tx, const std::string& token, const std::string& order_id) override;

 private:
  Result<ApplicationLinkView> load(store::Tx& tx, const std::string& id);
  std::string url_of(const std::string& token) const;

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  OrderService& orders_;
  std::string public_url_;
};

}  // namespace certseal::service
