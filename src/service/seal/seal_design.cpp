// The live preview and the design checks shared by make and replace (seal_service.h).
#include "seal/scan.h"
#include "service/seal/seal_internal.h"

namespace certseal::service {

Result<seal::SealPicture> render_design(const std::string& kind, const SealDesign& design, double dpi) {
  if (design.method == "photo") {
    seal::ScanOptions o;
    o.shape = kind == "handwritten"                                          ? seal::ScanShape::kNone
              : kind == "invoice"                                            ? seal::ScanShape::kOval
              : kind == "legal_representative" || kind == "personal_square" ? seal::ScanShape::kSquare
                                                                              : seal::ScanShape::kRound;
    o.size_mm = design.photo_size_mm > 0 ? design.photo_size_mm
                : o.shape == seal::ScanShape::kSquare ? 20
                                                     : 40;
    if (!seal_internal::personal_kind(kind) && !seal_internal::organisation_kind(kind)) {
      return invalid_argument("bad_seal_kind", "印章类型无效");
    }
    if (design.photo.empty()) return invalid_argument("photo_not_found", "没有找到印章照片");
    CS_ASSIGN(seal::ScanResult r, seal::clean_scan(design.photo, dpi, o));
    return std::move(r.picture);
  }
  if (design.method == "drawing") {
    if (kind != "handwritten") return invalid_argument("bad_seal_method", "只有手写签名可以手绘");
    return seal::render_signature(design.signature, dpi);
  }
  if (design.method != "template") return invalid_argument("bad_seal_method", "制章方式须为 template 或 drawing");
  if (kind == "handwritten") return invalid_argument("bad_seal_method", "手写签名须手绘");
  CS_ASSIGN(seal::SealKind k, seal::parse_seal_kind(kind));
  seal::SealTemplate t = design.tmpl;
  t.kind = k;
  return seal::render_seal(t, dpi);
}

Status SealService::load_photo(const std::string& account_id, SealDesign& design) {
  if (design.method != "photo") return ok_status();
  if (blobs_ == nullptr) return unavailable("photo_unavailable", "照片制章暂不可用");
  auto info = blobs_->info(design.photo_blob_id);
  // Another account's upload, or one for another purpose, does not exist for this caller.
  if (!info || info->owner_account_id != account_id || info->purpose != "seal_photo") {
    return not_found("photo_not_found", "没有找到印章照片（请先上传，用途 seal_photo）");
  }
  CS_ASSIGN(design.photo, blobs_->read(*info));
  return ok_status();
}

namespace seal_internal {

bool personal_kind(const std::string& kind) { return kind == "handwritten" || kind == "personal_square"; }
bool organisation_kind(const std::string& kind) {
  return kind == "official" || kind == "contract" || kind == "finance" || kind == "invoice" ||
         kind == "legal_representative";
}

Error seal_not_found() { return not_found("seal_not_found", "印章不存在"); }
Error certificate_not_found() { return not_found("certificate_not_found", "证书不存在"); }

SealRow row_from(const store::Row& r) {
  SealRow row;
  SealView& v = row.view;
  v.id = r.text("id");
  v.account_id = r.text("account_id");
  v.certificate_id = r.text("certificate_id");
  v.order_id = r.text("order_id");
  v.maker_id = r.text("maker_id");
  v.kind = r.text("kind");
  v.method = r.text("method");
  v.name = r.text("name");
  v.status = r.text("status");
  v.reason = r.text("reason");
  v.reviewed_by = r.text("reviewed_by");
  v.reviewed_at = r.text("reviewed_at");
  v.created_at = r.text("created_at");
  v.updated_at = r.text("updated_at");
  v.width_mm = r["width_mm"].as_double();
  v.height_mm = r["height_mm"].as_double();
  row.design = r.text("design");
  row.png = r.blob("picture_png");
  row.svg = r.text("picture_svg");
  if (!r.is_null("seseal")) row.seseal = r.blob("seseal");
  v.has_seal_data = !row.seseal.empty();
  return row;
}

Result<std::optional<CertFacts>> held_certificate(store::Tx& tx, const std::string& account_id,
                                                  const std::string& cert_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT ac.account_id, ac.order_id, ac.current, c.profile, c.status, c.subject_json, "
                                 "c.not_after, c.der FROM account_certificates ac JOIN pki_certificate c ON "
                                 "c.id = ac.certificate_id WHERE ac.certificate_id = ? AND ac.account_id = ?",
                                 {cert_id, account_id}));
  if (!r) return std::optional<CertFacts>();
  CertFacts f;
  f.id = cert_id;
  f.account_id = r->text("account_id");
  f.order_id = r->text("order_id");
  f.current = r->integer("current") != 0;
  f.profile = r->text("profile");
  f.status = r->text("status");
  f.not_after = r->integer("not_after");
  f.der = r->blob("der");
  auto j = nlohmann::json::parse(r->text("subject_json"), nullptr, false);
  if (j.is_object()) {
    f.organization = j.value("organization", "");
    f.common_name = j.value("common_name", "");
  }
  return std::optional<CertFacts>(std::move(f));
}

}  // namespace seal_internal
}  // namespace certseal::service
