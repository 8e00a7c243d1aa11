// Seal makers' credentials: an SM2 key in the key manager and a seal-maker certificate from the
// maker CA (seal_service.h).
#include <algorithm>
#include <cmath>

#include "base/encoding.h"
#include "pki/profile.h"
#include "seal/seseal.h"
#include "service/seal/seal_internal.h"

namespace certseal::service {
namespace {

SealMakerCredential credential_from(const store::Row& r) {
  return {r.text("maker_id"), r.text("ca_id"), r.text("key_id"), r.text("certificate_id"), r.text("uscc"),
          r.text("created_at")};
}

}  // namespace

SealService::SealService(store::Database& db, ca::CaService& ca, keystore::KeyManager& km, const Clock& clock,
                         Rng& rng, Logger& log, SealServiceOptions opts)
    : db_(db), ca_(ca), km_(km), clock_(clock), rng_(rng), log_(log), opts_(std::move(opts)) {}

std::string SealService::now_text() const { return format_rfc3339(clock_.now()); }

Result<SealMakerCredential> SealService::certify_maker(const std::string& maker_id, const std::string& uscc) {
  if (!pki::valid_uscc(uscc)) return invalid_argument("bad_uscc", "统一社会信用代码无效");
  std::string name;
  std::optional<SealMakerCredential> have;
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto m, tx.query_one("SELECT name FROM seal_makers WHERE id = ?", {maker_id}));
    if (!m) return not_found("seal_maker_not_found", "印章机构不存在");
    name = m->text("name");
    CS_ASSIGN(auto c, tx.query_one("SELECT * FROM seal_maker_credentials WHERE maker_id = ?", {maker_id}));
    if (c) have = credential_from(*c);
    return ok_status();
  }));
  if (have) return *have;
  if (opts_.maker_ca_id.empty()) return failed_precondition("no_maker_ca", "没有配置为印章机构签发证书的 SM2 CA");
  CS_ASSIGN(keystore::KeyInfo key, km_.generate(crypto::KeyType::kSm2, "seal-maker:" + maker_id));
  ca::IssueInput in;
  in.request_id = "seal-maker:" + maker_id + ":" + key.id;
  in.ca_id = opts_.maker_ca_id;
  in.profile = "seal_maker";
  in.subject.organization = name;
  in.subject.uscc = uscc;
  in.public_key = base64_encode(key.public_key);
  in.validity_days = opts_.maker_validity_days;
  auto cert = ca_.issue(in);
  if (!cert) {
    (void)km_.destroy(key.id);
    return std::move(cert).error();
  }
  SealMakerCredential cred{maker_id, opts_.maker_ca_id, key.id, cert->id, uscc, now_text()};
  Status st = db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto c, tx.query_one("SELECT * FROM seal_maker_credentials WHERE maker_id = ?", {maker_id}));
    if (c) {
      have = credential_from(*c);  // a concurrent call won
      return ok_status();
    }
    CS_TRY(tx.exec("INSERT INTO seal_maker_credentials (maker_id, ca_id, key_id, certificate_id, uscc, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {cred.maker_id, cred.ca_id, cred.key_id, cred.certificate_id, cred.uscc, cred.created_at}));
    return ok_status();
  });
  if (!st.ok() || have) {
    (void)km_.destroy(key.id);
    // The certificate just issued is not used: revoke it so it cannot sign seals.
    (void)ca_.revoke("seal-maker-unused:" + cert->id, cert->id, pki::RevocationReason::kSuperseded);
    if (!st.ok()) return std::move(st).error();
    return *have;
  }
  log_.info("seal maker certified", {{"maker", maker_id}, {"certificate", cert->id}});
  return cred;
}

Result<std::vector<SealMakerCredential>> SealService::maker_credentials() {
  return db_.read_value<std::vector<SealMakerCredential>>([&](store::Tx& tx) -> Result<std::vector<SealMakerCredential>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM seal_maker_credentials ORDER BY maker_id"));
    std::vector<SealMakerCredential> out;
    for (const auto& r : rows) out.push_back(credential_from(r));
    return out;
  });
}

// The seal data for the seal's current certificate, signed by its maker.
Result<Bytes> SealService::sign_seal(store::Tx& tx, const Row& row) {
  CS_ASSIGN(auto cred, tx.query_one("SELECT * FROM seal_maker_credentials WHERE maker_id = ?", {row.view.maker_id}));
  if (!cred) return failed_precondition("seal_maker_not_certified", "印章机构还没有制章证书");
  CS_ASSIGN(auto maker_cert, tx.query_one("SELECT der, status, not_after FROM pki_certificate WHERE id = ?",
                                          {cred->text("certificate_id")}));
  if (!maker_cert || maker_cert->text("status") != "valid") {
    return failed_precondition("seal_maker_not_certified", "印章机构的制章证书已失效");
  }
  CS_ASSIGN(auto cert, tx.query_one("SELECT der, not_after FROM pki_certificate WHERE id = ?", {row.view.certificate_id}));
  if (!cert) return seal_internal::certificate_not_found();
  seal::SealInfo info;
  info.vendor_id = "CERTSEAL";
  info.seal_id = row.view.id;
  info.holder = seal_internal::personal_kind(row.view.kind) ? seal::SealHolder::kPersonal : seal::SealHolder::kOrganisation;
  info.name = row.view.name;
  info.certificates = {cert->blob("der")};
  info.created = clock_.now();
  info.valid_from = clock_.now();
  info.valid_to = sys_time_from_unix(std::min(cert->integer("not_after"), maker_cert->integer("not_after")));
  if (info.valid_to <= info.valid_from) return failed_precondition("certificate_expired", "证书已过期");
  info.picture_type = "PNG";
  info.picture = row.png;
  info.picture_width_mm = std::max(1, static_cast<int>(std::lround(row.view.width_mm)));
  info.picture_height_mm = std::max(1, static_cast<int>(std::lround(row.view.height_mm)));
  const std::string key_id = cred->text("key_id");
  return seal::build_seseal_v4(info, maker_cert->blob("der"), [&](BytesView tbs) {
    return km_.sign(key_id, crypto::SignScheme::kSm2Sm3, tbs, crypto::kSm2DefaultId);
  });
}

}  // namespace certseal::service
