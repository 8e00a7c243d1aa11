// SceneService::verify: the verification API for relying parties (docs/INTEGRATION.md
// "Verifying a signature").
#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "docsign/pades_cms.h"
#include "pki/certificate.h"
#include "pki/cms_signed.h"
#include "pki/der.h"
#include "pki/signer.h"
#include "service/scene/scene_service.h"

namespace certseal::service {
namespace {

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
struct CertParts {
  Bytes tbs, alg, sig;
};
Result<CertParts> cert_parts(BytesView der) {
  CS_ASSIGN(auto outer, pki::der::read_tlv(der));
  BytesView in = outer.content(der);
  CertParts p;
  for (Bytes* slot : {&p.tbs, &p.alg, &p.sig}) {
    CS_ASSIGN(auto t, pki::der::read_tlv(in));
    if (slot == &p.sig) {
      BytesView c = t.content(in);
      if (c.empty() || c[0] != 0) return invalid_argument("bad_certificate", "bit string");
      slot->assign(c.begin() + 1, c.end());
    } else {
      slot->assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(t.total()));
    }
    in = in.subspan(t.total());
  }
  return p;
}

}  // namespace

nlohmann::json SignatureReport::to_json() const {
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"valid", valid},
          {"problem", opt(problem)},
          {"form", opt(form)},
          {"algorithm", opt(algorithm)},
          {"signing_time", opt(signing_time)},
          {"detached", detached},
          {"content_sha256", opt(content_sha256)},
          {"signer",
           {{"certificate_pem", opt(certificate_pem)},
            {"subject", opt(subject)},
            {"issuer", opt(issuer)},
            {"serial", opt(serial)},
            {"issued_here", issued_here},
            {"chain_ok", chain_ok},
            {"certificate_id", opt(certificate_id)},
            {"ca_id", opt(ca_id)},
            {"status_now", opt(status_now)},
            {"revoked_at", revoked_at ? nlohmann::json(format_rfc3339(sys_time_from_unix(*revoked_at)))
                                      : nlohmann::json(nullptr)},
            {"valid_at_signing_time", valid_at_signing_time}}},
          {"timestamp", timestamp_time.empty() ? nlohmann::json(nullptr)
                                               : nlohmann::json{{"time", timestamp_time}, {"valid", timestamp_valid}}}};
}

Result<SignatureReport> SceneService::verify(BytesView cms, std::optional<BytesView> content) {
  SignatureReport r;
  auto v = pki::cms::verify(cms, content);
  if (!v) {
    if (v.error().code == "cms_malformed" || v.error().code == "cms_content_missing") return std::move(v).error();
    r.problem = v.error().code;
    return r;
  }
  r.form = std::string(pki::cms::form_name(v->form));
  r.algorithm = std::string(pki::sig_alg_name(v->alg));
  r.signing_time = format_rfc3339(v->signing_time);
  r.detached = v->detached;
  r.content_sha256 = hex_encode(crypto::sha256(v->content));
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(v->signing_time.time_since_epoch()).count();
  CS_TRY(check_signer(r, v->certificate, t, "cms_malformed"));
  if (v->timestamp_token) {
    auto ts = docsign::pades::check_timestamp(*v->timestamp_token, v->signature);
    if (!ts) {
      r.timestamp_time = "unreadable";
    } else {
      r.timestamp_time = format_rfc3339(ts->gen_time);
      bool ours = false;
      CS_TRY(db_.read([&](store::Tx& tx) -> Status {
        CS_ASSIGN(auto row, tx.query_one("SELECT 1 FROM pki_certificate WHERE der = ?", {ts->tsa_cert}));
        ours = row.has_value();
        return {};
      }));
      r.timestamp_valid = ts->imprint_matches && ts->signature_valid && ours;
    }
  }
  return r;
}

Result<SignatureReport> SceneService::verify_raw(BytesView certificate, BytesView content, BytesView signature,
                                                 std::optional<SysTime> at) {
  SignatureReport r;
  r.form = "raw";
  r.detached = true;
  r.content_sha256 = hex_encode(crypto::sha256(content));
  auto facts = pki::read_certificate(certificate);
  if (!facts) return invalid_argument("certificate_malformed", "the certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key) return invalid_argument("certificate_malformed", "the certificate's key does not parse");
  const pki::SigAlg alg = pki::sig_alg_for(key->type());
  r.algorithm = std::string(pki::sig_alg_name(alg));
  const SysTime when = at.value_or(clock_.now());
  r.signing_time = format_rfc3339(when);
  const std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
  CS_TRY(check_signer(r, Bytes(certificate.begin(), certificate.end()), t, "certificate_malformed"));
  if (!pki::verify_signature(facts->spki, alg, content, signature)) {
    r.problem = "signature_invalid";
    r.valid = false;
  }
  return r;
}

Status SceneService::check_signer(SignatureReport& r, const Bytes& certificate, std::int64_t t,
                                  std::string_view malformed_code) {
  r.certificate_pem = pem_encode("CERTIFICATE", certificate);
  auto facts = pki::read_certificate(certificate);
  if (!facts) return invalid_argument(std::string(malformed_code), "the signer's certificate does not parse");
  r.subject = pki::name_text(facts->subject);
  r.issuer = pki::name_text(facts->issuer);
  r.serial = hex_encode(facts->serial);
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto row, tx.query_one("SELECT c.id, c.ca_id, c.status, c.not_before, c.not_after, c.revoked_at, "
                                     "a.issuing_cert, a.sm2_id FROM pki_certificate c JOIN pki_ca a ON a.id = c.ca_id "
                                     "WHERE c.der = ?",
                                     {certificate}));
    if (!row) return {};
    r.issued_here = true;
    r.certificate_id = row->text("id");
    r.ca_id = row->text("ca_id");
    r.status_now = row->text("status");
    if (!row->is_null("revoked_at")) r.revoked_at = row->integer("revoked_at");
    // The chain: the certificate's own signature under the issuing CA of record.
    auto parts = cert_parts(certificate);
    auto ca = pki::read_certificate(row->blob("issuing_cert"));
    if (parts && ca) {
      for (pki::SigAlg a : {pki::SigAlg::kSm2Sm3, pki::SigAlg::kEcdsaSha256, pki::SigAlg::kRsaSha256}) {
        if (parts->alg == pki::algorithm_identifier(a)) {
          r.chain_ok = pki::verify_signature(ca->spki, a, parts->tbs, parts->sig, row->text("sm2_id")).ok();
        }
      }
    }
    r.valid_at_signing_time = row->integer("not_before") <= t && t <= row->integer("not_after") &&
                              (!r.revoked_at || *r.revoked_at > t);
    return {};
  }));
  if (!r.issued_here) r.problem = "certificate_unknown";
  else if (!r.chain_ok) r.problem = "chain_invalid";
  else if (!r.valid_at_signing_time) r.problem = "not_valid_then";
  r.valid = r.problem.empty();
  return {};
}

}  // namespace certseal::service
