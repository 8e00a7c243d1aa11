// QR scene requests (扫码应用, SPEC §8; docs/INTEGRATION.md): a relying party asks, the user's client
// answers through the two-party protocol, the relying party is told.
//
// Life of a request:
//   create (relying party, signed request)   -> pending; a one-time token in a short URL
//                                               (<public_url>/s/<token>) and a PNG of it
//   claim (user session, the token)          -> claimed by that account; the token works once:
//                                               a second claim, by anyone, is refused
//   complete (the claimant, the result)      -> completed, once; or refuse (the claimant) -> refused
//   past expires_at without an answer        -> expired (reported so; nothing more is accepted)
// The token is stored as its SHA-256 only.
//
// Scenes built: 06 shared login (the result is a login assertion, pki/login_assertion.h, inside
// a CMS SignedData), 20 message signing (CMS SignedData over the relying party's message,
// attached or detached, RFC 5652 or GM/T 0010 form; pki/cms_signed.h) and 16 authorised
// encryption (the user picks the certificate and confirms; the server answers a CMS
// EnvelopedData of the message to it, pki/cms_enveloped.h; no key is used, so no signature)
// and 14 authorised decryption (the relying party sends such an envelope; only its recipient's
// certificate may answer; the device unwraps the content key through the two-party decryption
// step after the user confirms and posts it; the server opens the envelope with it and gives the
// relying party the content; a key that does not open it is refused). A batch of bids is opened
// by creating one request per envelope; they complete independently and at once. The device signs the
// signed attributes through the two-party protocol (POST /shield/keys/{id}/signatures, purpose
// "scene <code> <request id>") and posts the signature; the server re-builds the content and the
// signed attributes from the request, the certificate and the signing time the device used,
// verifies the signature under the certificate's key and assembles the CMS. So a relying party
// receives only what the user's key really signed.
//
// At completion the server checks, in the completing transaction: the request is claimed by this
// account, not finished, not expired; the certificate is this account's, current, valid and
// enabled for the app's platform (OrderService::enabled_for: the purchase platform or a live
// mutual-recognition package); the required certificate or organisation, when the relying party
// named one. Every completion, and every refusal for a named certificate, is a usage record in
// shield_events (certificate, account, platform, scene, SHA-256 of the signed content, result).
//
// The relying party is told twice: a callback (POST to the app's callback URL, signed like its
// own requests with its secret, `X-CertSeal-Event-Id` for idempotency, retried with exponential
// back-off by deliver_callbacks(), which certseald runs on a background thread) and the poll
// (get() with wait_ms: a long-poll that returns as soon as the request finishes). A completion on
// another process reaches the poller through PostgreSQL NOTIFY (store/listener.h; run_listener());
// on SQLite waiters re-check every sqlite_recheck_ms.
//
// Thread-safe. Each method opens its own transactions.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "docsign/dss.h"
#include "service/grant/grant_service.h"
#include "service/ledger/recorder.h"
#include "service/order/order_service.h"
#include "service/scene/rp_apps.h"
#include "service/scene/scene_certificate_gate.h"
#include "store/db.h"

namespace certseal::service {

inline constexpr std::string_view kSceneChannel = "certseal_scenes";

struct SceneOptions {
  std::string public_url;                // base of the short URL in the QR code
  std::int64_t default_ttl_s = 300;      // requests expire after this unless the relying party says
  std::int64_t max_ttl_s = 3600;
  std::int64_t max_wait_ms = 30000;      // longest long-poll
  int max_waiters = 32;                  // concurrent long-polls per process; more answer at once
  std::int64_t sqlite_recheck_ms = 500;  // waiters on SQLite look again this often
  std::int64_t pg_recheck_ms = 10000;    // a safety net on PostgreSQL (NOTIFY wakes them first)
  int callback_max_attempts = 8;
  std::int64_t callback_backoff_s = 2;   // attempt n waits backoff * 2^(n-1), at most 1 hour
  std::int64_t signing_time_skew_s = 300;  // the device's signing time must be this close to now
};

struct SceneCreate {
  std::string scene;  // "06", "14", "16" or "20"
  std::string title;  // what is asked, shown to the user (1-200 characters)
  Bytes message;      // 16, 20: what to encrypt or sign; 14: the EnvelopedData (1 byte .. 1 MiB)
  bool detached = false;
  std::string form = "rfc5652";  // or gmt0010
  std::string nonce;  // the relying party's, bound into the result (8-64 of [A-Za-z0-9_-])
  std::string required_certificate_id, required_org_id;
  std::int64_t ttl_s = 0;            // 0: default
  std::string client_request_id;     // Idempotency-Key: a retry answers the same request
  // 13: the PDF handed in first (put_document), where the seal goes and which seal kinds will do
  // (scene_documents.cpp). placement: {"mode": "position", "page", "x_mm", "y_mm"} |
  // {"mode": "keyword", "keyword", "page" (0: any)} | {"mode": "straddle", "y_mm"}; "width_mm"
  // optional (default: the seal's own size). seal_kinds: empty for any.
  std::string document_id;
  nlohmann::json placement;
  std::vector<std::string> seal_kinds;
  // 13: "B-T" (default) or "B-LT": after the signature, the Document Security Store with the
  // signer's and the time stamp's chains, the CA's CRL and an OCSP answer (docs/INTEGRATION.md).
  std::string pades_level = "B-T";
  // 16: how content to an RSA or P-256 certificate is encrypted: "aes-256-gcm" (AuthEnvelopedData,
  // the default when empty) or "aes-256-cbc" (EnvelopedData); SM2 certificates always get SM4-CBC.
  std::string content_encryption = std::string();
};

struct SceneView {
  std::string id, app_id, platform_id, scene, status, title, form, nonce, created_at, claimed_at, finished_at;
  std::string content_encryption;  // 16 only ("aes-256-gcm" or "aes-256-cbc"); empty otherwise
  std::string certificate_id, document_hash, claimed_by;
  std::string required_certificate_id, required_org_id;
  Bytes message;
  bool detached = false;
  std::int64_t expires_at = 0;
  nlohmann::json placement;             // 13
  std::vector<std::string> seal_kinds;  // 13
  std::string pades_level;              // 13: "B-T" or "B-LT"
  nlohmann::json result;  // the outcome for the relying party (null while open)
  nlohmann::json to_json() const;  // the relying party's view
};

struct SceneCreated {
  SceneView request;
  std::string qr_payload;  // the short URL
  Bytes qr_png;
};

// What the user's client sees after claiming: who asks, what, and which certificates may answer.
struct SceneCertificateChoice {
  std::string certificate_id, key_id, serial, subject, org_id, certificate_pem;
  bool enabled = false;    // enabled for the platform (mutual recognition) and matching the request
  std::string reason;      // why not, when not: certificate_not_enabled_for_platform, ...
};
struct SceneClaim {
  SceneView request;
  std::string app_name, platform_name;
  std::vector<SceneCertificateChoice> certificates;
  nlohmann::json seals = nlohmann::json::array();  // 13: the user's seals, each with usable/reason
};

struct SceneCompletion {
  std::string certificate_id;
  std::int64_t signing_time = 0;  // unix seconds, as in the signed attributes
  Bytes signature;                // DER SM2 signature over the signed attributes (06, 20; empty for 16)
  Bytes content_key;              // 14: the content key the device unwrapped (16 SM4; 16/24/32 AES)
  std::string seal_id;            // 13: the seal prepared with prepare_document
};

// Scene 13: the document prepared with the chosen seal, before the user signs.
struct DocumentPreparation {
  std::string seal_id, certificate_id;
  std::int64_t signing_time = 0;
  Bytes signed_attributes;  // what the device signs (pades_cms.h)
  int page = 1;             // the (first) page the seal is on
  Bytes preview_png;        // that page with the seal, rendered
};

// What the verification API says of a CMS SignedData (scene_verify.cpp).
struct SignatureReport {
  bool valid = false;       // signature and digest check out, and the certificate was good then
  std::string problem;      // why not: cms_* codes, certificate_unknown, chain_invalid, not_valid_then
  std::string form, algorithm, signing_time, content_sha256;
  bool detached = false;
  // The signer's certificate and what the platform knows of it.
  std::string certificate_pem, subject, serial, issuer;
  bool issued_here = false;   // one of this platform's certificates (found by its DER)
  bool chain_ok = false;      // its signature verifies under the issuing CA of record
  std::string certificate_id, ca_id, status_now;  // valid | revoked (issued_here only)
  std::optional<std::int64_t> revoked_at;
  bool valid_at_signing_time = false;  // within its validity and not revoked before the signing time
  // An RFC 3161 time stamp over the signature value, when the message carries one: its time and
  // whether it holds (the imprint matches, its signature verifies, its TSA certificate is this
  // platform's).
  std::string timestamp_time;
  bool timestamp_valid = false;
  nlohmann::json to_json() const;
};

// How callbacks leave the process (curl in certseald; a recorder in tests). Returns the HTTP
// status, or an error when no answer came.
class CallbackSender {
 public:
  virtual ~CallbackSender() = default;
  virtual Result<int> post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                           const std::string& body) = 0;
};
class CurlCallbackSender final : public CallbackSender {
 public:
  Result<int> post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                   const std::string& body) override;
};

// One delivery attempt of a scene callback (the console's callback delivery log).
struct CallbackAttemptView {
  std::string event_id, request_id, event_type, url, error, attempted_at;
  std::int64_t attempt = 0;
  std::optional<std::int64_t> http_status;  // absent when no answer came
  std::optional<std::int64_t> next_at;      // the next attempt (unix seconds); absent: delivered or given up
  std::string event_status;                 // the event now: pending | delivered | failed
};

// The key scene tokens are made with, derived from the platform's master key.
SecretBytes scene_token_key(BytesView master_key);

class SceneService {
 public:
  // token_key: at least 16 secret bytes (scene_token_key of the master key); a request's token is
  // HMAC(token_key, id), so a retry with the same Idempotency-Key gets the same QR code back
  // while the database holds only the token's SHA-256.
  SceneService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, RpAppService& apps,
               OrderService& orders, CallbackSender& callbacks, SecretBytes token_key, SceneOptions opts);
  ~SceneService();

  // Organisation grants (docs/GRANTS.md): an employee may answer with an organisation certificate
  // through a live grant of the request's platform; completion then needs the use the grant
  // counted for this request at the two-party step. Unset: only held certificates answer.
  void set_grants(GrantService* grants) { grants_ = grants; }
  // The transparency log (docs/LEDGER.md): every completion with a certificate (used or refused)
  // and every decline appends one entry in the completing transaction. Unset: nothing appended.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }
  // Certificates another area governs (the cloud key's tenants, scene_certificate_gate.h): the
  // gate's verdict replaces the platform rule for them; a refusal is app_not_allowed (403).
  // Unset: the platform rule for every certificate.
  void set_certificate_gate(SceneCertificateGate* gate) { cert_gate_ = gate; }

  // Errors: invalid_field (also invalid_envelope for 14), scene_not_allowed (403: not among the
  // app's scenes), scene_not_supported (a scene not built yet).
  Result<SceneCreated> create(const RpAppView& app, const SceneCreate& in);
  // A batch at one moment (a tender's bid opening: one scene-14 request per bid, each bidder
  // scanning their own), all or none: every request is checked as create() checks it and the
  // first one refused is the answer, its fields named "requests[i].<field>"; then one transaction
  // stores them all. 1 to kMaxBatch requests (else invalid_field "requests"). A request with a
  // client_request_id seen before answers that earlier request, as in create().
  static constexpr std::size_t kMaxBatch = 500;
  Result<std::vector<SceneCreated>> create_batch(const RpAppView& app, const std::vector<SceneCreate>& in);
  // The relying party's view of its own request (404 scene_request_not_found for others').
  // wait_ms > 0: returns when the request finishes or after wait_ms (long-poll).
  Result<SceneView> get(const RpAppView& app, const std::string& id, std::int64_t wait_ms = 0);

  // The user's client. Errors: scene_token_invalid (404: unknown token), scene_token_used (409:
  // claimed already, by anyone), scene_request_expired (409), scene_request_finished (409).
  Result<SceneClaim> claim(const std::string& account_id, const std::string& token);
  // Errors: scene_request_not_found (404, also another account's claim), scene_request_expired,
  // scene_request_finished, certificate_not_found, certificate_not_enabled_for_platform (403),
  // app_not_allowed (403: set_certificate_gate), certificate_not_requested (403),
  // signing_time_out_of_window, scene_signature_invalid (403); 14: certificate_not_recipient (403), content_key_invalid (403), envelope_not_authentic (403: an
  // AuthEnvelopedData whose GCM tag does not verify; nothing is released).
  Result<SceneView> complete(const std::string& account_id, const std::string& id, const SceneCompletion& c);
  // The user says no. Errors as complete's first four.
  Result<SceneView> refuse(const std::string& account_id, const std::string& id, const std::string& reason);

  // The verification API (relying parties): checks a CMS SignedData (content given when detached):
  // the signature and digest (pki::cms::verify), then the signer's certificate against this
  // platform's records: issued here, signed by its CA (with the CA's SM2 ID), within its validity
  // and not revoked at the signing time. A message that does not verify is a report with
  // valid = false and the problem, not an error; only malformed input is (cms_malformed).
  Result<SignatureReport> verify(BytesView cms, std::optional<BytesView> content);
  // A raw signature (scene 20's raw form, or one made elsewhere) over `content` under
  // `certificate` (DER): SM2 with the default ID over SM3, ECDSA or RSA PKCS#1 v1.5 over SHA-256,
  // as the certificate's key says. There is no signed time in a raw signature: the certificate's
  // validity is judged at `at` (the time the relying party got it), else now. problem
  // signature_invalid when it does not verify. Errors: certificate_malformed (400).
  Result<SignatureReport> verify_raw(BytesView certificate, BytesView content, BytesView signature,
                                     std::optional<SysTime> at);

  // The document verification API (relying parties; docsign/pdf_verifier.h): every signature of
  // a PDF, checked against this platform's CAs of record (their certificates are the trusted
  // roots), plus what the platform knows of each signer's certificate: issued here, its id, its
  // status now, and whether it was revoked before the signature's time (time-stamp time, else
  // the claimed /M). Errors: pdf_unreadable, pdf_encrypted (400), io_error.
  Result<nlohmann::json> verify_document(BytesView pdf);

  // Scene 13 (scene_documents.cpp). put_document: a PDF (at most server.body_limit) kept for the
  // relying party's next scene 13 request; {id, sha256, size, pages}. Errors: pdf_unreadable,
  // pdf_encrypted, pdf_damaged. get_document: the bytes of one of the app's documents (the
  // signed result after completion); 404 document_not_found.
  Result<nlohmann::json> put_document(const RpAppView& app, BytesView pdf);
  Result<Bytes> get_document(const RpAppView& app, const std::string& document_id);
  // The claimant picks a seal: the document is prepared with it (incremental update with the
  // seal's picture where the relying party asked and a /Contents placeholder), kept until the
  // completion, and the page is rendered for the preview. The seal must be the user's own and
  // active, of an accepted kind, and bound to a certificate of the user's that is enabled for
  // the platform. Errors: scene_request_not_found, scene_request_expired, scene_request_finished,
  // not_a_document_scene, seal_not_found, seal_not_yours (403), seal_not_active,
  // seal_kind_not_accepted (403), certificate_not_found, certificate_not_enabled_for_platform (403),
  // signing_time_out_of_window, keyword_not_found, bad_page, bad_placement.
  Result<DocumentPreparation> prepare_document(const std::string& account_id, const std::string& id,
                                               const std::string& seal_id, std::int64_t signing_time);
  // Wiring (src/app): the platform's RFC 3161 TSA (a TimeStampReq in, a TimeStampResp out). With
  // one, scene 13 signatures are PAdES B-T: the placeholder is sized from a probe token and the
  // completion adds a token over the signature value. Without, B-B. Call before serving.
  void set_document_tsa(std::function<Bytes(BytesView)> tsa) { document_tsa_ = std::move(tsa); }
  // Wiring (src/app): the CAs' validation data for a certificate (CaService::validation_material),
  // for requests asking PAdES B-LT. refresh true: outside any transaction (prepare_document asks
  // once for the signer's certificate, so a stale CRL is renewed and a failure shows before the
  // user signs); false: inside the completing transaction (reads only). Unset: B-LT is refused at
  // create (pades_level_not_available).
  using DocumentValidation = std::function<Result<docsign::ValidationData>(BytesView cert, bool refresh)>;
  void set_document_validation(DocumentValidation v) { document_validation_ = std::move(v); }

  // Sends the callbacks that are due; returns how many were delivered. Every attempt is recorded
  // (scene_callback_attempts) with the outcome's update of the event, in one transaction.
  Result<int> deliver_callbacks();
  // The callback delivery log of one application (operators): its newest `limit` (1-200)
  // attempts, newest first. Errors: rp_app_not_found (404), invalid_field limit.
  Result<std::vector<CallbackAttemptView>> callback_attempts(const std::string& app_id, int limit);
  // Wakes this process's long-polls (a completion here, or a NOTIFY from elsewhere).
  void wake();
  // Runs a LISTEN loop on PostgreSQL until stop_listener(); call on its own thread.
  void run_listener(const std::string& pg_url);
  void stop_listener();

 private:
  Result<SceneView> load(store::Tx& tx, const std::string& id);
  Result<SceneView> finish(const std::string& account_id, const std::string& id, const SceneCompletion* c,
                           const std::string& refusal_reason);
  Status queue_callback(store::Tx& tx, const SceneView& v);
  Result<int> deliver_batch(int* attempted);
  // Marks v finished (status, result), queues its callback and NOTIFYs, in the caller's transaction.
  Result<SceneView> finish_tx(store::Tx& tx, const SceneView& v, const std::string& status, const std::string& now_text,
                              const std::string& cert_id, const std::string& doc_hash, const nlohmann::json& result);
  std::string token_of(const std::string& id) const;
  // Scene 13's completion inside finish()'s transaction: the prepared document, the signature over
  // its signed attributes checked, the CMS written in, the result stored (scene_documents.cpp).
  // A refusal is returned as refused (the caller records it); other errors abort.
  struct DocumentOutcome {
    std::optional<Error> refused;
    nlohmann::json result;
    std::string doc_hash;
  };
  Result<DocumentOutcome> complete_document(store::Tx& tx, const SceneView& v, const std::string& account_id,
                                            const SceneCompletion& c, const Bytes& cert_der);
  Result<nlohmann::json> seals_for(store::Tx& tx, const std::string& account_id, const SceneView& v);
  // 13 at create: the document is the app's, the placement and kinds are well formed; the
  // document's bytes go into in.message.
  Status check_document_request(const RpAppView& app, SceneCreate& in);
  Result<SceneCreated> created(const SceneView& v);
  // The signer's part of a report: the certificate, whether this platform issued it, its chain,
  // its state now and whether it was valid at t; sets problem and valid.
  Status check_signer(SignatureReport& r, const Bytes& certificate, std::int64_t t, std::string_view malformed_code);
  // create()'s checks and the row it stores, apart so that a batch checks all before it stores any.
  struct PreparedRequest {
    SceneCreate in;  // 13: the document's bytes in message
    nlohmann::json options;
    std::int64_t ttl_s = 0;
  };
  Result<PreparedRequest> prepare(const RpAppView& app, const SceneCreate& in);
  Result<SceneView> insert(store::Tx& tx, const RpAppView& app, const PreparedRequest& p);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  RpAppService& apps_;
  OrderService& orders_;
  CallbackSender& callbacks_;
  SecretBytes token_key_;
  SceneOptions opts_;
  GrantService* grants_ = nullptr;
  ledger::Recorder* ledger_ = nullptr;
  SceneCertificateGate* cert_gate_ = nullptr;
  std::function<Bytes(BytesView)> document_tsa_;
  DocumentValidation document_validation_;

  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::uint64_t generation_ = 0;
  int waiters_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace certseal::service
