// Application links of trading platforms (service/scene/application_links.h): the printed QR
// codes that start a certificate application for a platform. Versions 1800-1899.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> applink_migrations() {
  return {
      // 1800: a link belongs to a relying-party application (and so to its platform); the token is
      // printed, so it is kept as it is. product_ids: space-separated ids ("" = every certificate
      // product on sale). Orders placed through a link are counted in application_link_orders,
      // written in the order's own transaction.
      {1800, "application_links",
       R"sql(
CREATE TABLE application_links (
  id TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL REFERENCES rp_apps(id),
  platform_id TEXT NOT NULL REFERENCES trading_platforms(id),
  label TEXT NOT NULL,
  product_ids TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  disabled_at TEXT
);
CREATE INDEX application_links_by_app ON application_links (app_id, id);
CREATE TABLE application_link_orders (
  order_id TEXT PRIMARY KEY REFERENCES orders(id),
  link_id TEXT NOT NULL REFERENCES application_links(id),
  created_at TEXT NOT NULL
);
CREATE INDEX application_link_orders_by_link ON application_link_orders (link_id);
)sql",
       ""},
  };
}

}  // namespace certseal::store
