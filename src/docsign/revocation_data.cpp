#include "docsign/revocation_data.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "crypto/hash.h"
#include "crypto/ossl.h"
#include "docsign/pades_cms.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/signer.h"

namespace certseal::docsign {
namespace {

namespace der = pki::der;

constexpr std::string_view kOidSha1 = "1.3.14.3.2.26";
constexpr std::string_view kOidSha256 = "2.16.840.1.101.3.4.2.1";
constexpr std::string_view kOidOcspBasic = "1.3.6.1.5.5.7.48.1.1";
constexpr std::string_view kOidNonce = "1.3.6.1.5.5.7.48.1.2";

bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

Bytes sha1(BytesView data) {
  Bytes out(20);
  EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha1(), nullptr);
  return out;
}

using Kids = std::vector<std::pair<der::Tlv, BytesView>>;  // (header facts, whole TLV)

std::optional<Kids> children(BytesView content) {
  Kids out;
  while (!content.empty()) {
    auto t = der::read_tlv(content);
    if (!t) return std::nullopt;
    out.emplace_back(*t, content.subspan(0, t->total()));
    content = content.subspan(t->total());
  }
  return out;
}
BytesView inner(const std::pair<der::Tlv, BytesView>& k) { return k.first.content(k.second); }
std::optional<Kids> kids_of(const std::pair<der::Tlv, BytesView>& k) { return children(inner(k)); }
std::optional<Kids> top(BytesView der_bytes) {
  auto t = der::read_tlv(der_bytes);
  if (!t || t->total() != der_bytes.size()) return std::nullopt;
  return children(t->content(der_bytes));
}

// A magnitude: the INTEGER's content without a leading 0x00.
Bytes magnitude(BytesView content) {
  std::size_t i = 0;
  while (i + 1 < content.size() && content[i] == 0) ++i;
  return Bytes(content.begin() + static_cast<std::ptrdiff_t>(i), content.end());
}

// The signature algorithm of an AlgorithmIdentifier, by its OID.
std::optional<pki::SigAlg> sig_alg_of(BytesView alg_id) {
  auto k = top(alg_id);
  if (!k || k->empty() || (*k)[0].first.tag != der::kOid) return std::nullopt;
  for (pki::SigAlg a : {pki::SigAlg::kSm2Sm3, pki::SigAlg::kEcdsaSha256, pki::SigAlg::kRsaSha256}) {
    if (same((*k)[0].second, der::oid_or_die(pki::sig_alg_oid(a)))) return a;
  }
  return std::nullopt;
}

// {tbs, signatureAlgorithm, signature BIT STRING}: CRLs, BasicOCSPResponses and certificates.
bool signature_checks(BytesView tbs, BytesView alg_id, BytesView sig_bits, BytesView signer_spki) {
  auto a = sig_alg_of(alg_id);
  if (!a || sig_bits.empty() || sig_bits[0] != 0) return false;
  BytesView sig = sig_bits.subspan(1);
  if (pki::verify_signature(signer_spki, *a, tbs, sig)) return true;
  return *a == pki::SigAlg::kSm2Sm3 && pki::verify_signature(signer_spki, *a, tbs, sig, "").ok();
}

bool cert_signed_by(BytesView cert, BytesView issuer_spki) {
  auto k = top(cert);
  if (!k || k->size() != 3 || (*k)[2].first.tag != der::kBitString) return false;
  return signature_checks((*k)[0].second, (*k)[1].second, inner((*k)[2]), issuer_spki);
}

bool has_ocsp_signing(BytesView cert) {
  const unsigned char* p = cert.data();
  crypto::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(cert.size())));
  if (!x) return false;
  return (X509_get_extension_flags(x.get()) & EXFLAG_XKUSAGE) != 0 &&
         (X509_get_extended_key_usage(x.get()) & XKU_OCSP_SIGN) != 0;
}

struct Issuer {
  pki::CertFacts facts;
  Bytes key_bits;
};

// --- CRL ----------------------------------------------------------------------------------------

struct CrlCheck {
  bool counts = false, revoked = false, unrelated = false;
  std::optional<SysTime> revoked_at;
  std::string problem;
};

CrlCheck check_crl(BytesView crl, const pki::CertFacts& cert, const Issuer& issuer, SysTime at) {
  CrlCheck c;
  auto k = top(crl);
  if (!k || k->size() != 3 || (*k)[0].first.tag != der::kSequence || (*k)[2].first.tag != der::kBitString) {
    c.problem = "a CRL does not parse";
    return c;
  }
  auto tbs = kids_of((*k)[0]);
  if (!tbs) {
    c.problem = "a CRL does not parse";
    return c;
  }
  std::size_t i = 0;
  if (i < tbs->size() && (*tbs)[i].first.tag == der::kInteger) ++i;  // version
  if (tbs->size() < i + 3) {
    c.problem = "a CRL does not parse";
    return c;
  }
  const BytesView crl_issuer = (*tbs)[i + 1].second;
  if (!same(crl_issuer, cert.issuer)) {
    c.problem = "a CRL from another issuer (" + pki::name_text(crl_issuer) + ")";
    c.unrelated = true;
    return c;
  }
  if (!signature_checks((*k)[0].second, (*k)[1].second, inner((*k)[2]), issuer.facts.spki)) {
    c.problem = "a CRL whose signature does not verify under the issuer's key";
    return c;
  }
  auto this_update = pades::read_time((*tbs)[i + 2].second);
  if (!this_update) {
    c.problem = "a CRL with a bad thisUpdate";
    return c;
  }
  std::size_t j = i + 3;
  std::optional<SysTime> next_update;
  if (j < tbs->size() && ((*tbs)[j].first.tag == der::kUtcTime || (*tbs)[j].first.tag == der::kGeneralizedTime)) {
    auto n = pades::read_time((*tbs)[j].second);
    if (n) next_update = *n;
    ++j;
  }
  const bool current_then = *this_update <= at && (!next_update || at <= *next_update);
  if (!current_then && *this_update < at) {
    c.problem = "a CRL that had expired before the time in question";
    return c;
  }
  if (j < tbs->size() && (*tbs)[j].first.tag == der::kSequence) {
    auto entries = kids_of((*tbs)[j]);
    if (!entries) {
      c.problem = "a CRL's revoked list does not parse";
      return c;
    }
    for (const auto& e : *entries) {
      auto f = kids_of(e);
      if (!f || f->size() < 2 || (*f)[0].first.tag != der::kInteger) continue;
      if (!same(magnitude(inner((*f)[0])), magnitude(cert.serial))) continue;
      auto when = pades::read_time((*f)[1].second);
      if (!when) {
        c.problem = "a CRL entry with a bad revocation date";
        return c;
      }
      c.revoked_at = *when;
      c.revoked = *when <= at;
    }
  }
  c.counts = true;
  return c;
}

// --- OCSP ---------------------------------------------------------------------------------------

struct OcspCheck {
  bool counts = false, revoked = false, unrelated = false;
  std::optional<SysTime> revoked_at;
  std::string problem;
};

OcspCheck check_ocsp(BytesView resp, const pki::CertFacts& cert, const Issuer& issuer,
                     const std::vector<Bytes>& pool, SysTime at) {
  OcspCheck c;
  auto bad = [&](const std::string& why) {
    c.problem = why;
    return c;
  };
  // OCSPResponse { responseStatus ENUMERATED, responseBytes [0] EXPLICIT { type, OCTET STRING } }
  auto k = top(resp);
  if (!k || k->empty() || (*k)[0].first.tag != der::kEnumerated) return bad("an OCSP response does not parse");
  if (inner((*k)[0]).size() != 1 || inner((*k)[0])[0] != 0 || k->size() < 2) return bad("an unsuccessful OCSP response");
  auto rb_outer = kids_of((*k)[1]);
  if (!rb_outer || rb_outer->size() != 1) return bad("an OCSP response does not parse");
  auto rb = kids_of((*rb_outer)[0]);
  if (!rb || rb->size() != 2 || !same((*rb)[0].second, der::oid_or_die(kOidOcspBasic)) ||
      (*rb)[1].first.tag != der::kOctetString) {
    return bad("an OCSP response that is not a basic response");
  }
  // BasicOCSPResponse { tbsResponseData, signatureAlgorithm, signature, certs [0] EXPLICIT OPTIONAL }
  auto basic = top(inner((*rb)[1]));
  if (!basic || basic->size() < 3 || (*basic)[2].first.tag != der::kBitString) return bad("an OCSP response does not parse");
  std::vector<Bytes> candidates = pool;
  if (basic->size() >= 4 && (*basic)[3].first.tag == der::context(0, true)) {
    auto wrap = kids_of((*basic)[3]);
    if (wrap && wrap->size() == 1) {
      auto certs = kids_of((*wrap)[0]);
      if (certs) {
        for (const auto& ce : *certs) candidates.emplace_back(ce.second.begin(), ce.second.end());
      }
    }
  }
  auto data = kids_of((*basic)[0]);
  if (!data) return bad("an OCSP response does not parse");
  std::size_t i = 0;
  if (i < data->size() && (*data)[i].first.tag == der::context(0, true)) ++i;  // version
  if (data->size() < i + 3) return bad("an OCSP response does not parse");
  const auto& responder = (*data)[i];
  auto produced_at = pades::read_time((*data)[i + 1].second);
  // Who signed: the issuer itself, or a delegated responder the issuer certified for OCSP signing.
  std::optional<Bytes> signer_spki;
  auto matches_responder = [&](const pki::CertFacts& f) {
    if (responder.first.tag == der::context(1, true)) {  // byName
      auto name = kids_of(responder);
      return name && name->size() == 1 && same((*name)[0].second, f.subject);
    }
    if (responder.first.tag == der::context(2, true)) {  // byKey
      auto hash = kids_of(responder);
      auto bits = pki::public_key_bits(f.spki);
      return hash && hash->size() == 1 && bits && same(inner((*hash)[0]), sha1(*bits));
    }
    return false;
  };
  if (matches_responder(issuer.facts)) {
    signer_spki = issuer.facts.spki;
  } else {
    for (const auto& cand : candidates) {
      auto f = pki::read_certificate(cand);
      if (!f || !matches_responder(*f)) continue;
      if (!same(f->issuer, issuer.facts.subject) || !cert_signed_by(cand, issuer.facts.spki)) continue;
      if (!has_ocsp_signing(cand)) continue;
      if (!produced_at || *produced_at < f->not_before || *produced_at > f->not_after) continue;
      signer_spki = f->spki;
      break;
    }
  }
  if (!signer_spki) return bad("an OCSP response not signed by the issuer or a responder it authorised");
  if (!signature_checks((*basic)[0].second, (*basic)[1].second, inner((*basic)[2]), *signer_spki)) {
    return bad("an OCSP response whose signature does not verify");
  }
  auto singles = kids_of((*data)[i + 2]);
  if (!singles) return bad("an OCSP response does not parse");
  for (const auto& s : *singles) {
    auto f = kids_of(s);
    if (!f || f->size() < 3) continue;
    auto id = kids_of((*f)[0]);
    if (!id || id->size() != 4 || (*id)[3].first.tag != der::kInteger) continue;
    auto alg = kids_of((*id)[0]);
    if (!alg || alg->empty()) continue;
    const BytesView oid = (*alg)[0].second;
    Bytes name_hash, key_hash;
    if (same(oid, der::oid_or_die(kOidSha1))) {
      name_hash = sha1(cert.issuer);
      key_hash = sha1(issuer.key_bits);
    } else if (same(oid, der::oid_or_die(kOidSha256))) {
      name_hash = crypto::sha256(cert.issuer);
      key_hash = crypto::sha256(issuer.key_bits);
    } else {
      continue;
    }
    if (!same(inner((*id)[1]), name_hash) || !same(inner((*id)[2]), key_hash) ||
        !same(magnitude(inner((*id)[3])), magnitude(cert.serial))) {
      continue;
    }
    auto this_update = pades::read_time((*f)[2].second);
    if (!this_update) return bad("an OCSP answer with a bad thisUpdate");
    // Seconds precision (ours) against a time stamp's fraction: within the same second counts.
    if (*this_update + std::chrono::seconds(1) <= at) return bad("an OCSP answer from before the time in question");
    const std::uint8_t tag = (*f)[1].first.tag;
    if (tag == der::context(0, false)) {  // good
      c.counts = true;
      return c;
    }
    if (tag == der::context(1, true)) {  // revoked { revocationTime, [0] reason OPTIONAL }
      auto info = kids_of((*f)[1]);
      if (!info || info->empty()) return bad("an OCSP answer with a bad revocation");
      auto when = pades::read_time((*info)[0].second);
      if (!when) return bad("an OCSP answer with a bad revocation time");
      c.counts = true;
      c.revoked_at = *when;
      c.revoked = *when <= at;
      return c;
    }
    return bad("an OCSP answer that does not know the certificate");
  }
  c.unrelated = true;
  return bad("an OCSP response about another certificate");
}

}  // namespace

Result<Bytes> ocsp_request(BytesView cert, BytesView issuer_cert, BytesView nonce) {
  CS_ASSIGN(auto c, pki::read_certificate(cert));
  CS_ASSIGN(auto i, pki::read_certificate(issuer_cert));
  CS_ASSIGN(Bytes bits, pki::public_key_bits(i.spki));
  Bytes cert_id = der::seq({der::seq({der::oid_or_die(kOidSha1), der::null()}), der::octet_string(sha1(c.issuer)),
                            der::octet_string(sha1(bits)), der::integer_unsigned(c.serial)});
  Bytes request_list = der::seq({der::seq({cert_id})});
  if (nonce.empty()) return der::seq({der::seq({request_list})});
  // requestExtensions [2] EXPLICIT Extensions: id-pkix-ocsp-nonce, the value an OCTET STRING.
  Bytes ext = der::seq({der::oid_or_die(kOidNonce), der::octet_string(der::octet_string(nonce))});
  return der::seq({der::seq({request_list, der::explicit_tag(2, der::seq({ext}))})});
}

RevocationVerdict check_revocation(BytesView cert, BytesView issuer_cert, const std::vector<Bytes>& crls,
                                   const std::vector<Bytes>& ocsps, const std::vector<Bytes>& pool, SysTime at) {
  RevocationVerdict v;
  auto c = pki::read_certificate(cert);
  auto i = pki::read_certificate(issuer_cert);
  if (!c || !i) {
    v.rejected.push_back("the certificate or its issuer does not parse");
    return v;
  }
  auto bits = pki::public_key_bits(i->spki);
  if (!bits) {
    v.rejected.push_back("the issuer's key does not parse");
    return v;
  }
  Issuer issuer{*i, *bits};
  bool by_ocsp = false, by_crl = false;
  auto note = [&](bool revoked, const std::optional<SysTime>& when) {
    if (revoked) {
      v.revoked = true;
      if (when && (!v.revoked_at || *when < *v.revoked_at)) v.revoked_at = when;
    }
  };
  for (const auto& o : ocsps) {
    auto r = check_ocsp(o, *c, issuer, pool, at);
    if (!r.counts) {
      (r.unrelated ? v.unrelated : v.rejected).push_back(r.problem);
      continue;
    }
    by_ocsp = true;
    note(r.revoked, r.revoked_at);
  }
  for (const auto& crl : crls) {
    auto r = check_crl(crl, *c, issuer, at);
    if (!r.counts) {
      (r.unrelated ? v.unrelated : v.rejected).push_back(r.problem);
      continue;
    }
    by_crl = true;
    note(r.revoked, r.revoked_at);
  }
  v.known = by_ocsp || by_crl;
  v.source = by_ocsp && by_crl ? "ocsp+crl" : by_ocsp ? "ocsp" : by_crl ? "crl" : "";
  return v;
}

}  // namespace certseal::docsign
