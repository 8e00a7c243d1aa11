// CertSeal's schema: the migrations of every area, merged in version order.
//
// Each business area keeps its migrations in its own file (schema_<area>.cpp) within its own
// range of version numbers, so areas evolve independently:
//   1-99 platform   100-199 accounts/identity/organisations   200-299 PKI
//   300-399 catalogue/orders/payments/invoices   400-499 mobile shield
//   500-599 relying parties and QR scenes   600-699 transparency log   700-799 seals
//   800-899 grants   900-999 signed documents   1000-1099 the phone as a PC key (PKCS#11)   1400-1499 admin-transfer letters   1100+ later areas
// A released migration is never edited: add a new one.
#include <algorithm>

#include "store/migrate.h"
#include "store/schema_areas.h"

namespace certseal::store {

std::span<const Migration> schema_migrations() {
  static const std::vector<Migration> kAll = [] {
    std::vector<Migration> all;
    for (auto area : {platform_migrations, account_migrations, pki_migrations, order_migrations, shield_migrations,
                      scene_migrations, ledger_migrations, seal_migrations, grant_migrations, docsign_migrations,
                      pc_migrations,
                      cloudkey_migrations,
                      webauthn_migrations,
                      console_migrations,
                      applink_migrations,
                      app_migrations,
                      letter_migrations,
                      client_migrations,
                      formsign_migrations}) {
      auto part = area();
      all.insert(all.end(), part.begin(), part.end());
    }
    std::sort(all.begin(), all.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    return all;
  }();
  return kAll;
}

}  // namespace certseal::store
