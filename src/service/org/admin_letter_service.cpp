// AdminLetterService (admin_letter_service.h): drawing, preparing, signing and keeping the
// admin-transfer letter.
#include "service/org/admin_letter_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "docsign/pdf_held.h"
#include "docsign/text_render.h"
#include "pki/certificate.h"
#include "pki/signer.h"
#include "service/account/validation.h"
#include "service/org/org_internal.h"
#include "service/seal/signature_picture.h"

namespace certseal::service {
namespace {

using org_internal::real_identity;

// The place on the letter where the signature picture is centred (found by poppler's text
// extraction, docsign/keyword_locate.h).
constexpr const char* kSignHere = "签字处";

std::string role_text(const std::string& role) {
  return role == "legal_representative" ? "法定代表人 (legal representative)" : "管理员 (admin)";
}

// The held certificate the letter is signed with: the caller's own, current, valid now.
struct HeldCertificate {
  Bytes der, issuing_cert;
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  std::string subject;
  Bytes spki;
};
Result<HeldCertificate> held_certificate(store::Tx& tx, const std::string& account_id, const std::string& cert_id,
                                         std::int64_t now) {
  CS_ASSIGN(auto row, tx.query_one("SELECT c.der, c.status, c.not_before, c.not_after, a.issuing_cert "
                                   "FROM account_certificates ac JOIN pki_certificate c ON c.id = ac.certificate_id "
                                   "JOIN pki_ca a ON a.id = c.ca_id "
                                   "WHERE ac.certificate_id = ? AND ac.account_id = ? AND ac.current = 1",
                                   {cert_id, account_id}));
  if (!row) return not_found("certificate_not_found", "this certificate is not one of yours");
  if (row->text("status") != "valid" || row->integer("not_before") > now || row->integer("not_after") < now) {
    return conflict("certificate_not_valid", "this certificate is revoked or outside its validity");
  }
  HeldCertificate h;
  h.der = row->blob("der");
  h.issuing_cert = row->blob("issuing_cert");
  auto facts = pki::read_certificate(h.der);
  if (!facts) return internal_error("a held certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key) return internal_error("a held certificate's key does not parse");
  h.alg = pki::sig_alg_for(key->type());
  h.subject = pki::name_text(facts->subject);
  h.spki = facts->spki;
  return h;
}

}  // namespace

Result<AdminLetterView> AdminLetterService::load(store::Tx& tx, const std::string& org_id, const std::string& letter_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM org_admin_letters WHERE id = ? AND org_id = ?", {letter_id, org_id}));
  if (!r) return not_found("letter_not_found", "no such letter");
  AdminLetterView v;
  v.id = r->text("id");
  v.org_id = r->text("org_id");
  v.member_id = r->text("member_id");
  v.certificate_id = r->text("certificate_id");
  v.seal_id = r->text("seal_id");
  v.status = r->text("status");
  v.signer_role = r->text("signer_role");
  v.signer_account_id = r->text("signer_account_id");
  v.former_admin_account_id = r->text("former_admin_account_id");
  v.new_admin_account_id = r->text("new_admin_account_id");
  v.created_at = r->text("created_at");
  v.signed_at = r->text("signed_at");
  v.level = r->text("level");
  v.signed_sha256 = r->text("signed_sha256");
  v.signing_time = r->integer("signing_time");
  v.expires_at = r->integer("expires_at");
  if (v.status == "pending" && v.expires_at < clock_.now_unix()) v.status = "expired";
  if (v.status == "pending") v.signed_attributes = r->blob("signed_attributes");
  return v;
}

Result<AdminLetterView> AdminLetterService::create(const std::string& account_id, const std::string& org_id,
                                                   const AdminLetterCreate& in) {
  const std::int64_t now = clock_.now_unix();
  struct Facts {
    OrgService::AdminTransferPlan plan;
    HeldCertificate cert;
    std::pair<std::string, std::string> signer, former, heir;
    std::optional<SignerPicture> picture;
  };
  CS_ASSIGN(auto f, db_.read_value<Facts>([&](store::Tx& tx) -> Result<Facts> {
    Facts out;
    CS_ASSIGN(out.plan, orgs_.plan_admin_transfer(tx, account_id, org_id, in.member_id));
    CS_ASSIGN(out.cert, held_certificate(tx, account_id, in.certificate_id, now));
    CS_ASSIGN(out.signer, real_identity(tx, account_id));
    CS_ASSIGN(out.former, real_identity(tx, out.plan.former_admin_account_id));
    CS_ASSIGN(out.heir, real_identity(tx, out.plan.new_admin_account_id));
    // The signature picture: the seal named, else an upload, else the signer's handwritten seal.
    CS_ASSIGN(out.picture, chosen_signature_seal(tx, account_id, in.seal_id, in.signature_blob_id, in.certificate_id,
                                                 "letter"));
    return out;
  }));
  if (!f.picture) {
    CS_ASSIGN(f.picture, uploaded_signature(blobs_, account_id, in.signature_blob_id));
  }

  std::string id;
  {
    std::lock_guard lock(rng_mu_);
    id = new_uuid_v7(clock_, rng_);
  }
  // The letter. Names come from real-name verification; ID numbers are masked.
  using docsign::TextBlock;
  const SysTime signing_time = sys_time_from_unix(now);
  const std::string date = format_rfc3339(signing_time).substr(0, 10);
  auto person = [](const std::pair<std::string, std::string>& p) {
    return (p.first.empty() ? std::string("（未实名）") : p.first) + "，身份证号码 ID " +
           (p.second.empty() ? std::string("—") : mask_id_number(p.second));
  };
  std::vector<TextBlock> blocks = {
      {"授权委托书", 22, true, TextBlock::Align::kCenter, 6},
      {"Letter of authorisation: transfer of the organisation's admin", 11, false, TextBlock::Align::kCenter, 18},
      {"委托单位（Organisation）：" + f.plan.org_name},
      {"统一社会信用代码（Unified social credit code）：" + f.plan.credit_code, 11, false, TextBlock::Align::kLeft, 14},
      {"授权人（Authorising person）：" + person(f.signer) + "，" + role_text(f.plan.signer_role)},
      {"原管理员（Former admin）：" + person(f.former)},
      {"新管理员（New admin）：" + person(f.heir), 11, false, TextBlock::Align::kLeft, 14},
      {"兹由本单位" + std::string(f.plan.signer_role == "admin" ? "管理员" : "法定代表人") + "授权，自本委托书签署之日起，将本单位在 "
       "CertSeal 平台的管理员由" + (f.former.first.empty() ? std::string("原管理员") : f.former.first) + "转让给" +
       (f.heir.first.empty() ? std::string("新管理员") : f.heir.first) +
       "。新管理员代表本单位办理数字证书与电子印章的申请、授权、收回及成员管理等业务；原管理员不再担任管理员。"},
      {"We transfer the admin role of the organisation on the CertSeal platform from the former admin to the new "
       "admin named above, from the date this letter is signed. The new admin acts for the organisation in applying "
       "for, granting and taking back its digital certificates and electronic seals and in managing its members.",
       10, false, TextBlock::Align::kLeft, 14},
      {"签名证书（Signing certificate）：" + f.cert.subject, 9, false, TextBlock::Align::kLeft, 4},
      {"委托书编号（Letter）：" + id, 9, false, TextBlock::Align::kLeft, 24},
      {"授权人签字（Signature）：", 11, true, TextBlock::Align::kLeft, 10},
      {kSignHere, 11, false, TextBlock::Align::kLeft, 40},
      {"日期（Date）：" + date, 11, false, TextBlock::Align::kRight, 0},
  };
  CS_ASSIGN(Bytes text_pdf, docsign::render_pdf(blocks, {"授权委托书 " + f.plan.org_name, "CertSeal"}));

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
  req.reason = "转让管理员授权委托书 / admin transfer letter";
  req.field_name = "CertSeal-letter-" + id;
  const docsign::TsaFunction tsa = [this](BytesView r) -> Result<Bytes> { return tsa_(r); };
  CS_ASSIGN(auto prepared, docsign::prepare_held_pdf(text_pdf, req, tsa_ ? &tsa : nullptr));

  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    // Still the same transfer (no admin change meanwhile).
    CS_ASSIGN(auto again, orgs_.plan_admin_transfer(tx, account_id, org_id, in.member_id));
    if (again.former_membership_id != f.plan.former_membership_id) {
      return conflict("former_plan_changed", "the organisation's admin changed meanwhile; please try again");
    }
    const std::string created = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("INSERT INTO org_admin_letters (id, org_id, signer_account_id, signer_role, former_admin_account_id, "
                   "former_membership_id, member_id, new_admin_account_id, certificate_id, seal_id, signature_blob_id, "
                   "status, signing_time, expires_at, signed_attributes, prepared, contents_offset, contents_capacity, "
                   "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)",
                   {id, org_id, account_id, f.plan.signer_role, f.plan.former_admin_account_id,
                    f.plan.former_membership_id, in.member_id, f.plan.new_admin_account_id, in.certificate_id,
                    org_internal::opt(f.picture->seal_id), org_internal::opt(f.picture->blob_id), now, now + opts_.ttl_s,
                    prepared.signed_attributes, prepared.pdf, static_cast<std::int64_t>(prepared.contents_offset),
                    static_cast<std::int64_t>(prepared.contents_capacity), created}));
    return {};
  }));
  log_.info("admin transfer letter drawn", {{"org_id", org_id}, {"letter", id}, {"by", account_id}});
  auto v = db_.read_value<AdminLetterView>([&](store::Tx& tx) { return load(tx, org_id, id); });
  if (v) v->algorithm = std::string(pki::sig_alg_name(f.cert.alg));
  return v;
}

Result<AdminLetterService::Signed> AdminLetterService::sign(const std::string& account_id, const std::string& org_id,
                                                            const std::string& letter_id, BytesView signature) {
  const std::int64_t now = clock_.now_unix();
  struct Facts {
    AdminLetterView v;
    HeldCertificate cert;
    Bytes prepared;
    std::int64_t offset = 0, capacity = 0;
    std::vector<Bytes> roots;
  };
  auto check_open = [&](const AdminLetterView& v) -> Status {
    if (v.signer_account_id != account_id) return not_found("letter_not_found", "no such letter");
    if (v.status == "signed") return conflict("letter_used", "this letter has been signed already");
    if (v.status == "expired") return conflict("letter_expired", "this letter has expired; draw a new one");
    return {};
  };
  CS_ASSIGN(auto f, db_.read_value<Facts>([&](store::Tx& tx) -> Result<Facts> {
    Facts out;
    CS_ASSIGN(out.v, load(tx, org_id, letter_id));
    CS_TRY(check_open(out.v));
    CS_ASSIGN(out.cert, held_certificate(tx, account_id, out.v.certificate_id, now));
    CS_ASSIGN(auto row, tx.query_one("SELECT prepared, contents_offset, contents_capacity FROM org_admin_letters "
                                     "WHERE id = ?",
                                     {letter_id}));
    out.prepared = row->blob("prepared");
    out.offset = row->integer("contents_offset");
    out.capacity = row->integer("contents_capacity");
    CS_ASSIGN(auto cas, tx.query("SELECT issuing_cert FROM pki_ca", {}));
    for (const auto& r : cas) out.roots.push_back(r.blob("issuing_cert"));
    return out;
  }));
  // The signature over what the letter asked to be signed, under the named certificate.
  if (!pki::verify_signature(f.cert.spki, f.cert.alg, f.v.signed_attributes, signature)) {
    log_.warn("admin transfer letter signature refused", {{"letter", letter_id}, {"by", account_id}});
    return permission_denied("letter_signature_invalid", "the signature does not verify under the letter's certificate");
  }
  docsign::HeldSigner signer;
  signer.alg = f.cert.alg;
  signer.signer_cert = f.cert.der;
  signer.chain = {f.cert.issuing_cert};
  signer.signed_attributes = f.v.signed_attributes;
  signer.contents_offset = static_cast<std::uint64_t>(f.offset);
  signer.contents_capacity = static_cast<std::size_t>(f.capacity);
  const docsign::TsaFunction tsa = [this](BytesView r) -> Result<Bytes> { return tsa_(r); };
  CS_ASSIGN(auto finished, docsign::finish_held_pdf(f.prepared, signer, signature, tsa_ ? &tsa : nullptr));
  // The whole file through our verifier: one signature, intact, valid, by this certificate,
  // trusted and valid at its time, covering the whole file.
  auto verified = docsign::verify_held_pdf(finished.pdf, f.roots);
  if (!verified) {
    if (verified.error().kind == ErrorKind::kInternal) return std::move(verified).error();
    log_.warn("admin transfer letter failed verification", {{"letter", letter_id}, {"problem", verified.error().code}});
    return permission_denied("letter_verification_failed", "the signed letter does not verify")
        .with_cause(verified.error().code);
  }
  const auto& reports = *verified;
  if (reports.size() != 1 || !reports[0].ok() || reports[0].signer_cert != f.cert.der || !reports[0].covers_whole_file) {
    const std::string why = reports.size() != 1 ? "signatures: " + std::to_string(reports.size()) : reports[0].problem;
    log_.warn("admin transfer letter failed verification", {{"letter", letter_id}, {"problem", why}});
    return permission_denied("letter_verification_failed", "the signed letter does not verify").with_cause(why);
  }
  const std::string sha = hex_encode(crypto::sha256(finished.pdf));
  const std::string level = finished.timestamped ? "PAdES-B-T" : "PAdES-B-B";
  OrgService::AdminTransferPlan plan;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load(tx, org_id, letter_id));
    CS_TRY(check_open(v));
    CS_TRY(held_certificate(tx, account_id, v.certificate_id, clock_.now_unix()));  // not revoked meanwhile
    CS_ASSIGN(auto n, tx.exec("UPDATE org_admin_letters SET status = 'signed', signed_pdf = ?, signed_sha256 = ?, "
                              "level = ?, signed_at = ? WHERE id = ? AND status = 'pending' AND expires_at >= ?",
                              {finished.pdf, sha, level, format_rfc3339(clock_.now()), letter_id, now}));
    if (n != 1) return conflict("letter_used", "this letter has been signed already");
    CS_ASSIGN(auto row, tx.query_one("SELECT former_membership_id FROM org_admin_letters WHERE id = ?", {letter_id}));
    plan.org_id = org_id;
    plan.signer_role = v.signer_role;
    plan.former_admin_account_id = v.former_admin_account_id;
    plan.former_membership_id = row->text("former_membership_id");
    plan.member_id = v.member_id;
    plan.new_admin_account_id = v.new_admin_account_id;
    CS_ASSIGN(auto org, tx.query_one("SELECT name FROM organisations WHERE id = ?", {org_id}));
    plan.org_name = org ? org->text("name") : "";
    return orgs_.transfer_admin_in(tx, account_id, plan, letter_id);
  }));
  orgs_.admin_transferred(plan);
  Signed out;
  CS_ASSIGN(out.letter, db_.read_value<AdminLetterView>([&](store::Tx& tx) { return load(tx, org_id, letter_id); }));
  out.letter.algorithm = std::string(pki::sig_alg_name(f.cert.alg));
  CS_ASSIGN(out.new_admin, orgs_.member_record(plan.member_id));
  return out;
}

Result<AdminLetterView> AdminLetterService::get(const std::string& account_id, const std::string& org_id,
                                                const std::string& letter_id) {
  return db_.read_value<AdminLetterView>([&](store::Tx& tx) -> Result<AdminLetterView> {
    CS_ASSIGN(auto v, load(tx, org_id, letter_id));
    if (v.signer_account_id != account_id && v.new_admin_account_id != account_id &&
        v.former_admin_account_id != account_id) {
      return not_found("letter_not_found", "no such letter");
    }
    if (v.signer_account_id != account_id) v.signed_attributes.clear();
    return v;
  });
}

Result<Bytes> AdminLetterService::pdf(const std::string& account_id, const std::string& org_id,
                                      const std::string& letter_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto v, load(tx, org_id, letter_id));
    CS_ASSIGN(auto row, tx.query_one("SELECT prepared, signed_pdf FROM org_admin_letters WHERE id = ?", {letter_id}));
    if (v.status == "pending" && v.signer_account_id == account_id) return row->blob("prepared");
    if (v.status != "signed") return not_found("letter_not_found", "no such letter");
    bool named = v.signer_account_id == account_id || v.new_admin_account_id == account_id ||
                 v.former_admin_account_id == account_id;
    if (!named) {
      CS_ASSIGN(auto admin, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                         "status = 'active' AND role IN ('admin', 'legal_representative')",
                                         {org_id, account_id}));
      named = admin.has_value();
    }
    if (!named) return not_found("letter_not_found", "no such letter");
    return row->blob("signed_pdf");
  });
}

Result<Bytes> AdminLetterService::page_png(const std::string& account_id, const std::string& org_id,
                                           const std::string& letter_id) {
  CS_ASSIGN(Bytes file, pdf(account_id, org_id, letter_id));
  return docsign::render_held_pdf_page(file, 1, 96);
}

Result<Bytes> AdminLetterService::pdf_for_operator(const std::string& org_id, const std::string& letter_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto row, tx.query_one("SELECT signed_pdf FROM org_admin_letters WHERE id = ? AND org_id = ? AND "
                                     "status = 'signed'",
                                     {letter_id, org_id}));
    if (!row) return not_found("letter_not_found", "no such signed letter");
    return row->blob("signed_pdf");
  });
}

}  // namespace certseal::service
