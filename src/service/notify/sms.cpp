#include "service/notify/sms.h"

#include <curl/curl.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/id.h"
#include "store/page_query.h"

namespace certseal::service {
namespace {

Status record(store::Database& db, const Clock& clock, Rng& rng, const SmsMessage& msg,
              const std::string& text, const std::string& sender, const std::string& delivery) {
  return db.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO sms_outbox (id, phone, template, body, created_at, sender, delivery) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   {new_uuid_v7(clock, rng), msg.phone, msg.template_id, text,
                    format_rfc3339(clock.now()), sender, delivery}));
    return {};
  });
}

std::string json_escape(const std::string& s) {
  std::string dumped = nlohmann::json(s).dump();
  return dumped.substr(1, dumped.size() - 2);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

Status OutboxSmsSender::send(const SmsMessage& msg) {
  return record(db_, clock_, rng_, msg, msg.text, "outbox", "stored");
}

HttpSmsSender::HttpSmsSender(HttpSmsOptions opts, store::Database& db, const Clock& clock, Rng& rng)
    : opts_(std::move(opts)), db_(db), clock_(clock), rng_(rng) {
  if (opts_.body_template.empty()) {
    opts_.body_template = R"({"phone":"{phone}","template":"{template}","text":"{text}"})";
  }
}

std::string HttpSmsSender::render_body(const SmsMessage& msg) const {
  std::string body = opts_.body_template;
  replace_all(body, "{phone}", json_escape(msg.phone));
  replace_all(body, "{template}", json_escape(msg.template_id));
  replace_all(body, "{text}", json_escape(msg.text));
  for (const auto& [k, v] : msg.params) replace_all(body, "{param." + k + "}", json_escape(v));
  return body;
}

Status HttpSmsSender::send(const SmsMessage& msg) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return internal_error("curl_easy_init failed");
  std::string body = render_body(msg);
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, "Content-Type: application/json"));
  curl_easy_setopt(c.get(), CURLOPT_URL, opts_.url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, opts_.timeout_ms);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
  if (!opts_.username.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, opts_.username.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, opts_.password.c_str());
  }
  CURLcode rc = curl_easy_perform(c.get());
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  bool ok = rc == CURLE_OK && status >= 200 && status < 300;
  std::string delivery = ok ? "http " + std::to_string(status)
                            : "failed: " + (rc != CURLE_OK ? std::string(curl_easy_strerror(rc))
                                                           : "http " + std::to_string(status));
  // The gateway has the text; our record keeps only that it was sent (codes stay off disk).
  CS_TRY(record(db_, clock_, rng_, msg, "(sent through the SMS gateway)", "http", delivery));
  if (!ok) {
    return unavailable("sms_gateway_failed", "the SMS could not be sent, try again later",
                       "sms gateway " + opts_.url + ": " + delivery);
  }
  return {};
}

std::string mask_sms_code(std::string_view template_id, std::string text) {
  if (template_id.substr(0, 9) != "sms_code_") return text;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j - i >= 4) std::fill(text.begin() + static_cast<std::ptrdiff_t>(i), text.begin() + static_cast<std::ptrdiff_t>(j), '*');
    i = j;
  }
  return text;
}

Result<std::vector<SmsOutboxEntry>> list_sms_outbox(store::Database& db, const std::string& phone,
                                                    const std::string& after, int limit, bool reveal_codes) {
  return db.read_value<std::vector<SmsOutboxEntry>>(
      [&](store::Tx& tx) -> Result<std::vector<SmsOutboxEntry>> {
        CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT * FROM sms_outbox", {{"phone", phone}}, "", "id",
                                                    after, /*descending=*/true, limit}));
        std::vector<SmsOutboxEntry> out;
        for (auto& r : rows) {
          std::string text = reveal_codes ? r.text("body") : mask_sms_code(r.text("template"), r.text("body"));
          out.push_back({r.text("id"), r.text("phone"), r.text("template"), std::move(text),
                         r.text("created_at"), r.text("sender"), r.text("delivery")});
        }
        return out;
      });
}

}  // namespace certseal::service
