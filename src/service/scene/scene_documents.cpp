// Scene 13 (扫码文件签章签名): the relying party's PDF, the user's seal, the preview and the
// signature written into the document (scene_service.h; docs/INTEGRATION.md "Scene 13").
#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "docsign/ofd_package.h"
#include "docsign/ofd_signer.h"
#include "docsign/pades_cms.h"
#include "docsign/pdf_held.h"
#include "docsign/pdf_signer.h"
#include "pki/certificate.h"
#include "seal/seal_picture.h"
#include "service/scene/scene_service.h"

namespace certseal::service {
namespace {

constexpr std::size_t kMaxDocument = 8u << 20;  // as server.body_limit's default

Error field_error(const std::string& f, const std::string& code, const std::string& detail) {
  return invalid_argument("invalid_field", "请求参数有误").with_field(f, code, detail);
}

// The placement JSON of a scene 13 request (scene_service.h), as the signer takes it. width_mm 0:
// the seal's own width, filled in at preparation.
Result<docsign::SealPlacement> placement_from_json(const nlohmann::json& j) {
  docsign::SealPlacement p;
  if (!j.is_object() || !j.contains("mode") || !j["mode"].is_string()) {
    return field_error("placement", "invalid_placement", "placement.mode is position, keyword or straddle");
  }
  auto num = [&](const char* k, double dflt) -> Result<double> {
    if (!j.contains(k)) return dflt;
    if (!j[k].is_number()) return field_error(std::string("placement.") + k, "not_a_number", "a number");
    return j[k].get<double>();
  };
  const std::string mode = j["mode"].get<std::string>();
  CS_ASSIGN(double page, num("page", mode == "keyword" ? 0 : 1));
  CS_ASSIGN(p.x_mm, num("x_mm", 20));
  CS_ASSIGN(p.y_mm, num("y_mm", 20));
  CS_ASSIGN(p.width_mm, num("width_mm", 0));
  p.page = static_cast<int>(page);
  if (page != p.page || p.page < 0 || p.page > 100000) return field_error("placement.page", "out_of_range", "a page number");
  if (p.x_mm < 0 || p.x_mm > 2000 || p.y_mm < 0 || p.y_mm > 2000) {
    return field_error("placement", "out_of_range", "x_mm and y_mm are 0..2000");
  }
  if (p.width_mm != 0 && (p.width_mm < 5 || p.width_mm > 200)) {
    return field_error("placement.width_mm", "out_of_range", "5..200 mm");
  }
  if (mode == "position") {
    p.kind = docsign::SealPlacement::Kind::kPosition;
    if (p.page < 1) return field_error("placement.page", "out_of_range", "pages count from 1");
  } else if (mode == "keyword") {
    p.kind = docsign::SealPlacement::Kind::kKeyword;
    if (!j.contains("keyword") || !j["keyword"].is_string() || j["keyword"].get<std::string>().empty() ||
        j["keyword"].get<std::string>().size() > 100) {
      return field_error("placement.keyword", "required", "1-100 bytes of text to find");
    }
    p.keyword = j["keyword"].get<std::string>();
  } else if (mode == "straddle") {
    p.kind = docsign::SealPlacement::Kind::kStraddle;
  } else {
    return field_error("placement.mode", "invalid_placement", "position, keyword or straddle");
  }
  return p;
}

}  // namespace

Result<nlohmann::json> SceneService::put_document(const RpAppView& app, BytesView pdf) {
  if (pdf.size() < 8 || pdf.size() > kMaxDocument) {
    return field_error("body", "invalid_document", "a PDF of at most 8 MiB");
  }
  // Read it once now, so a file we cannot sign is refused here and not at the user's phone. An
  // OFD (GB/T 33190) is told by its content (a ZIP naming OFD.xml), never by a name.
  const bool ofd = docsign::sniff_ofd(pdf);
  Result<int> pages = 0;
  if (ofd) {
    auto pkg = docsign::read_ofd(pdf);
    if (!pkg) return std::move(pkg).error();
    auto doc = docsign::read_ofd_document(*pkg);
    if (!doc) return std::move(doc).error();
    pages = static_cast<int>(doc->pages.size());
  } else {
    pages = docsign::count_held_pdf_pages(pdf);
  }
  if (!pages) return std::move(pages).error();
  std::string id;
  {
    std::lock_guard lock(rng_mu_);
    id = new_uuid_v7(clock_, rng_);
  }
  const std::string sha = hex_encode(crypto::sha256(pdf));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO docsign_documents (id, app_id, kind, scene_request_id, sha256, size, data, created_at) "
                   "VALUES (?, ?, 'original', NULL, ?, ?, ?, ?)",
                   {id, app.id, sha, static_cast<std::int64_t>(pdf.size()), Bytes(pdf.begin(), pdf.end()),
                    format_rfc3339_ms(clock_.now())}));
    return {};
  }));
  return nlohmann::json{
      {"id", id}, {"sha256", sha}, {"size", pdf.size()}, {"pages", *pages}, {"format", ofd ? "ofd" : "pdf"}};
}

Result<Bytes> SceneService::get_document(const RpAppView& app, const std::string& document_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto row, tx.query_one("SELECT data FROM docsign_documents WHERE id = ? AND app_id = ?", {document_id, app.id}));
    if (!row) return not_found("document_not_found", "no such document");
    return row->blob("data");
  });
}

Status SceneService::check_document_request(const RpAppView& app, SceneCreate& in) {
  if (in.document_id.empty()) return field_error("document_id", "required", "scene 13 signs a document put first");
  if (!in.message.empty()) return field_error("message", "unexpected", "scene 13 signs the document, not a message");
  CS_ASSIGN(auto p, placement_from_json(in.placement));
  if (!in.pades_level.empty() && in.pades_level != "B-T" && in.pades_level != "B-LT") {
    return field_error("pades_level", "unknown_pades_level", "B-T or B-LT");
  }
  if (in.pades_level == "B-LT" && (!document_validation_ || !document_tsa_)) {
    return field_error("pades_level", "pades_level_not_available", "this platform does not embed validation data");
  }
  for (const auto& k : in.seal_kinds) {
    if (k != "handwritten" && !seal::parse_seal_kind(k)) {
      return field_error("seal_kinds", "unknown_seal_kind", "official, contract, finance, invoice, "
                                                            "legal_representative, personal_square or handwritten");
    }
  }
  CS_ASSIGN(in.message, get_document(app, in.document_id));
  if (docsign::sniff_ofd(in.message)) {
    // OFD: a seal at a page and position, signed per GB/T 33190 §18; no keyword search or 骑缝章
    // (no OFD text layout or page renderer here), and no PAdES B-LT.
    if (p.kind != docsign::SealPlacement::Kind::kPosition) {
      return field_error("placement.mode", "placement_not_supported_for_ofd", "OFD documents take mode position only");
    }
    if (in.pades_level == "B-LT") {  // B-T is the default every request carries; it means nothing for OFD
      return field_error("pades_level", "pades_level_not_for_ofd", "PAdES B-LT is for PDF documents");
    }
  }
  return {};
}

Result<nlohmann::json> SceneService::seals_for(store::Tx& tx, const std::string& account_id, const SceneView& v) {
  nlohmann::json out = nlohmann::json::array();
  // The user's own seals, then organisation seals held through a seal grant (授权用印,
  // docs/GRANTS.md): offered usable while the grant is live; prepare_document checks again and
  // the signature counts the use.
  auto offer = [&](const store::Row& r, const std::string& first_reason, bool granted) {
    std::string reason = first_reason;
    const std::string kind = r.text("kind");
    if (!reason.empty()) {
      // told by the caller
    } else if (r.text("status") != "active") {
      reason = "seal_not_active";
    } else if (!v.seal_kinds.empty() &&
               std::find(v.seal_kinds.begin(), v.seal_kinds.end(), kind) == v.seal_kinds.end()) {
      reason = "seal_kind_not_accepted";
    } else if (r.text("certificate_id").empty()) {
      reason = "certificate_not_found";
    }
    out.push_back({{"id", r.text("id")},
                   {"kind", kind},
                   {"name", r.text("name")},
                   {"certificate_id", r.text("certificate_id")},
                   {"width_mm", r["width_mm"].as_double()},
                   {"granted", granted},
                   {"usable", reason.empty()},
                   {"reason", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason)}});
  };
  CS_ASSIGN(auto rows, tx.query("SELECT id, kind, name, status, certificate_id, width_mm FROM seals "
                                "WHERE account_id = ? AND status <> 'deleted' ORDER BY created_at",
                                {account_id}));
  for (const auto& r : rows) offer(r, "", false);
  if (grants_ != nullptr) {
    CS_ASSIGN(auto granted, grants_->granted_seals(tx, account_id));
    for (const auto& g : granted) {
      CS_ASSIGN(auto r, tx.query_one("SELECT id, kind, name, status, certificate_id, width_mm FROM seals WHERE id = ?",
                                     {g.seal_id}));
      if (r) offer(*r, g.live ? "" : "grant_not_live", true);
    }
  }
  return out;
}

Result<DocumentPreparation> SceneService::prepare_document(const std::string& account_id, const std::string& id,
                                                           const std::string& seal_id, std::int64_t signing_time) {
  struct Facts {
    SceneView v;
    std::string certificate_id, kind, status;
    Bytes png, seseal, cert_der, ca_cert;
    double width_mm = 0;
  };
  CS_ASSIGN(auto f, db_.read_value<Facts>([&](store::Tx& tx) -> Result<Facts> {
    Facts out;
    CS_ASSIGN(out.v, load(tx, id));
    if (out.v.claimed_by != account_id) return not_found("scene_request_not_found", "no such scene request");
    if (out.v.status == "expired") return conflict("scene_request_expired", "this request has expired");
    if (out.v.status != "claimed") return conflict("scene_request_finished", "this request has been answered already");
    if (out.v.scene != "13") return conflict("not_a_document_scene", "this request signs no document");
    CS_ASSIGN(auto seal, tx.query_one("SELECT account_id, certificate_id, kind, status, picture_png, width_mm, seseal "
                                      "FROM seals WHERE id = ? AND status <> 'deleted'",
                                      {seal_id}));
    if (!seal) return not_found("seal_not_found", "no such seal");
    // Another account's seal only within a live seal grant (授权用印, docs/GRANTS.md); the
    // certificate is then the holder's (the organisation's), signed with through the employee's
    // certificate grant, and the seal grant's use is counted at the signature (complete_document).
    const std::string holder = seal->text("account_id");
    if (holder != account_id) {
      std::optional<GrantedSeal> granted;
      if (grants_ != nullptr) {
        CS_ASSIGN(auto held, grants_->granted_seals(tx, account_id));
        for (const auto& g : held) {
          if (g.seal_id == seal_id && g.holder_account_id == holder) granted = g;
        }
      }
      if (!granted) return permission_denied("seal_not_yours", "this seal is not yours");
      if (!granted->live) return permission_denied("grant_not_live", "no live grant of this seal");
    }
    if (seal->text("status") != "active") return conflict("seal_not_active", "this seal is not active");
    out.kind = seal->text("kind");
    if (!out.v.seal_kinds.empty() &&
        std::find(out.v.seal_kinds.begin(), out.v.seal_kinds.end(), out.kind) == out.v.seal_kinds.end()) {
      return permission_denied("seal_kind_not_accepted", "the relying party does not accept this kind of seal");
    }
    out.certificate_id = seal->text("certificate_id");
    out.png = seal->blob("picture_png");
    out.width_mm = (*seal)["width_mm"].as_double();
    if (!seal->is_null("seseal")) out.seseal = seal->blob("seseal");
    CS_ASSIGN(auto cert, tx.query_one("SELECT c.der, a.issuing_cert FROM account_certificates ac "
                                      "JOIN pki_certificate c ON c.id = ac.certificate_id "
                                      "JOIN pki_ca a ON a.id = c.ca_id "
                                      "WHERE ac.certificate_id = ? AND ac.account_id = ? AND c.status = 'valid'",
                                      {out.certificate_id, holder}));
    if (!cert) return not_found("certificate_not_found", "the seal's certificate is not one of yours");
    out.cert_der = cert->blob("der");
    out.ca_cert = cert->blob("issuing_cert");
    return out;
  }));
  CS_ASSIGN(bool enabled, orders_.enabled_for(f.certificate_id, f.v.platform_id));
  if (!enabled) {
    return permission_denied("certificate_not_enabled_for_platform",
                             "this certificate is not enabled for this platform (buy mutual recognition to use it here)");
  }
  const std::int64_t now = clock_.now_unix();
  if (signing_time < now - opts_.signing_time_skew_s || signing_time > now + opts_.signing_time_skew_s) {
    return field_error("signing_time", "signing_time_out_of_window", "the signing time is too far from now");
  }
  auto facts = pki::read_certificate(f.cert_der);
  if (!facts) return internal_error("a held certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key) return internal_error("a held certificate's key does not parse");
  CS_ASSIGN(auto placement, placement_from_json(f.v.placement));
  if (placement.width_mm == 0) placement.width_mm = f.width_mm > 0 ? f.width_mm : 40;

  if (docsign::sniff_ofd(f.v.message)) {
    if (f.seseal.empty()) {
      return conflict("seal_has_no_seal_data", "an OFD signature needs the seal's GB/T 38540 data; this seal has none");
    }
    docsign::OfdSignRequest oreq;
    oreq.ofd = f.v.message;
    oreq.page = placement.page;
    oreq.x_mm = placement.x_mm;
    oreq.y_mm = placement.y_mm;
    oreq.width_mm = placement.width_mm;
    oreq.seseal = f.seseal;
    oreq.signer_cert = f.cert_der;
    oreq.signing_time = sys_time_from_unix(signing_time);
    CS_ASSIGN(auto op, docsign::prepare_ofd_signature(oreq));  // ofd_needs_sm2 for RSA / P-256
    CS_ASSIGN(Bytes held, docsign::hold_prepared_ofd(op));
    CS_TRY(db_.write([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto v, load(tx, id));
      if (v.claimed_by != account_id || v.status != "claimed") {
        return conflict("scene_request_finished", "this request has been answered already");
      }
      CS_TRY(tx.exec("DELETE FROM docsign_preparations WHERE scene_request_id = ?", {id}));
      CS_TRY(tx.exec("INSERT INTO docsign_preparations (scene_request_id, account_id, seal_id, certificate_id, "
                     "signing_time, signed_attributes, prepared, contents_offset, contents_capacity, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?)",
                     {id, account_id, seal_id, f.certificate_id, signing_time, op.tbs_sign, held,
                      format_rfc3339_ms(clock_.now())}));
      return {};
    }));
    // No OFD renderer here: the preview is the seal picture that will be drawn.
    return DocumentPreparation{seal_id, f.certificate_id, signing_time, op.tbs_sign, op.page, f.png};
  }

  docsign::PdfSignRequest req;
  req.placement = placement;
  req.seal_png = f.png;
  req.seseal = f.seseal;
  req.alg = pki::sig_alg_for(key->type());
  req.signer_cert = f.cert_der;
  req.chain = {f.ca_cert};
  req.signing_time = sys_time_from_unix(signing_time);
  req.signer_name = pki::name_text(facts->subject);
  req.reason = f.v.title;
  req.field_name = "CertSeal-" + id;
  const docsign::TsaFunction tsa = [this](BytesView r) -> Result<Bytes> { return document_tsa_(r); };
  if (f.v.pades_level == "B-LT") {
    // B-LT: the validation data must be there at the completion; renew a stale CRL now, outside
    // any transaction, and fail before the user signs rather than after.
    if (!document_validation_) return conflict("pades_level_not_available", "this platform does not embed validation data");
    CS_ASSIGN(auto warm, document_validation_(f.cert_der, true));
    (void)warm;
  }
  CS_ASSIGN(auto prepared, docsign::prepare_held_pdf(f.v.message, req, document_tsa_ ? &tsa : nullptr, 60));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load(tx, id));  // still ours and open
    if (v.claimed_by != account_id || v.status != "claimed") {
      return conflict("scene_request_finished", "this request has been answered already");
    }
    CS_TRY(tx.exec("DELETE FROM docsign_preparations WHERE scene_request_id = ?", {id}));
    CS_TRY(tx.exec("INSERT INTO docsign_preparations (scene_request_id, account_id, seal_id, certificate_id, "
                   "signing_time, signed_attributes, prepared, contents_offset, contents_capacity, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {id, account_id, seal_id, f.certificate_id, signing_time, prepared.signed_attributes, prepared.pdf,
                    static_cast<std::int64_t>(prepared.contents_offset),
                    static_cast<std::int64_t>(prepared.contents_capacity), format_rfc3339_ms(clock_.now())}));
    return {};
  }));
  return DocumentPreparation{seal_id, f.certificate_id, signing_time, prepared.signed_attributes, prepared.first_page,
                             std::move(prepared.preview_png)};
}

Result<SceneService::DocumentOutcome> SceneService::complete_document(store::Tx& tx, const SceneView& v,
                                                                      const std::string& account_id,
                                                                      const SceneCompletion& c, const Bytes& cert_der) {
  DocumentOutcome out;
  out.doc_hash = hex_encode(crypto::sha256(v.message));
  CS_ASSIGN(auto prep, tx.query_one("SELECT * FROM docsign_preparations WHERE scene_request_id = ? AND account_id = ?",
                                    {v.id, account_id}));
  if (!prep) return conflict("document_not_prepared", "choose a seal and preview the document first");
  if (prep->text("seal_id") != c.seal_id || prep->text("certificate_id") != c.certificate_id ||
      prep->integer("signing_time") != c.signing_time) {
    return conflict("document_preparation_mismatch", "the seal, certificate or signing time differ from the preview");
  }
  auto facts = pki::read_certificate(cert_der);
  if (!facts) return internal_error("a held certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key) return internal_error("a held certificate's key does not parse");
  const pki::SigAlg alg = pki::sig_alg_for(key->type());
  const Bytes attrs = prep->blob("signed_attributes");
  if (!pki::verify_signature(facts->spki, alg, attrs, c.signature)) {
    out.refused = permission_denied("scene_signature_invalid", "the signature does not verify");
    return out;
  }
  // An organisation seal under a seal grant: one use, checked (live, window, count, member,
  // certificate) and counted by the seal grant gate in this transaction; a refusal is committed
  // with the scene's usage record.
  CS_ASSIGN(auto seal_row, tx.query_one("SELECT account_id FROM seals WHERE id = ?", {c.seal_id}));
  if (!seal_row) return not_found("seal_not_found", "no such seal");
  if (seal_row->text("account_id") != account_id) {
    if (grants_ == nullptr) return permission_denied("seal_not_yours", "this seal is not yours");
    if (Status counted = grants_->use_seal(tx, account_id, c.seal_id, "scene 13 " + v.id); !counted) {
      if (counted.error().kind == ErrorKind::kInternal) return std::move(counted).error();
      out.refused = std::move(counted).error();
      return out;
    }
  }
  if (docsign::sniff_ofd(v.message)) {
    CS_ASSIGN(Bytes signed_ofd, docsign::finish_held_ofd(prep->blob("prepared"), cert_der, attrs, c.signature));
    std::string ofd_id;
    {
      std::lock_guard lock(rng_mu_);
      ofd_id = new_uuid_v7(clock_, rng_);
    }
    const std::string ofd_sha = hex_encode(crypto::sha256(signed_ofd));
    CS_TRY(tx.exec("INSERT INTO docsign_documents (id, app_id, kind, scene_request_id, sha256, size, data, created_at) "
                   "VALUES (?, ?, 'signed', ?, ?, ?, ?, ?)",
                   {ofd_id, v.app_id, v.id, ofd_sha, static_cast<std::int64_t>(signed_ofd.size()), signed_ofd,
                    format_rfc3339_ms(clock_.now())}));
    CS_TRY(tx.exec("DELETE FROM docsign_preparations WHERE scene_request_id = ?", {v.id}));
    out.result = {{"signed_document_id", ofd_id},
                  {"signed_document_sha256", ofd_sha},
                  {"signed_document_size", signed_ofd.size()},
                  {"original_sha256", out.doc_hash},
                  {"format", "ofd"},
                  {"seal_id", c.seal_id},
                  {"signing_time", format_rfc3339(sys_time_from_unix(c.signing_time))},
                  {"level", "GB/T 38540"},
                  {"certificate_id", c.certificate_id},
                  {"certificate", pem_encode("CERTIFICATE", cert_der)},
                  {"serial", hex_encode(facts->serial)},
                  {"subject", pki::name_text(facts->subject)}};
    return out;
  }
  CS_ASSIGN(auto ca, tx.query_one("SELECT a.issuing_cert FROM pki_certificate c JOIN pki_ca a ON a.id = c.ca_id "
                                  "WHERE c.id = ?",
                                  {c.certificate_id}));
  docsign::HeldSigner signer;
  signer.alg = alg;
  signer.signer_cert = cert_der;
  if (ca) signer.chain = {ca->blob("issuing_cert")};
  signer.signed_attributes = attrs;
  signer.contents_offset = static_cast<std::uint64_t>(prep->integer("contents_offset"));
  signer.contents_capacity = static_cast<std::size_t>(prep->integer("contents_capacity"));
  const docsign::TsaFunction tsa = [this](BytesView r) -> Result<Bytes> { return document_tsa_(r); };
  // B-LT: the DSS, with validation data read inside this transaction (document_validation_ with
  // refresh false reads only).
  const docsign::ValidationFunction lt = [this](BytesView cert) { return document_validation_(cert, false); };
  const bool long_term = v.pades_level == "B-LT" && document_validation_ && document_tsa_;
  CS_ASSIGN(auto finished, docsign::finish_held_pdf(prep->blob("prepared"), signer, c.signature,
                                                    document_tsa_ ? &tsa : nullptr, long_term ? &lt : nullptr,
                                                    clock_.now()));
  const Bytes& signed_pdf = finished.pdf;
  std::string doc_id;
  {
    std::lock_guard lock(rng_mu_);
    doc_id = new_uuid_v7(clock_, rng_);
  }
  const std::string sha = hex_encode(crypto::sha256(signed_pdf));
  CS_TRY(tx.exec("INSERT INTO docsign_documents (id, app_id, kind, scene_request_id, sha256, size, data, created_at) "
                 "VALUES (?, ?, 'signed', ?, ?, ?, ?, ?)",
                 {doc_id, v.app_id, v.id, sha, static_cast<std::int64_t>(signed_pdf.size()), signed_pdf,
                  format_rfc3339_ms(clock_.now())}));
  CS_TRY(tx.exec("DELETE FROM docsign_preparations WHERE scene_request_id = ?", {v.id}));
  out.result = {{"signed_document_id", doc_id},
                {"signed_document_sha256", sha},
                {"signed_document_size", signed_pdf.size()},
                {"original_sha256", out.doc_hash},
                {"seal_id", c.seal_id},
                {"signing_time", format_rfc3339(sys_time_from_unix(c.signing_time))},
                {"level", finished.level()},
                {"certificate_id", c.certificate_id},
                {"certificate", pem_encode("CERTIFICATE", cert_der)},
                {"serial", hex_encode(facts->serial)},
                {"subject", pki::name_text(facts->subject)}};
  return out;
}

}  // namespace certseal::service
