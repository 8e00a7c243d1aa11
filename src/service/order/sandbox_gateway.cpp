#include "service/order/sandbox_gateway.h"

#include <curl/curl.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/id.h"

namespace certseal::service {
namespace {

std::string header_value(const net::Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return v;
    }
  }
  return {};
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

// POSTs body to url; true on a 2xx answer.
bool post(const std::string& url, const std::string& body, const std::string& signature) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return false;
  std::string sig_header = std::string(kSandboxSignatureHeader) + ": " + signature;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, sig_header.c_str());
  std::unique_ptr<curl_slist, SlistDeleter> headers(list);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
  CURLcode rc = curl_easy_perform(c.get());
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  return rc == CURLE_OK && status >= 200 && status < 300;
}

}  // namespace

Result<std::unique_ptr<SandboxGateway>> SandboxGateway::open(store::Database& db, const Clock& clock, Rng& rng,
                                                             Logger& log, const std::string& key_file,
                                                             const std::string& base_url) {
  std::error_code ec;
  if (std::filesystem::exists(key_file, ec)) {
    std::ifstream in(key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    CS_ASSIGN(auto key, crypto::PrivateKey::from_pem(ss.str()));
    return std::unique_ptr<SandboxGateway>(new SandboxGateway(db, clock, rng, log, std::move(key), base_url));
  }
  CS_ASSIGN(auto key, crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng));
  {
    auto pem = key.pem();
    std::string tmp = key_file + ".tmp";
    std::ofstream out(tmp, std::ios::trunc);
    out.write(pem.data(), static_cast<std::streamsize>(pem.size()));
    out.close();
    if (!out) return internal_error("cannot write the sandbox gateway key " + tmp);
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    std::filesystem::rename(tmp, key_file, ec);
    if (ec) return internal_error("cannot store the sandbox gateway key: " + ec.message());
  }
  return std::unique_ptr<SandboxGateway>(new SandboxGateway(db, clock, rng, log, std::move(key), base_url));
}

Result<std::string> SandboxGateway::sign(std::string_view body) const {
  CS_ASSIGN(auto sig, crypto::sign(key_, crypto::SignScheme::kEcdsaSha256, as_bytes(body)));
  return base64_encode(sig);
}

Result<PaymentStart> SandboxGateway::start(const PaymentStartRequest& req) {
  return PaymentStart{base_url_ + "/sandbox-pay/" + req.payment_id};
}

Result<PaymentNotice> SandboxGateway::verify_notification(std::string_view body, const net::Headers& headers) {
  std::string sig_b64 = header_value(headers, kSandboxSignatureHeader);
  auto sig = base64_decode(sig_b64);
  if (sig_b64.empty() || !sig) {
    return invalid_argument("signature_invalid", "the notification is not signed by the gateway");
  }
  auto ok = crypto::verify(key_.public_key(), crypto::SignScheme::kEcdsaSha256, as_bytes(body), *sig);
  if (!ok) return invalid_argument("signature_invalid", "the notification is not signed by the gateway");
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("payment_id") || !j["payment_id"].is_string() || !j.contains("order_id") ||
      !j["order_id"].is_string() || !j.contains("amount_fen") || !j["amount_fen"].is_number_integer() ||
      !j.contains("trade_no") || !j["trade_no"].is_string() || !j.contains("status") || !j["status"].is_string()) {
    return invalid_argument("notification_malformed", "the notification lacks required fields");
  }
  return PaymentNotice{j["payment_id"], j["order_id"], j["amount_fen"].get<std::int64_t>(), j["trade_no"],
                       j["status"] == "success"};
}

Result<std::string> SandboxGateway::refund(const std::string& payment_id, const std::string& trade_no,
                                           std::int64_t amount_fen) {
  return db_.write_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto n, tx.query_one("SELECT body FROM sandbox_gateway_notifications WHERE payment_id = ?", {payment_id}));
    auto paid = n ? nlohmann::json::parse(n->text("body"), nullptr, false) : nlohmann::json();
    // Only what the gateway itself collected can go back; other trade numbers are not its own.
    if (!paid.is_object() || paid.value("trade_no", "") != trade_no || paid.value("amount_fen", -1) != amount_fen) {
      return not_found("trade_not_found", "the gateway has no such payment to refund");
    }
    CS_ASSIGN(auto prev, tx.query_one("SELECT id FROM sandbox_gateway_refunds WHERE payment_id = ?", {payment_id}));
    if (prev) return prev->text("id");
    std::string id = "SBXR" + new_uuid_v7(clock_, rng_);
    CS_TRY(tx.exec("INSERT INTO sandbox_gateway_refunds (id, payment_id, trade_no, amount_fen, created_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {id, payment_id, trade_no, amount_fen, format_rfc3339(clock_.now())}));
    return id;
  });
}

Result<std::string> SandboxGateway::payment_page(const std::string& payment_id) {
  return db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto r, tx.query_one("SELECT p.id, p.order_id, p.amount_fen, p.status FROM payments p "
                                   "WHERE p.id = ? AND p.method = 'sandbox'",
                                   {payment_id}));
    if (!r) return not_found("payment_not_found", "no such sandbox payment");
    std::int64_t fen = r->integer("amount_fen");
    std::string yuan = std::to_string(fen / 100) + "." + (fen % 100 < 10 ? "0" : "") + std::to_string(fen % 100);
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>CertSeal sandbox payment</title></head>"
           "<body><h1>Sandbox payment (no money moves)</h1><p>Order " +
           html_escape(r->text("order_id")) + "</p><p>Amount: ¥" + yuan + "</p><p>Status: " +
           html_escape(r->text("status")) + "</p><form method=\"post\" action=\"/sandbox-pay/" +
           html_escape(payment_id) + "\"><button type=\"submit\">Pay</button></form></body></html>";
  });
}

Status SandboxGateway::confirm(const std::string& payment_id) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one("SELECT id, order_id, amount_fen FROM payments WHERE id = ? AND method = 'sandbox'",
                                   {payment_id}));
    if (!r) return not_found("payment_not_found", "no such sandbox payment");
    CS_ASSIGN(auto existing, tx.query_one("SELECT id FROM sandbox_gateway_notifications WHERE payment_id = ?",
                                          {payment_id}));
    if (existing) return {};  // already paid at the gateway: one notification per payment
    std::string trade_no = "SBX" + new_uuid_v7(clock_, rng_);
    nlohmann::json body = {{"payment_id", payment_id}, {"order_id", r->text("order_id")},
                           {"amount_fen", r->integer("amount_fen")}, {"trade_no", trade_no},
                           {"status", "success"}, {"paid_at", format_rfc3339(clock_.now())}};
    std::string text = body.dump();
    CS_ASSIGN(auto sig, sign(text));
    CS_TRY(tx.exec("INSERT INTO sandbox_gateway_notifications (id, payment_id, notify_url, body, signature, status, "
                   "created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                   {new_uuid_v7(clock_, rng_), payment_id, base_url_ + "/api/v1/payment-notifications/sandbox", text,
                    sig, format_rfc3339(clock_.now())}));
    return {};
  });
}

Result<int> SandboxGateway::deliver_pending() {
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) -> Result<store::Rows> {
    return tx.query("SELECT id, notify_url, body, signature FROM sandbox_gateway_notifications "
                    "WHERE status = 'pending' ORDER BY id LIMIT 20");
  }));
  int delivered = 0;
  for (const auto& r : rows) {
    bool ok = post(r.text("notify_url"), r.text("body"), r.text("signature"));
    CS_TRY(db_.write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec(ok ? "UPDATE sandbox_gateway_notifications SET status = 'delivered', attempts = attempts + 1, "
                          "delivered_at = ? WHERE id = ?"
                        : "UPDATE sandbox_gateway_notifications SET attempts = attempts + 1 WHERE id = ? AND ? <> ''",
                     ok ? store::Params{format_rfc3339(clock_.now()), r.text("id")}
                        : store::Params{r.text("id"), r.text("id")}));
      return {};
    }));
    if (ok) {
      ++delivered;
    } else {
      log_.warn("sandbox notification not accepted yet", {{"notification", r.text("id")}});
    }
  }
  return delivered;
}

}  // namespace certseal::service
