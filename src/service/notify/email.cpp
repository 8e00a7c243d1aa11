#include "service/notify/email.h"

#include <curl/curl.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <regex>

#include "base/encoding.h"
#include "base/id.h"
#include "store/page_query.h"

namespace certseal::service {
namespace {

// base64 of `data` in lines of at most 76 characters, each ended by CRLF (RFC 2045 §6.8).
std::string base64_lines(BytesView data) {
  std::string b64 = base64_encode(data);
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

// An RFC 2047 encoded word when the text is not plain printable ASCII.
std::string header_text(const std::string& text) {
  bool plain = true;
  for (unsigned char ch : text) plain = plain && ch >= 0x20 && ch < 0x7f;
  if (plain) return text;
  return "=?UTF-8?B?" + base64_encode(as_bytes(text)) + "?=";
}

// Header values never carry line breaks (no header injection through an address or a name).
std::string one_line(std::string s) {
  std::erase_if(s, [](char ch) { return ch == '\r' || ch == '\n'; });
  return s;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct Upload {
  const std::string* data;
  std::size_t pos = 0;
};
std::size_t read_upload(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  std::size_t len = std::min(size * n, u->data->size() - u->pos);
  std::memcpy(buf, u->data->data() + u->pos, len);
  u->pos += len;
  return len;
}

}  // namespace

std::string build_mime_message(const EmailMessage& msg, const std::string& from, const std::string& date,
                               const std::string& message_id, const std::string& boundary) {
  std::string m;
  m += "From: " + one_line(from) + "\r\n";
  m += "To: " + one_line(msg.to) + "\r\n";
  m += "Subject: " + header_text(one_line(msg.subject)) + "\r\n";
  m += "Date: " + date + "\r\n";
  m += "Message-ID: <" + message_id + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  const std::string text_part = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                                base64_lines(as_bytes(msg.text));
  if (msg.attachment_name.empty()) return m + text_part;
  m += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  m += "--" + boundary + "\r\n" + text_part;
  const std::string name = header_text(one_line(msg.attachment_name));
  m += "--" + boundary + "\r\n";
  m += "Content-Type: " + one_line(msg.attachment_type.empty() ? "application/octet-stream" : msg.attachment_type) +
       "; name=\"" + name + "\"\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "Content-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n";
  m += base64_lines(msg.attachment);
  m += "--" + boundary + "--\r\n";
  return m;
}

Status SmtpEmailSender::send(const EmailMessage& msg) {
  CS_TRY(validate_email(msg.to, "to"));
  const std::time_t now = static_cast<std::time_t>(clock_.now_unix());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  const std::string id = new_uuid_v7(clock_, rng_);
  const std::string domain = opts_.from.substr(opts_.from.find('@') + 1);
  const std::string data = build_mime_message(msg, opts_.from, date, id + "@" + domain, "=_certseal_" + id);

  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return internal_error("curl_easy_init failed");
  std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, ("<" + msg.to + ">").c_str()));
  const std::string mail_from = "<" + opts_.from + ">";
  Upload up{&data};
  curl_easy_setopt(c.get(), CURLOPT_URL, opts_.url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &up);
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, opts_.timeout_ms);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  if (opts_.url.rfind("smtp://", 0) == 0 && opts_.require_starttls) {
    curl_easy_setopt(c.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!opts_.username.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, opts_.username.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, opts_.password.c_str());
  }
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &reply);
    return unavailable("email_send_failed", "the e-mail could not be sent, try again later",
                       "smtp " + opts_.url + ": " + curl_easy_strerror(rc) + " (last reply " +
                           std::to_string(reply) + ")");
  }
  return {};
}

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
