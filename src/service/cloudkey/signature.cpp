// CloudKeyService: signature capture (签名采集) — the staff member's handwritten signature picture,
// cleaned like a seal photo but keeping pen ink (seal/scan.h, ScanInk::kPen), one per staff
// record, replaceable (cloudkey_service.h).
#include "base/encoding.h"
#include "crypto/hash.h"
#include "seal/scan.h"
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;
namespace {

// The stored picture: 50 mm wide at 200 dpi (about 394 px), enough to place on a document.
constexpr double kSignatureWidthMm = 50;
constexpr double kSignatureDpi = 200;

Error signature_not_found() { return not_found("signature_not_found", "no signature picture for this staff record"); }

SignaturePicture picture_from_row(const store::Row& r) {
  SignaturePicture p;
  p.staff_id = r.text("staff_id");
  p.staff_no = r.text("staff_no");
  p.tenant_id = r.text("tenant_id");
  p.sha256 = r.text("sha256");
  p.updated_at = r.text("updated_at");
  p.png = r.blob("png");
  p.width_px = r.integer("width_px");
  p.height_px = r.integer("height_px");
  return p;
}

constexpr const char* kSelectPicture =
    "SELECT g.*, s.staff_no FROM cloudkey_signatures g JOIN cloudkey_staff s ON s.id = g.staff_id WHERE g.staff_id = ?";

}  // namespace

Result<SignaturePicture> CloudKeyService::set_signature(const std::string& account_id, const std::string& key_id,
                                                        const std::string& blob_id) {
  if (blob_id.empty() || blob_id.size() > 64) return field_error("blob_id", "the upload's id");
  CS_ASSIGN(auto staff, db_.read_value<store::Row>([&](store::Tx& tx) -> Result<store::Row> {
    CS_TRY(require_holder(tx, account_id, key_id));
    CS_ASSIGN(auto c, tx.query_one("SELECT staff_id, tenant_id FROM cloudkey_certificates WHERE key_id = ?", {key_id}));
    if (!c) return key_not_found();
    return std::move(*c);
  }));
  if (blobs_ == nullptr) return unavailable("signature_unavailable", "签名采集暂不可用");
  // Another account's upload, or one of another purpose, does not exist for this caller.
  auto info = blobs_->info(blob_id);
  if (!info || info->owner_account_id != account_id || info->purpose != "handwritten_signature") {
    return not_found("signature_upload_not_found", "没有找到签名图片（请先上传，用途 handwritten_signature）");
  }
  CS_ASSIGN(auto bytes, blobs_->read(*info));
  seal::ScanOptions o;
  o.shape = seal::ScanShape::kNone;
  o.ink = seal::ScanInk::kPen;
  o.size_mm = kSignatureWidthMm;
  CS_ASSIGN(auto cleaned, seal::clean_scan(bytes, kSignatureDpi, o));
  const seal::SealPicture& pic = cleaned.picture;
  const std::string sha = hex_encode(crypto::sha256(pic.png));
  const std::string staff_id = staff.text("staff_id"), tenant_id = staff.text("tenant_id");
  return db_.write_value<SignaturePicture>([&](store::Tx& tx) -> Result<SignaturePicture> {
    CS_TRY(require_holder(tx, account_id, key_id));
    const std::string now = format_rfc3339_ms(clock_.now());
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_signatures SET png = ?, width_px = ?, height_px = ?, sha256 = ?, "
                              "updated_by = ?, updated_at = ? WHERE staff_id = ?",
                              {pic.png, pic.width_px, pic.height_px, sha, account_id, now, staff_id}));
    if (n == 0) {
      CS_TRY(tx.exec("INSERT INTO cloudkey_signatures (staff_id, tenant_id, png, width_px, height_px, sha256, "
                     "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     {staff_id, tenant_id, pic.png, pic.width_px, pic.height_px, sha, account_id, now}));
    }
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.signature.set")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(staff_id)
                                           .doc(sha)
                                           .with("tenant", tenant_id)
                                           .with("replaced", n != 0)
                                           .with("upload", info->sha256)));
    CS_ASSIGN(auto r, tx.query_one(kSelectPicture, {staff_id}));
    return picture_from_row(*r);
  });
}

Result<SignaturePicture> CloudKeyService::signature(const std::string& account_id, const std::string& key_id) {
  return db_.read_value<SignaturePicture>([&](store::Tx& tx) -> Result<SignaturePicture> {
    CS_TRY(require_holder(tx, account_id, key_id));
    CS_ASSIGN(auto c, tx.query_one("SELECT staff_id FROM cloudkey_certificates WHERE key_id = ?", {key_id}));
    if (!c) return key_not_found();
    CS_ASSIGN(auto r, tx.query_one(kSelectPicture, {c->text("staff_id")}));
    if (!r) return signature_not_found();
    return picture_from_row(*r);
  });
}

Result<SignaturePicture> CloudKeyService::staff_signature(const std::string& admin_id, const std::string& tenant_id,
                                                          const std::string& staff_id) {
  return db_.read_value<SignaturePicture>([&](store::Tx& tx) -> Result<SignaturePicture> {
    CS_TRY(require_admin(tx, admin_id, tenant_id));
    CS_ASSIGN(auto s, tx.query_one("SELECT id FROM cloudkey_staff WHERE id = ? AND tenant_id = ?", {staff_id, tenant_id}));
    if (!s) return staff_not_found();
    CS_ASSIGN(auto r, tx.query_one(kSelectPicture, {staff_id}));
    if (!r) return signature_not_found();
    return picture_from_row(*r);
  });
}

}  // namespace certseal::service
