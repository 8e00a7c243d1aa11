// Electronic invoices (电子发票) for paid orders (SPEC §9; docs/ORDERS.md).
//
// A buyer gives the invoice details of one of their orders, before or after paying, with a title: a company (name and
// tax number — an 18-character unified social credit code, checked) or a person (name). An
// operator issues it (the PDF is rendered then, with the invoice number, date, seller, buyer,
// tax number, items and amount) or records that issuing failed, with the reason; the buyer is
// told in-app and may ask again with a corrected title. One invoice per order. With the details
// the buyer may give an e-mail address: the issued PDF is sent there (through the EmailSender,
// after the issuing transaction committed; a failed sending leaves the invoice issued and
// downloadable, with no emailed_at).
// States: requested -> issued | failed; failed -> requested (asked again).
// Who may do what is checked here: an invoice, like its order, exists only for its buyer.
// Contract: thread-safe; state and PDFs live in the database.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "service/notify/email.h"
#include "store/db.h"

namespace certseal::service {

struct InvoiceSeller {
  std::string name = "CertSeal 平台运营方";
  std::string tax_number;
};

struct InvoiceTitle {
  std::string type;  // company | personal
  std::string name;
  std::string tax_number;  // company only
  std::string email;       // optional: where the issued PDF is sent
};

struct InvoiceView {
  std::string id, order_id, account_id, title_type, title_name, tax_number, status, invoice_number, failure_reason,
      requested_at, issued_at;
  std::int64_t amount_fen = 0, attempts = 0;
  std::string email, emailed_at;  // emailed_at: when the issued PDF was sent to email
};

class InvoiceService {
 public:
  InvoiceService(store::Database& db, const Clock& clock, Rng& rng, EmailSender& email, InvoiceSeller seller)
      : db_(db), clock_(clock), rng_(rng), email_(email), seller_(std::move(seller)) {}

  // Asks for the invoice of an order: before payment (from creation on, as both reference apps
  // do; the details may be corrected until payment) or after it. Giving them is optional; once
  // given they are recorded with the order and the invoice is issued only after payment.
  // Asking again after a failure re-requests it with the (possibly corrected) title. Paid and
  // requested, or issued already: conflict invoice_exists; an order closed unpaid: order_closed.
  // Errors (invalid_argument, fields named): invalid_title_type, invalid_tax_number, the name's
  // and the tax number's checks, and validate_email's for a given e-mail address.
  Result<InvoiceView> request(const std::string& account_id, const std::string& order_id, const InvoiceTitle& title);
  // tab: not_invoiced (requested, failed) | invoiced (issued) | requested | failed | all. Newest
  // first; limit + 1 rows. Another tab: invalid_tab.
  Result<std::vector<InvoiceView>> list(const std::string& account_id, const std::string& tab,
                                        const std::string& after, int limit);
  Result<InvoiceView> get(const std::string& account_id, const std::string& invoice_id);
  Result<Bytes> pdf(const std::string& account_id, const std::string& invoice_id);

  // Operators.
  Result<std::vector<InvoiceView>> list_any(const std::string& status, const std::string& after, int limit);
  // Issues a requested invoice of a paid order (its own transaction), then sends the PDF to the
  // buyer's e-mail address if one was given (emailed_at set when the sender accepted it).
  Result<InvoiceView> issue(const std::string& operator_id, const std::string& invoice_id);
  Result<InvoiceView> fail(const std::string& operator_id, const std::string& invoice_id, const std::string& reason);

 private:
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  EmailSender& email_;
  InvoiceSeller seller_;
};

}  // namespace certseal::service
