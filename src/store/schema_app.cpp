// Columns the mobile app's flows need in tables of other areas (docs/WEBAPP.md). Versions
// 1700-1799.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> app_migrations() {
  return {
      // 1700: the e-mail address the buyer gives with the invoice details (optional; the issued
      // PDF is sent there) and when it was sent (NULL: not asked for, or the sending failed —
      // the invoice is issued and downloadable either way).
      {1700, "invoice_email",
       R"sql(
ALTER TABLE invoices ADD COLUMN email TEXT;
ALTER TABLE invoices ADD COLUMN emailed_at TEXT;
)sql",
       ""},
  };
}

}  // namespace certseal::store
