// Catalogue, orders, payments, in-app notifications. Versions 300-399.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> order_migrations() {
  return {
      {300, "catalogue_orders_payments",
       R"sql(
CREATE TABLE trading_platforms (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE seal_makers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE products (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  cert_type TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  validity_years BIGINT NOT NULL,
  price_fen BIGINT NOT NULL,
  ca_id TEXT NOT NULL,
  seal_type TEXT NOT NULL,
  platform_id TEXT REFERENCES trading_platforms(id),
  period_months BIGINT NOT NULL DEFAULT 0,
  active BIGINT NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
);
CREATE TABLE orders (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  product_id TEXT NOT NULL REFERENCES products(id),
  kind TEXT NOT NULL,
  cert_type TEXT NOT NULL,
  org_id TEXT,
  applicant_role TEXT NOT NULL,
  platform_id TEXT NOT NULL REFERENCES trading_platforms(id),
  seal_maker_id TEXT REFERENCES seal_makers(id),
  quantity BIGINT NOT NULL,
  amount_fen BIGINT NOT NULL,
  status TEXT NOT NULL,
  idempotency_key TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  authorised_at TEXT,
  paid_at TEXT,
  UNIQUE (account_id, idempotency_key)
);
CREATE INDEX orders_by_account ON orders (account_id, id);
CREATE INDEX orders_by_status ON orders (status, expires_at);
CREATE TABLE order_events (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  seq BIGINT NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE UNIQUE INDEX order_events_by_order ON order_events (order_id, seq);
CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL REFERENCES orders(id),
  method TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  status TEXT NOT NULL,
  trade_no TEXT,
  payer_name TEXT,
  payer_account TEXT,
  transfer_reference TEXT,
  confirmed_by TEXT,
  created_at TEXT NOT NULL,
  paid_at TEXT,
  refund_no TEXT,
  refunded_at TEXT
);
CREATE INDEX payments_by_order ON payments (order_id);
CREATE UNIQUE INDEX payments_by_trade_no ON payments (method, trade_no);
CREATE TABLE sandbox_gateway_notifications (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL UNIQUE,
  notify_url TEXT NOT NULL,
  body TEXT NOT NULL,
  signature TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  delivered_at TEXT
);
CREATE TABLE sandbox_gateway_refunds (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL UNIQUE,
  trade_no TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  ref_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX notifications_by_account ON notifications (account_id, id);
CREATE TABLE invoices (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
  account_id TEXT NOT NULL REFERENCES accounts(id),
  title_type TEXT NOT NULL,
  title_name TEXT NOT NULL,
  tax_number TEXT,
  amount_fen BIGINT NOT NULL,
  status TEXT NOT NULL,
  invoice_number TEXT UNIQUE,
  failure_reason TEXT,
  pdf BLOB,
  attempts BIGINT NOT NULL DEFAULT 1,
  requested_at TEXT NOT NULL,
  issued_at TEXT
);
CREATE INDEX invoices_by_account ON invoices (account_id, id);
CREATE TABLE email_outbox (
  id TEXT PRIMARY KEY,
  to_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  attachment_name TEXT NOT NULL,
  attachment_type TEXT NOT NULL,
  attachment BLOB,
  created_at TEXT NOT NULL
);
CREATE INDEX email_outbox_by_to ON email_outbox (to_addr, id);
CREATE TABLE application_forms (
  order_id TEXT PRIMARY KEY REFERENCES orders(id),
  method TEXT NOT NULL,
  email TEXT,
  status TEXT NOT NULL,
  signed_blob_id TEXT,
  signature_blob_id TEXT,
  pdf BLOB NOT NULL,
  created_at TEXT NOT NULL,
  signed_at TEXT
);
)sql",
       ""},
      // 301: packages linked to a certificate (mutual recognition, renewal) name it on the order;
      // certificate_platforms holds the platforms a mutual-recognition package enabled
      // (enabled_until in unix seconds; cancelled_at set when the holder cancels); payments
      // record who refunded and why.
      {301, "order_certificates_platforms_refund_records",
       R"sql(
ALTER TABLE orders ADD COLUMN certificate_id TEXT;
ALTER TABLE payments ADD COLUMN refunded_by TEXT;
ALTER TABLE payments ADD COLUMN refund_reason TEXT;
CREATE INDEX payments_by_status ON payments (status, id);
CREATE TABLE certificate_platforms (
  certificate_id TEXT NOT NULL,
  platform_id TEXT NOT NULL REFERENCES trading_platforms(id),
  order_id TEXT NOT NULL REFERENCES orders(id),
  enabled_until BIGINT NOT NULL,
  cancelled_at TEXT,
  PRIMARY KEY (certificate_id, platform_id)
);
)sql",
       ""},
      // 310: an employee's application for an organisation certificate waits for an admin of the
      // organisation (docs/ORDERS.md, "Employees apply, admins approve").
      {310, "order_org_approval",
       R"sql(
ALTER TABLE orders ADD COLUMN org_approved_by TEXT;
ALTER TABLE orders ADD COLUMN org_approved_at TEXT;
CREATE INDEX orders_by_org ON orders (org_id, id);
)sql",
       ""},
      // The operator dashboard counts today's orders (order_counts.cpp) without a full scan.
      {311, "orders_by_created_at",
       R"sql(
CREATE INDEX orders_by_created_at ON orders (created_at);
)sql",
       ""},
  };
}

}  // namespace certseal::store
