// The sandbox payment gateway, served by certseald itself, for development, demos and tests.
// Moves no money. It behaves like a real online gateway:
// - start() gives the payer a payment page (GET /sandbox-pay/{payment_id});
// - the payer confirms there (POST /sandbox-pay/{payment_id}); the gateway then queues ONE
//   notification for that payment, signed with the gateway's own P-256 key (ECDSA-SHA256 over
//   the raw JSON body, base64 in the X-Sandbox-Signature header);
// - deliver_pending() POSTs queued notifications to the notify URL asynchronously (certseald
//   runs it on a background thread), retrying until the receiver answers 2xx.
// The key lives in a PEM file (created on first use); a multi-node deployment shares it.
// Contract: thread-safe; notification state lives in the database.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "crypto/pkey.h"
#include "service/order/payment_gateway.h"
#include "store/db.h"

namespace certseal::service {

inline constexpr const char* kSandboxSignatureHeader = "X-Sandbox-Signature";

class SandboxGateway final : public PaymentGateway {
 public:
  // base_url: how the payer's browser and the gateway reach certseald ("http://host:port").
  static Result<std::unique_ptr<SandboxGateway>> open(store::Database& db, const Clock& clock, Rng& rng,
                                                      Logger& log, const std::string& key_file,
                                                      const std::string& base_url);

  std::string name() const override { return "sandbox"; }
  Result<PaymentStart> start(const PaymentStartRequest& req) override;
  Result<PaymentNotice> verify_notification(std::string_view body, const net::Headers& headers) override;
  // Records the refund at the gateway (sandbox_gateway_refunds, one per payment).
  Result<std::string> refund(const std::string& payment_id, const std::string& trade_no,
                             std::int64_t amount_fen) override;

  // The payment page: what is paid, with a button that confirms. Unknown payment: not_found.
  Result<std::string> payment_page(const std::string& payment_id);
  // The payer confirmed: queue the signed notification (idempotent per payment).
  Status confirm(const std::string& payment_id);
  // Delivers queued notifications; returns how many were delivered.
  Result<int> deliver_pending();

  // Signs a body as the gateway does (exposed for tests).
  Result<std::string> sign(std::string_view body) const;

 private:
  SandboxGateway(store::Database& db, const Clock& clock, Rng& rng, Logger& log, crypto::PrivateKey key,
                 std::string base_url)
      : db_(db), clock_(clock), rng_(rng), log_(log), key_(std::move(key)), base_url_(std::move(base_url)) {}

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  crypto::PrivateKey key_;
  std::string base_url_;
};

}  // namespace certseal::service
