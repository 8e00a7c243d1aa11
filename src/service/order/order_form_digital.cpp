// OrderService: the application form signed online with a digital signature (method
// online_digital, order_service.h), on the admin-transfer letter's path (docsign/pdf_held.h).
#include <optional>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "docsign/pdf_held.h"
#include "docsign/text_render.h"
#include "pki/certificate.h"
#include "pki/signer.h"
#include "service/order/order_internal.h"
#include "service/order/order_service.h"
#include "service/seal/signature_picture.h"

namespace certseal::service {
namespace {

// Where the signature picture is centred on the form (found by poppler's text extraction, as the
// admin-transfer letter's kSignHere).
constexpr const char* kSignHere = "签字处";

// The certificate the form is signed with: the caller's own, current, valid now, personal.
struct SigningCert {
  Bytes der, issuing_cert, spki;
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  std::string subject;
};
Result<SigningCert> signing_cert(store::Tx& tx, const std::string& account_id, const std::string& cert_id,
                                 std::int64_t now) {
  CS_ASSIGN(auto row, tx.query_one("SELECT c.der, c.status, c.profile, c.not_before, c.not_after, a.issuing_cert "
                                   "FROM account_certificates ac JOIN pki_certificate c ON c.id = ac.certificate_id "
                                   "JOIN pki_ca a ON a.id = c.ca_id "
                                   "WHERE ac.certificate_id = ? AND ac.account_id = ? AND ac.current = 1",
                                   {cert_id, account_id}));
  if (!row) return not_found("certificate_not_found", "this certificate is not one of yours");
  if (row->text("status") != "valid" || row->integer("not_before") > now || row->integer("not_after") < now) {
    return conflict("certificate_not_valid", "this certificate is revoked or outside its validity");
  }
  if (row->text("profile") != "personal_sign") {
    return conflict("certificate_not_valid", "the application form is signed with your personal certificate");
  }
  SigningCert c;
  c.der = row->blob("der");
  c.issuing_cert = row->blob("issuing_cert");
  auto facts = pki::read_certificate(c.der);
  if (!facts) return internal_error("a held certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key) return internal_error("a held certificate's key does not parse");
  c.alg = pki::sig_alg_for(key->type());
  c.subject = pki::name_text(facts->subject);
  c.spki = facts->spki;
  return c;
}

Status form_still_open(const OrderView& o) {
  if (o.status != "created") return failed_precondition("order_not_created", "the form is signed before authorisation");
  if (o.form_status == "signed") return failed_precondition("form_already_signed", "the application form is signed");
  return {};
}

// What the form says, as one digest: the pending form is finished only if the order still says it.
std::string text_digest(const std::vector<docsign::TextBlock>& blocks) {
  std::string all;
  for (const auto& b : blocks) all += b.text + '\n';
  return hex_encode(crypto::sha256(to_bytes(all)));
}

store::Value opt_value(const std::string& s) { return s.empty() ? store::Value() : store::Value(s); }

}  // namespace

Result<OrderService::DigitalFormPending> OrderService::start_digital_form(const std::string& account_id,
                                                                        const std::string& order_id,
                                                                        const DigitalFormStart& in) {
  const std::int64_t now = clock_.now_unix();
  struct Facts {
    std::vector<docsign::TextBlock> blocks;
    SigningCert cert;
    std::optional<SignerPicture> picture;
  };
  // Read, draw and prepare with no transaction open, then write if nothing moved meanwhile.
  CS_ASSIGN(auto f, db_.read_value<Facts>([&](store::Tx& tx) -> Result<Facts> {
    Facts out;
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_still_open(o));
    CS_ASSIGN(out.blocks, form_blocks(tx, o));
    CS_ASSIGN(out.cert, signing_cert(tx, account_id, in.certificate_id, now));
    // The signature picture: the seal named, else an upload, else the signer's handwritten seal.
    CS_ASSIGN(out.picture, chosen_signature_seal(tx, account_id, in.seal_id, in.signature_blob_id, in.certificate_id,
                                                 "form"));
    return out;
  }));
  if (!f.picture) {
    CS_ASSIGN(f.picture, uploaded_signature(blobs_, account_id, in.signature_blob_id));
  }
  const std::string digest = text_digest(f.blocks);
  // The same text as the other ways, then the line the picture is placed on.
  std::vector<docsign::TextBlock> blocks = f.blocks;
  blocks.push_back({kSignHere, 11, false, docsign::TextBlock::Align::kLeft, 40});
  const SysTime signing_time = sys_time_from_unix(now);
  blocks.push_back({"日期 Date: " + format_rfc3339(signing_time).substr(0, 10), 11, false,
                    docsign::TextBlock::Align::kRight, 0});
  CS_ASSIGN(Bytes text_pdf, docsign::render_pdf(blocks, {"Application form " + order_id, "CertSeal"}));

  const std::string id = new_uuid_v7(clock_, rng_);
  docsign::PdfSignRequest req;
  req.placement.kind = docsign::SealPlacement::Kind::kKeyword;
  req.placement.page = 0;
  req.placement.keyword = kSignHere;
  req.placement.width_mm = 40;
  req.seal_png = f.picture->png;
  req.seseal = f.picture->seseal;
  req.alg = f.cert.alg;
  req.signer_cert = f.cert.der;
  req.chain = {f.cert.issuing_cert};
  req.signing_time = signing_time;
  req.signer_name = f.cert.subject;
  req.reason = "数字证书申请表 / certificate application form";
  req.field_name = "CertSeal-form-" + id;
  const docsign::TsaFunction tsa = [this](BytesView r) -> Result<Bytes> { return form_tsa_(r); };
  CS_ASSIGN(auto prepared, docsign::prepare_held_pdf(text_pdf, req, form_tsa_ ? &tsa : nullptr));

  DigitalFormPending out;
  out.order_id = order_id;
  out.certificate_id = in.certificate_id;
  out.seal_id = f.picture->seal_id;
  out.algorithm = std::string(pki::sig_alg_name(f.cert.alg));
  out.signing_time = now;
  out.signed_attributes = prepared.signed_attributes;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_still_open(o));
    CS_ASSIGN(auto again, form_blocks(tx, o));
    if (text_digest(again) != digest) {
      return conflict("order_changed", "the order changed while its form was being drawn; please try again");
    }
    // One pending form per order: a new start replaces the last.
    CS_TRY(tx.exec("DELETE FROM application_form_signings WHERE order_id = ?", {order_id}));
    CS_TRY(tx.exec("INSERT INTO application_form_signings (id, order_id, account_id, certificate_id, seal_id, "
                   "signature_blob_id, algorithm, text_sha256, signing_time, signed_attributes, prepared, "
                   "contents_offset, contents_capacity, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {id, order_id, account_id, in.certificate_id, opt_value(f.picture->seal_id),
                    opt_value(f.picture->blob_id),
                    out.algorithm, digest, now, prepared.signed_attributes, prepared.pdf,
                    static_cast<std::int64_t>(prepared.contents_offset),
                    static_cast<std::int64_t>(prepared.contents_capacity), format_rfc3339(clock_.now())}));
    return {};
  }));
  log_.info("application form prepared for a digital signature", {{"order_id", order_id}, {"by", account_id}});
  return out;
}

Result<OrderView> OrderService::complete_digital_form(const std::string& account_id, const std::string& order_id,
                                                      BytesView signature) {
  const std::int64_t now = clock_.now_unix();
  struct Facts {
    std::string id, certificate_id, blob_id, digest;
    SigningCert cert;
    Bytes attrs, prepared;
    std::int64_t offset = 0, capacity = 0;
    std::vector<Bytes> roots;
  };
  auto pending = [&](store::Tx& tx) -> Result<store::Row> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_still_open(o));
    CS_ASSIGN(auto row, tx.query_one("SELECT * FROM application_form_signings WHERE order_id = ? AND account_id = ?",
                                     {order_id, account_id}));
    if (!row) return not_found("form_signing_not_found", "no application form is waiting for your signature");
    return std::move(*row);
  };
  CS_ASSIGN(auto f, db_.read_value<Facts>([&](store::Tx& tx) -> Result<Facts> {
    Facts out;
    CS_ASSIGN(auto row, pending(tx));
    out.id = row.text("id");
    out.certificate_id = row.text("certificate_id");
    out.blob_id = row.is_null("signature_blob_id") ? "" : row.text("signature_blob_id");
    out.digest = row.text("text_sha256");
    out.attrs = row.blob("signed_attributes");
    out.prepared = row.blob("prepared");
    out.offset = row.integer("contents_offset");
    out.capacity = row.integer("contents_capacity");
    CS_ASSIGN(out.cert, signing_cert(tx, account_id, out.certificate_id, now));
    CS_ASSIGN(auto cas, tx.query("SELECT issuing_cert FROM pki_ca", {}));
    for (const auto& r : cas) out.roots.push_back(r.blob("issuing_cert"));
    return out;
  }));
  // The signature over what the form asked to be signed, under the named certificate.
  if (!pki::verify_signature(f.cert.spki, f.cert.alg, f.attrs, signature)) {
    log_.warn("application form signature refused", {{"order_id", order_id}, {"by", account_id}});
    return permission_denied("form_signature_invalid", "the signature does not verify under the form's certificate");
  }
  docsign::HeldSigner signer;
  signer.alg = f.cert.alg;
  signer.signer_cert = f.cert.der;
  signer.chain = {f.cert.issuing_cert};
  signer.signed_attributes = f.attrs;
  signer.contents_offset = static_cast<std::uint64_t>(f.offset);
  signer.contents_capacity = static_cast<std::size_t>(f.capacity);
  const docsign::TsaFunction tsa = [this](BytesView r) -> Result<Bytes> { return form_tsa_(r); };
  CS_ASSIGN(auto finished, docsign::finish_held_pdf(f.prepared, signer, signature, form_tsa_ ? &tsa : nullptr));
  // The whole file through our verifier: one signature, intact, valid, by this certificate,
  // trusted and valid at its time, covering the whole file.
  auto verified = docsign::verify_held_pdf(finished.pdf, f.roots);
  std::string why;
  if (!verified) {
    if (verified.error().kind == ErrorKind::kInternal) return std::move(verified).error();
    why = verified.error().code;
  } else if (verified->size() != 1) {
    why = "signatures: " + std::to_string(verified->size());
  } else if (const auto& r = (*verified)[0]; !r.ok() || r.signer_cert != f.cert.der || !r.covers_whole_file) {
    why = r.problem.empty() ? std::string("not the form's certificate or not the whole file") : r.problem;
  }
  if (!why.empty()) {
    log_.warn("application form failed verification", {{"order_id", order_id}, {"problem", why}});
    return permission_denied("form_verification_failed", "the signed application form does not verify").with_cause(why);
  }
  const std::string level = finished.timestamped ? "PAdES-B-T" : "PAdES-B-B";
  auto done = db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto row, pending(tx));
    if (row.text("id") != f.id) {
      return not_found("form_signing_not_found", "the form you signed was replaced; please sign again");
    }
    CS_TRY(signing_cert(tx, account_id, f.certificate_id, clock_.now_unix()));  // not revoked meanwhile
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_ASSIGN(auto blocks, form_blocks(tx, o));
    if (text_digest(blocks) != f.digest) {
      return conflict("order_changed", "the order changed since the form was drawn; please sign it again");
    }
    CS_ASSIGN(auto n, tx.exec("DELETE FROM application_form_signings WHERE id = ?", {f.id}));
    if (n != 1) return not_found("form_signing_not_found", "no application form is waiting for your signature");
    const std::string at = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("DELETE FROM application_forms WHERE order_id = ? AND status = 'sent'", {order_id}));
    CS_TRY(tx.exec("INSERT INTO application_forms (order_id, method, status, signature_blob_id, pdf, created_at, "
                   "signed_at, certificate_id, level) VALUES (?, 'online_digital', 'signed', ?, ?, ?, ?, ?, ?)",
                   {order_id, opt_value(f.blob_id), finished.pdf, at, at, f.certificate_id, level}));
    return load_own(tx, account_id, order_id);
  });
  if (done) {
    log_.info("application form signed digitally",
              {{"order_id", order_id}, {"by", account_id}, {"level", level}});
  }
  return done;
}

}  // namespace certseal::service
