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
//   approved --(mutual_recognition: in the approval itself; certificate and renewal: complete(),
//              called by the installation / renewal flow)--> done
//
// Real-name verification: only an account whose person verification is approved may order
// (409 person_not_verified).
//
// Packages (mutual_recognition, renewal) name the certificate they are for: one the buyer holds
// (account_certificates row of the buyer with current = 1; anyone else's answers 404) — or, for
// an organisation renewal package, any current certificate of that organisation when the buyer
// is its active admin or legal representative and acts as that identity (the admin renews the
// organisation's certificates: ShieldService::org_renew). Approving
// a mutual-recognition order enables the certificate on the product's platform until
// max(now, the current end of that platform's enablement) + period_months, in
// certificate_platforms, and moves the order to done. A certificate is enabled on the platform
// of the order that bought it (account_certificates.platform_id) for its whole life (current,
// status valid, before not_after), and on package platforms until enabled_until unless cancelled.
//
// Money that arrives for an order that is no longer payable (cancelled, timed out) is kept as a
// payment in status refund_due; operators list those and refund each (refund_payment).
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

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "docsign/text_render.h"
#include "service/account/sms_codes.h"
#include "service/blob/blob_store.h"
#include "service/ledger/recorder.h"
#include "service/notify/email.h"
#include "service/notify/sms.h"
#include "service/order/payment_gateway.h"
#include "service/org/org_service.h"
#include "store/db.h"

namespace certseal::service {
namespace ca {
class CaService;
}

// Draws the application form PDF from its text and the signature PNG (may be empty).
using FormRenderer = std::function<Result<Bytes>(const std::vector<docsign::TextBlock>&, const docsign::PdfInfo&,
                                                 BytesView png)>;

struct OrderOptions {
  int timeout_s = 86400;  // unpaid orders are cancelled after this long
  // Checked again (after the blob store's upload check) before a signature PNG is decoded.
  docsign::ImageLimits image_limits;
  // Empty: docsign::render_pdf_with_image with image_limits. A seam for tests, which pass a slow
  // renderer to show that no write transaction is open while the form is drawn.
  FormRenderer form_renderer;
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
  std::string certificate_id;   // mutual_recognition and renewal products: the buyer's certificate
  // The session acts as an admin or legal-representative identity of org_id (the handler reads
  // the acting identity): then a renewal package may name any current certificate of org_id.
  bool acting_as_org_admin = false;
  // Optional: the token of a trading platform's application link (its printed QR code; see
  // OrderOrigin). Certificate products only.
  std::string application_link;
};

struct OrderEvent {
  std::string id, from, to, actor, reason, at;
};
struct PaymentView {
  std::string id, order_id, method, status, trade_no, payer_name, payer_account, reference, confirmed_by, created_at,
      paid_at, refund_no, refunded_at, refunded_by, refund_reason;
  std::int64_t amount_fen = 0;
};
struct OrderView {
  std::string id, account_id, product_id, product_name, kind, cert_type, org_id, applicant_role, platform_id,
      seal_maker_id, status, reason, created_at, authorised_at, paid_at, expires_at;
  std::string form_method, form_status;  // application form: email | online; sent | signed ("" none)
  std::string form_email;                // where the form was e-mailed (method email)
  std::string form_signed_blob_id;       // the uploaded signed form (method email, once signed)
  std::string form_signature_blob_id;    // the handwritten-signature image (method online)
  std::string form_certificate_id, form_level;  // method online_digital: the signing certificate, PAdES-B-T | B-B
  std::string certificate_id;            // packages: the certificate the order is for
  std::string org_approved_by, org_approved_at;  // an employee's application, approved by an admin
  std::int64_t quantity = 0, amount_fen = 0;
  // Paid through the sandbox gateway (no money moved): marked in the review queue (review M5).
  bool sandbox_paid = false;
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

// One trading platform a certificate is usable on (互认共享).
struct CertificatePlatformView {
  std::string platform_id, platform_name;
  std::string source;         // purchase (the order that bought the certificate) | package
  std::string order_id;
  std::string enabled_until;  // RFC 3339; for the purchase platform the certificate's not_after
  std::string cancelled_at;   // packages cancelled by the holder
  bool enabled = false;       // usable now
};

// unix_s plus `months` calendar months (UTC; the day is clamped to the end of a shorter month,
// so 31 January + 1 month is the last day of February; the time of day is kept).
std::int64_t add_months(std::int64_t unix_s, std::int64_t months);

// Where an order came from, when it names one: a trading platform's application link
// (service/scene/application_links.h). Both calls run inside the order's transaction.
class OrderOrigin {
 public:
  virtual ~OrderOrigin() = default;
  // The platform the order is for. platform_id: what the buyer asked ("" = the link's).
  // Errors: application_link_not_found (404), invalid_field (platform_id or product_id outside
  // the link).
  virtual Result<std::string> admit(store::Tx& tx, const std::string& token, const ProductView& product,
                                    const std::string& platform_id) = 0;
  // Counts order_id for the link (after admit(), in the same transaction).
  virtual Status record(store::Tx& tx, const std::string& token, const std::string& order_id) = 0;
};

class OrderService {
 public:
  OrderService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SmsSender& sms,
               SmsCodeService& sms_codes, OrgService& orgs, EmailSender& email, BlobStore& blobs, OrderOptions opts)
      : db_(db), clock_(clock), rng_(rng), log_(log), sms_(sms), sms_codes_(sms_codes), orgs_(orgs), email_(email),
        blobs_(blobs), opts_(opts) {}

  // Wiring (before serving requests): the CAs products refer to, and the online gateways.
  void set_ca(ca::CaService* ca) { ca_ = ca; }
  // The transparency log (docs/LEDGER.md "Orders"): the transitions that change what a buyer may
  // use or where its order stands (paid, in_review, approved, rejected, refunded, cancelled, done)
  // each append one entry in the transition's transaction, and so does the cancellation of a
  // mutual-recognition package. Unset (unit tests of other areas): order_events only.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }
  // Application links (unset: orders naming one are refused with application_link_not_found).
  void set_origin(OrderOrigin* origin) { origin_ = origin; }
  void add_gateway(std::unique_ptr<PaymentGateway> g);
  PaymentGateway* gateway(const std::string& name) const;

  // Catalogue. `id` empty: a new UUIDv7; otherwise that id (the demo catalogue's readable ids,
  // app/demo_catalogue.cpp). Errors: platform_exists / seal_maker_exists (same name), field errors;
  // a product with an id already used is a constraint_violation.
  Result<PlatformView> add_platform(const std::string& name, const std::string& id = "");
  Result<SealMakerView> add_seal_maker(const std::string& name, const std::string& id = "");
  Result<ProductView> add_product(const ProductInput& in, const std::string& id = "");
  Result<ProductView> set_product_active(const std::string& id, bool active);
  // Changes a product's sale state and/or price (fen, 0 to 100000000) in one transaction; at
  // least one of them. Orders already placed keep the amount they were created with. Errors:
  // product_not_found, field error price_fen (nothing changed), invalid_argument when neither.
  Result<ProductView> update_product(const std::string& id, std::optional<bool> active,
                                     std::optional<std::int64_t> price_fen);
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
  // The form is drawn with no transaction open (security review M8: Cairo decoding a signature
  // image must not hold SQLite's only writer): what it shows is read first, then rendered, then
  // written in a transaction that checks the order and the text again (409 order_changed when
  // they moved in between; nothing is written). The signature PNG's size is checked before it is
  // decoded (image_too_large).
  Result<OrderView> email_form(const std::string& account_id, const std::string& order_id, const std::string& email);
  Result<OrderView> upload_signed_form(const std::string& account_id, const std::string& order_id,
                                       const std::string& blob_id);
  Result<OrderView> sign_form_online(const std::string& account_id, const std::string& order_id,
                                     const std::string& signature_blob_id);
  // The form signed online digitally (method online_digital; docs/ORDERS.md "Application form"),
  // by an applicant who holds a personal certificate of their own, through the admin-transfer
  // letter's path (service/org/admin_letter_service.h): start draws the form (the same text, plus
  // the signature line's keyword where the signature picture goes), prepares it for a PAdES
  // signature (docsign/pdf_held.h) and keeps it pending (one per order; a new start replaces it);
  // the device signs the signed attributes through the two-party shield; complete checks that
  // signature under the named certificate, writes it (B-T with the TSA when wired, else B-B),
  // runs our verifier over the whole file (one valid signature by that certificate covering the
  // whole file) and, in one transaction that re-checks the order is still open, the certificate
  // still the caller's and valid, and the pending form the same, stores the signed PDF as the
  // form (status signed) and drops the pending one. A refused completion changes nothing.
  // The picture: the seal given (the caller's own active handwritten or personal square seal),
  // else an upload of the caller's with purpose handwritten_signature (PNG), else the caller's
  // active handwritten seal (the one bound to the certificate first).
  // Errors (start): order_not_found (404, also another account's order), order_not_created /
  // form_already_signed (412), certificate_not_found (404: not the caller's current one),
  // certificate_not_valid (409: revoked, outside its validity, or not a personal certificate),
  // seal_not_found / seal_not_yours / seal_not_active / seal_kind_not_accepted, invalid_blob_id,
  // signature_picture_required. Errors (complete): the order's, form_signing_not_found (404:
  // nothing pending, or already used), certificate errors, form_signature_invalid (403),
  // form_verification_failed (403), order_changed (409: the form's text moved since start).
  struct DigitalFormStart {
    std::string certificate_id, seal_id, signature_blob_id;
  };
  struct DigitalFormPending {
    std::string order_id, certificate_id, seal_id, algorithm;  // sm2-sm3 | rsa-sha256 | ecdsa-sha256
    std::int64_t signing_time = 0;
    Bytes signed_attributes;
  };
  Result<DigitalFormPending> start_digital_form(const std::string& account_id, const std::string& order_id,
                                                const DigitalFormStart& in);
  Result<OrderView> complete_digital_form(const std::string& account_id, const std::string& order_id,
                                          BytesView signature);
  // Wiring (src/app): the platform's RFC 3161 TSA; with one, digitally signed forms are B-T.
  void set_form_tsa(std::function<Bytes(BytesView)> tsa) { form_tsa_ = std::move(tsa); }
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
  // records that the transfer back was made. The buyer is notified. The order moves to refunded
  // (and the payment to refund_pending) in a transaction that commits before any money moves, so
  // a concurrent approval wins or loses cleanly (review L7); a gateway failure leaves the payment
  // refund_pending, and calling again finishes it. Errors: order_not_refundable, order_changed,
  // gateway_unavailable. Own transactions.
  Result<OrderView> refund(const std::string& operator_id, const std::string& order_id, const std::string& reason);
  // The form of any order, as generated (e-mail) or signed online; the signed upload and the
  // signature image are blobs named in the order view (form_signed_blob_id, form_signature_blob_id).
  Result<Bytes> form_pdf_any(const std::string& order_id);

  // Operators: payments by status (e.g. refund_due), oldest first; limit + 1 rows.
  Result<std::vector<PaymentView>> list_payments(const std::string& status, const std::string& after, int limit);
  // Settles a refund_due payment (money that arrived after its order was cancelled): through its
  // gateway's refund for an online payment, or recorded as transferred back for a bank transfer.
  // refund_due -> refunded with who, why and the refund number; the buyer is notified (in-app and
  // SMS). Idempotent: a refunded payment is answered as it is (the gateway's refund is itself
  // idempotent per payment, so two concurrent calls refund once). Other statuses: 409.
  Result<PaymentView> refund_payment(const std::string& operator_id, const std::string& payment_id,
                                     const std::string& reason);

  // Completes an approved order of `account_id` whose kind is `expected_kind` (certificate |
  // renewal) — approved -> done, recorded with the account as actor. For renewal the order must be
  // for `certificate_id`. Anything else is refused: another account's order 404; wrong kind,
  // another certificate, or not approved 409 (a done order included, so an order is used once).
  // The Tx overload runs inside the caller's transaction (e.g. together with the installation).
  Result<OrderView> complete(const std::string& account_id, const std::string& order_id,
                             const std::string& certificate_id, const std::string& expected_kind);
  Result<OrderView> complete(store::Tx& tx, const std::string& account_id, const std::string& order_id,
                             const std::string& certificate_id, const std::string& expected_kind);

  // Mutual recognition (互认共享). The platforms of a certificate of `account_id` (404 for
  // anyone else's): the purchase platform first, then the packages by platform name.
  Result<std::vector<CertificatePlatformView>> certificate_platforms(const std::string& account_id,
                                                                     const std::string& certificate_id);
  // The holder cancels a package platform (idempotent: a cancelled one is answered as it is);
  // 404 when the certificate is not theirs or has no package for the platform; 409 for the
  // platform the certificate was bought for (revoke the certificate instead).
  Result<CertificatePlatformView> cancel_certificate_platform(const std::string& account_id,
                                                              const std::string& certificate_id,
                                                              const std::string& platform_id);
  // 互认共享 of an organisation certificate, for whoever is an active admin (or the legal
  // representative) of the verified organisation now, whoever holds it (org_platforms.cpp): the
  // same list and cancellation as the holder's. Errors: not_org_admin (403),
  // certificate_not_found (404: not this organisation's), and those of the holder's calls.
  Result<std::vector<CertificatePlatformView>> org_certificate_platforms(const std::string& admin_id,
                                                                         const std::string& org_id,
                                                                         const std::string& certificate_id);
  Result<CertificatePlatformView> org_cancel_certificate_platform(const std::string& admin_id,
                                                                  const std::string& org_id,
                                                                  const std::string& certificate_id,
                                                                  const std::string& platform_id);
  // For relying parties: may this certificate be used on this platform now? False for unknown,
  // replaced, revoked or expired certificates and for cancelled or lapsed packages.
  Result<bool> enabled_for(const std::string& certificate_id, const std::string& platform_id);

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

  // ---- Employees apply, admins approve (org_applications.cpp; docs/ORDERS.md) ----
  // An organisation-certificate order placed by an employee (applicant_role employee) cannot be
  // authorised (so cannot be paid) until an active admin or the legal representative of the
  // organisation approves it; orders of admins and legal representatives need no approval.
  // Each opens its own transaction. Errors: permission_denied (not an admin of org_id),
  // not_found order_not_found (no such order of this organisation), failed_precondition
  // org_approval_not_needed | order_not_created.
  Result<std::vector<OrderView>> org_orders(const std::string& admin_account_id, const std::string& org_id,
                                            const std::string& after, int limit);
  Result<OrderView> approve_org_application(const std::string& admin_account_id, const std::string& org_id,
                                            const std::string& order_id);
  // Refusal cancels the order with the reason (told to the employee in-app and by SMS).
  Result<OrderView> refuse_org_application(const std::string& admin_account_id, const std::string& org_id,
                                           const std::string& order_id, const std::string& reason);
  // "approved", "pending" or "not_needed", from the stored order.
  static std::string org_approval_state(const OrderView& o);

  // In-app notifications of a user, newest first; limit + 1 rows.
  Result<std::vector<NotificationView>> notifications(const std::string& account_id, const std::string& after,
                                                      int limit);

 private:
  Result<bool> transition(store::Tx& tx, const std::string& order_id, const std::string& from,
                          const std::string& to, const std::string& actor, const std::string& reason);
  Result<OrderView> load(store::Tx& tx, const std::string& order_id, bool details);
  Result<OrderView> load_own(store::Tx& tx, const std::string& account_id, const std::string& order_id);
  // What the application form says, from the order and the rows it names (inside a transaction).
  Result<std::vector<docsign::TextBlock>> form_blocks(store::Tx& tx, const OrderView& o);
  // Draws the form; REQUIRES: no transaction open (it may take long).
  Result<Bytes> render_form(const std::string& order_id, const std::vector<docsign::TextBlock>& blocks,
                            BytesView signature_png);
  Result<BlobInfo> own_blob(const std::string& account_id, const std::string& blob_id, const std::string& purpose,
                            const std::string& media_type);
  // Enables a mutual-recognition order's certificate on its platform; the platform's name and the
  // new end (unix seconds).
  Result<std::pair<std::string, std::int64_t>> enable_platform(store::Tx& tx, const OrderView& o);
  Status require_org_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id);
  // cancel_certificate_platform of `holder`'s certificate, done by `actor` (the holder, or an
  // admin of `org_id` for the organisation's certificate): recorded with both.
  Result<CertificatePlatformView> cancel_platform(const std::string& actor, const std::string& holder,
                                                  const std::string& org_id, const std::string& certificate_id,
                                                  const std::string& platform_id);
  Result<OrderView> org_application(store::Tx& tx, const std::string& org_id, const std::string& order_id);
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
  ledger::Recorder* ledger_ = nullptr;
  OrderOrigin* origin_ = nullptr;
  std::function<Bytes(BytesView)> form_tsa_;
  std::map<std::string, std::unique_ptr<PaymentGateway>> gateways_;
};

}  // namespace certseal::service
