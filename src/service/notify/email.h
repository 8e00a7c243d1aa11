// Sending e-mail. An EmailSender delivers one message; which one runs is configuration. The
// default (and, for now, only) one is OutboxEmailSender: it stores every message, attachment
// included, in the email_outbox table, where operators (and tests) read it; nothing leaves the
// machine. A real sender (SMTP, a mail API) is a new class implementing EmailSender.
// Contract: send() is thread-safe and runs in its own transaction (call it after the caller's
// transaction committed).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

struct EmailMessage {
  std::string to;
  std::string subject;
  std::string text;
  std::string attachment_name;  // empty: no attachment
  std::string attachment_type;  // e.g. application/pdf
  Bytes attachment;
};

class EmailSender {
 public:
  virtual ~EmailSender() = default;
  virtual Status send(const EmailMessage& msg) = 0;
};

class OutboxEmailSender final : public EmailSender {
 public:
  OutboxEmailSender(store::Database& db, const Clock& clock, Rng& rng) : db_(db), clock_(clock), rng_(rng) {}
  Status send(const EmailMessage& msg) override;

 private:
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
};

// A plausible address (local@domain.tld, at most 254 bytes); invalid_argument otherwise.
Status validate_email(const std::string& address, const std::string& field = "email");

struct EmailOutboxEntry {
  std::string id, to, subject, text, attachment_name, attachment_type, created_at;
  std::int64_t attachment_size = 0;
};
// Newest first; `after` is the id of the last entry of the previous page; limit + 1 rows.
Result<std::vector<EmailOutboxEntry>> list_email_outbox(store::Database& db, const std::string& to,
                                                        const std::string& after, int limit);
// The attachment of one stored message (not_found when there is none).
Result<Bytes> email_attachment(store::Database& db, const std::string& id);

}  // namespace certseal::service
