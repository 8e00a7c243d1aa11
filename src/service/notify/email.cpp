#include "service/notify/email.h"

#include "store/page_query.h"

#include <regex>

#include "base/id.h"

namespace certseal::service {

Status OutboxEmailSender::send(const EmailMessage& msg) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO email_outbox (id, to_addr, subject, body, attachment_name, attachment_type, "
                   "attachment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {new_uuid_v7(clock_, rng_), msg.to, msg.subject, msg.text, msg.attachment_name,
                    msg.attachment_type, msg.attachment, format_rfc3339(clock_.now())}));
    return {};
  });
}

Status validate_email(const std::string& address, const std::string& field) {
  static const std::regex kEmail(R"([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})");
  if (address.size() > 254 || !std::regex_match(address, kEmail)) {
    return invalid_argument("invalid_email", "an e-mail address").with_field(field, "invalid", "an e-mail address");
  }
  return {};
}

Result<std::vector<EmailOutboxEntry>> list_email_outbox(store::Database& db, const std::string& to,
                                                        const std::string& after, int limit) {
  return db.read_value<std::vector<EmailOutboxEntry>>([&](store::Tx& tx) -> Result<std::vector<EmailOutboxEntry>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT id, to_addr, subject, body, attachment_name, attachment_type, "
                                                "created_at, LENGTH(attachment) AS attachment_size FROM email_outbox",
                                                {{"to_addr", to}}, "", "id", after, /*descending=*/true, limit + 1}));
    std::vector<EmailOutboxEntry> out;
    for (auto& r : rows) {
      out.push_back({r.text("id"), r.text("to_addr"), r.text("subject"), r.text("body"), r.text("attachment_name"),
                     r.text("attachment_type"), r.text("created_at"), r.integer("attachment_size")});
    }
    return out;
  });
}

Result<Bytes> email_attachment(store::Database& db, const std::string& id) {
  return db.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto r, tx.query_one("SELECT attachment_name, attachment FROM email_outbox WHERE id = ?", {id}));
    if (!r || r->text("attachment_name").empty()) return not_found("attachment_not_found", "no such attachment");
    return r->blob("attachment");
  });
}

}  // namespace certseal::service
