// Sending e-mail. An EmailSender delivers one message; which one runs is configuration
// (email.sender). OutboxEmailSender (the default) stores every message, attachment included, in
// the email_outbox table, where operators (and tests) read it; nothing leaves the machine.
// SmtpEmailSender delivers through an SMTP server with libcurl: smtps:// (TLS from the start) or
// smtp:// (STARTTLS required unless switched off, e.g. for a relay on localhost), optional
// AUTH with a user and password, the message as MIME (RFC 2045-2047: UTF-8 text, base64
// attachment, encoded subject). Another mail API is a new class implementing EmailSender.
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

struct SmtpOptions {
  std::string url;        // smtp://host:port or smtps://host:port
  std::string from;       // sender address
  std::string username;   // empty: no AUTH
  std::string password;
  bool require_starttls = true;  // smtp:// only: refuse to send unless the server upgrades to TLS
  long timeout_ms = 30000;
};

// The RFC 5322 message sent for `msg` (CRLF line ends; base64 lines of 76 characters).
// `date` is an RFC 5322 date, `boundary` separates the MIME parts (must not occur in the data,
// which base64 guarantees for any boundary containing '=' or '_').
std::string build_mime_message(const EmailMessage& msg, const std::string& from, const std::string& date,
                               const std::string& message_id, const std::string& boundary);

class SmtpEmailSender final : public EmailSender {
 public:
  SmtpEmailSender(SmtpOptions opts, const Clock& clock, Rng& rng)
      : opts_(std::move(opts)), clock_(clock), rng_(rng) {}
  // unavailable (email_send_failed) when the server cannot be reached or refuses the message;
  // the cause (curl's error, the server's reply) goes to the log only.
  Status send(const EmailMessage& msg) override;

 private:
  SmtpOptions opts_;
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
