// Sending SMS. A SmsSender delivers one message; which one runs is configuration:
// - OutboxSmsSender (the default): stores every message in the sms_outbox table, where operators
//   (and tests) read it. Nothing leaves the machine.
// - HttpSmsSender: POSTs to a real gateway (URL, credentials and a body template from config) and
//   records in the outbox that it did so, without the message text.
// Contract: send() is thread-safe; it runs in its own transaction (call it after the caller's
// transaction committed, so a rolled-back request never sends).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

struct SmsMessage {
  std::string phone;
  std::string template_id;                    // e.g. "sms_code_login"
  std::map<std::string, std::string> params;  // e.g. {"code": "123456"}
  std::string text;                           // the rendered text
};

class SmsSender {
 public:
  virtual ~SmsSender() = default;
  virtual Status send(const SmsMessage& msg) = 0;
};

class OutboxSmsSender final : public SmsSender {
 public:
  OutboxSmsSender(store::Database& db, const Clock& clock, Rng& rng)
      : db_(db), clock_(clock), rng_(rng) {}
  Status send(const SmsMessage& msg) override;

 private:
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
};

struct HttpSmsOptions {
  std::string url;            // gateway endpoint, http(s)
  std::string username;       // HTTP basic auth, optional
  std::string password;
  // JSON body with {phone}, {template}, {text} and {param.NAME} placeholders (values are
  // JSON-escaped). Default: {"phone":"{phone}","template":"{template}","text":"{text}"}
  std::string body_template;
  long timeout_ms = 5000;
};

class HttpSmsSender final : public SmsSender {
 public:
  HttpSmsSender(HttpSmsOptions opts, store::Database& db, const Clock& clock, Rng& rng);
  Status send(const SmsMessage& msg) override;
  // The request body for msg (exposed for tests).
  std::string render_body(const SmsMessage& msg) const;

 private:
  HttpSmsOptions opts_;
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
};

struct SmsOutboxEntry {
  std::string id, phone, template_id, text, created_at, sender, delivery;
};
// Newest first; `after` is the id of the last entry of the previous page. With reveal_codes false
// (operators over HTTP: security review M5) the digits of SMS codes (templates sms_code_*) are
// replaced by '*'; only `certseald admin sms-outbox`, run on the server machine by someone who can
// read the database anyway, passes true.
Result<std::vector<SmsOutboxEntry>> list_sms_outbox(store::Database& db, const std::string& phone,
                                                    const std::string& after, int limit, bool reveal_codes);
// The text with every run of 4 or more ASCII digits replaced by as many '*' when the template is
// an SMS code (sms_code_*); other texts unchanged.
std::string mask_sms_code(std::string_view template_id, std::string text);

}  // namespace certseal::service
