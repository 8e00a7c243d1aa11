// Online payment gateways. OrderService knows gateways only through this interface, so a real
// gateway (Alipay, WeChat Pay, UnionPay, ...) is one new file implementing it plus one line in
// the wiring (app/server.cpp): orders never change.
//
// Flow: OrderService::start_online_payment() records a pending payment and asks the gateway
// where the payer goes (start()). The gateway later POSTs an asynchronous notification to
// /api/v1/payment-notifications/{gateway name}; OrderService hands the raw request to
// verify_notification(), which checks the gateway's signature and decodes the notice. Only then
// does OrderService check the payment id, order id and amount against its own records and pay
// the order once (conditional UPDATEs; duplicates and replays change nothing).
// Contract: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "net/http.h"

namespace certseal::service {

struct PaymentStartRequest {
  std::string payment_id;  // ours, unique; the gateway echoes it in its notification
  std::string order_id;
  std::int64_t amount_fen = 0;
  std::string subject;     // shown to the payer
};

struct PaymentStart {
  std::string pay_url;  // where the payer completes the payment
};

// A notification whose signature the gateway verified.
struct PaymentNotice {
  std::string payment_id;
  std::string order_id;
  std::int64_t amount_fen = 0;
  std::string trade_no;  // the gateway's transaction number (unique per gateway)
  bool success = false;  // the payer paid (false: failed or closed)
};

class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;
  // Stable lower-case name, used in URLs and stored with payments ("sandbox").
  virtual std::string name() const = 0;
  virtual Result<PaymentStart> start(const PaymentStartRequest& req) = 0;
  // Verifies the signature over the raw notification and decodes it. A bad or missing
  // signature, or a malformed body, is an error (the notification is then ignored).
  virtual Result<PaymentNotice> verify_notification(std::string_view body, const net::Headers& headers) = 0;
  // Gives a paid payment's money back (the whole amount). Must be idempotent per payment: asking
  // again returns the same refund number. Returns the gateway's refund number.
  virtual Result<std::string> refund(const std::string& payment_id, const std::string& trade_no,
                                     std::int64_t amount_fen) = 0;
  // What the gateway expects as the HTTP answer body to an accepted notification.
  virtual std::string ack_body() const { return "success"; }
};

}  // namespace certseal::service
