// Catalogue, orders, payments and the order review queue (SPEC §5 and §9; docs/ORDERS.md).
//
// Catalogue (operators): trading platforms, seal makers, products. A product is a certificate
// (personal or organisation; algorithm, validity years, included seal type, issuing CA — a real
// CA id of CaService), a mutual-recognition package (for one platform and a period in months) or
// a renewal package. Prices are integers in fen.
//
// Order states (each change is a conditional UPDATE ... WHERE status = ?, so concurrent requests
// change a state once, and each change is recorded in order_events with who, when and why):
//   created --authorise (SMS code)--> awaiting_payment --payment--> paid --> in_review
//   in_review --operator approves--> approved        in_review --operator rejects--> rejected
//   created | awaiting_payment --user cancels / timeout job--> cancelled
//   paid | in_review | rejected --operator refunds--> refunded
// (done = installed on the device comes with the mobile shield issue.)
//
// Who may do what is checked here from stored data: an order belongs to the account that made
// it (anyone else gets not_found); an organisation order needs an active membership of a
// verified organisation (OrgService::member_role), and records the applicant's role.
//
// Payments: online through a PaymentGateway (payment_gateway.h) or bank transfer (对公打款: the
// payer declares the transfer, an operator confirms the received amount, which must match).
// A gateway notification pays an order only when the gateway's signature is valid and the
// payment id, order id and amount all match a pending payment; replays and duplicates change
// nothing; two concurrent notifications pay once.
// Contract: thread-safe; state lives in the database. Users are told of review decisions by SMS
// (after the transaction committed) and in their in-app notification list.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/account/sms_codes.h"
#include "service/blob/blob_store.h"
#include "service/notify/email.h"
#include "service/notify/sms.h"
#include "service/order/payment_gateway.h"
#include "service/org/org_service.h"
#include "store/db.h"

namespace certseal::service {
namespace ca {
class CaService;
}

struct OrderOptions {
  int timeout_s = 86400;  // unpaid orders are cancelled after this long
};

struct PlatformView {
  std::string id, name, created_at;
};
struct SealMakerView {
  std::string id, name, created_at;
};
struct ProductInput {
  std::string kind;       // certificate | mutual_recognition | renewal
  std::string name;
  std::string cert_type;  // personal | organisation
  std::string algorithm;  // sm2 | ec-p256 | rsa-2048 | rsa-3072
  std::int64_t validity_years = 0;
  std::int64_t price_fen = 0;
  std::string ca_id;
  std::string seal_type;  // e.g. handwritten, personal_square, official (公章), ...
  std::string platform_id;  // mutual_recognition: the platform it enables
  std::int64_t period_months = 0;  // mutual_recognition: how long
};
struct ProductView : ProductInput {
  std::string id, created_at;
  bool active = true;
};

struct CreateOrderInput {
  std::string product_id;
  std::string platform_id;
  std::string seal_maker_id;  // optional
  std::int64_t quantity = 1;
  std::string org_id;  // organisation products only
  std::string idempotency_key;  // optional; the same key returns the same order
};

struct OrderEvent {
  std::string id, from, to, actor, reason, at;
};
struct PaymentView {
  std::string id, method, status, trade_no, payer_name, payer_account, reference, confirmed_by, created_at, paid_at;
  std::int64_t amount_fen = 0;
};
struct OrderView {
  std::string id, account_id, product_id, product_name, kind, cert_type, org_id, applicant_role, platform_id,
      seal_maker_id, status, reason, created_at, authorised_at, paid_at, expires_at;
  std::string form_method, form_status;  // application form: email | online; sent | signed ("" none)
  std::int64_t quantity = 0, amount_fen = 0;
  std::vector<OrderEvent> events;      // filled by get()/get_any()
  std::vector<PaymentView> payments;   // filled by get()/get_any()
};

struct OnlinePayment {
  std::string payment_id, gateway, pay_url;
  std::int64_t amount_fen = 0;
};

// What handling a gateway notification did.
enum class NoticeOutcome { kPaid, kDuplicate, kLate, kFailedPayment };

struct NotificationView {
  std::string id, kind, text, ref_id, created_at;
};

class OrderService {
 public:
  OrderService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SmsSender& sms,
               SmsCodeService& sms_codes, OrgService& orgs, EmailSender& email, BlobStore& blobs, OrderOptions opts)
      : db_(db), clock_(clock), rng_(rng), log_(log), sms_(sms), sms_codes_(sms_codes), orgs_(orgs), email_(email),
        blobs_(blobs), opts_(opts) {}

  // Wiring (before serving requests): the CAs products refer to, and the online gateways.
  void set_ca(ca::CaService* ca) { ca_ = ca; }
  void add_gateway(std::unique_ptr<PaymentGateway> g);
  PaymentGateway* gateway(const std::string& name) const;

  // Catalogue.
  Result<PlatformView> add_platform(const std::string& name);
  Result<SealMakerView> add_seal_maker(const std::string& name);
  Result<ProductView> add_product(const ProductInput& in);
  Result<ProductView> set_product_active(const std::string& id, bool active);
  Result<std::vector<PlatformView>> platforms();
  Result<std::vector<SealMakerView>> seal_makers();
  Result<std::vector<ProductView>> products(bool include_inactive);

  // Orders of a user.
  Result<OrderView> create(const std::string& account_id, const CreateOrderInput& in);
  Result<OrderView> authorise(const std::string& account_id, const std::string& order_id, const std::string& code);
  Result<OrderView> cancel(const std::string& account_id, const std::string& order_id);
  // tab: all | awaiting_payment | in_review | done. Newest first; limit + 1 rows.
  Result<std::vector<OrderView>> list(const std::string& account_id, const std::string& tab,
                                      const std::string& after, int limit);
  Result<OrderView> get(const std::string& account_id, const std::string& order_id);

  // The application form (申请表). Organisation certificates need a signed one before the
  // applicant authorises the order; personal ones may have one. Either the form PDF is e-mailed
  // (through the EmailSender) and uploaded back signed (a blob of purpose application_form), or
  // it is signed online: a handwritten-signature PNG (blob purpose handwritten_signature) is
  // embedded in the form PDF. Only while the order is `created`; blobs must be the caller's.
  Result<OrderView> email_form(const std::string& account_id, const std::string& order_id, const std::string& email);
  Result<OrderView> upload_signed_form(const std::string& account_id, const std::string& order_id,
                                       const std::string& blob_id);
  Result<OrderView> sign_form_online(const std::string& account_id, const std::string& order_id,
                                     const std::string& signature_blob_id);
  // The form as generated (sent by e-mail) or signed online (with the signature image).
  Result<Bytes> form_pdf(const std::string& account_id, const std::string& order_id);

  // Payments.
  Result<OnlinePayment> start_online_payment(const std::string& account_id, const std::string& order_id,
                                             const std::string& gateway_name);
  Result<NoticeOutcome> handle_notification(const std::string& gateway_name, std::string_view body,
                                            const net::Headers& headers);
  Result<PaymentView> submit_bank_transfer(const std::string& account_id, const std::string& order_id,
                                           const std::string& payer_name, const std::string& payer_account,
                                           std::int64_t amount_fen, const std::string& reference);
  Result<OrderView> confirm_bank_transfer(const std::string& operator_id, const std::string& payment_id,
                                          std::int64_t received_fen);

  // Scheduled: cancels orders unpaid past their deadline; returns how many.
  Result<int> expire_due();

  // Operators: the review queue.
  Result<std::vector<OrderView>> list_any(const std::string& status, const std::string& after, int limit);
  Result<OrderView> get_any(const std::string& order_id);
  Result<OrderView> approve(const std::string& operator_id, const std::string& order_id);
  Result<OrderView> reject(const std::string& operator_id, const std::string& order_id, const std::string& reason);
  // Gives the money of a paid order back (paid, in_review or rejected -> refunded): through its
  // gateway for online payments (idempotent there), or — for a bank transfer — the operator
  // records that the transfer back was made. The buyer is notified.
  Result<OrderView> refund(const std::string& operator_id, const std::string& order_id, const std::string& reason);

  // Inside the caller's transaction: an `approved` order of this account moves to `done`
  // (installed, or the package was used), recorded with the account as actor and `why`.
  // Refused (409 order_not_approved) in any other state; 404 for another account's order.
  Result<OrderView> complete_in(store::Tx& tx, const std::string& account_id, const std::string& order_id,
                                const std::string& why);
  // The order (of this account) and its product, read in the caller's transaction.
  Result<std::pair<OrderView, ProductView>> order_with_product(store::Tx& tx, const std::string& account_id,
                                                               const std::string& order_id);

  // Texts the account's phone (after the caller's transaction committed); a failure is logged.
  void send_sms(const std::string& account_id, const std::string& text, const std::string& template_id);

  // Adds an in-app notification inside the caller's transaction.
  Status notify_in(store::Tx& tx, const std::string& account_id, const std::string& kind,
                   const std::string& text, const std::string& ref_id) {
    return notify(tx, account_id, kind, text, ref_id);
  }

  // In-app notifications of a user, newest first; limit + 1 rows.
  Result<std::vector<NotificationView>> notifications(const std::string& account_id, const std::string& after,
                                                      int limit);

 private:
  Result<bool> transition(store::Tx& tx, const std::string& order_id, const std::string& from,
                          const std::string& to, const std::string& actor, const std::string& reason);
  Result<OrderView> load(store::Tx& tx, const std::string& order_id, bool details);
  Result<OrderView> load_own(store::Tx& tx, const std::string& account_id, const std::string& order_id);
  Result<Bytes> render_form(store::Tx& tx, const OrderView& o, BytesView signature_png);
  Result<BlobInfo> own_blob(const std::string& account_id, const std::string& blob_id, const std::string& purpose,
                            const std::string& media_type);
  Status mark_paid(store::Tx& tx, const std::string& order_id, const std::string& actor, const std::string& why);
  Status notify(store::Tx& tx, const std::string& account_id, const std::string& kind, const std::string& text,
                const std::string& ref_id);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  SmsSender& sms_;
  SmsCodeService& sms_codes_;
  OrgService& orgs_;
  EmailSender& email_;
  BlobStore& blobs_;
  OrderOptions opts_;
  ca::CaService* ca_ = nullptr;
  std::map<std::string, std::unique_ptr<PaymentGateway>> gateways_;
};

}  // namespace certseal::service
