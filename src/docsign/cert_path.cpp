#include "docsign/cert_path.h"

#include <algorithm>

#include "pki/certificate.h"
#include "pki/der.h"
#include "pki/signer.h"

namespace certseal::docsign {
namespace {

namespace der = pki::der;

bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

struct Parts {
  Bytes tbs, alg, sig;
};

// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
std::optional<Parts> split(BytesView cert) {
  auto outer = der::read_tlv(cert);
  if (!outer) return std::nullopt;
  BytesView c = outer->content(cert);
  Parts p;
  Bytes* out[] = {&p.tbs, &p.alg, &p.sig};
  for (int i = 0; i < 3; ++i) {
    auto t = der::read_tlv(c);
    if (!t) return std::nullopt;
    BytesView whole = c.subspan(0, t->total());
    if (i < 2) {
      out[i]->assign(whole.begin(), whole.end());
    } else {
      BytesView bits = t->content(whole);
      if (t->tag != der::kBitString || bits.empty() || bits[0] != 0) return std::nullopt;
      out[i]->assign(bits.begin() + 1, bits.end());
    }
    c = c.subspan(t->total());
  }
  return p;
}

bool signed_by(BytesView cert, BytesView issuer_spki) {
  auto p = split(cert);
  if (!p) return false;
  // AlgorithmIdentifier → OID text via the known encodings.
  for (pki::SigAlg a : {pki::SigAlg::kSm2Sm3, pki::SigAlg::kEcdsaSha256, pki::SigAlg::kRsaSha256}) {
    if (!same(p->alg, pki::algorithm_identifier(a))) continue;
    if (pki::verify_signature(issuer_spki, a, p->tbs, p->sig)) return true;
    return a == pki::SigAlg::kSm2Sm3 && pki::verify_signature(issuer_spki, a, p->tbs, p->sig, "").ok();
  }
  return false;
}

}  // namespace

std::optional<Bytes> find_issuer(BytesView cert, const std::vector<Bytes>& candidates) {
  auto f = pki::read_certificate(cert);
  if (!f) return std::nullopt;
  for (const auto& cand : candidates) {
    auto cf = pki::read_certificate(cand);
    if (cf && same(cf->subject, f->issuer) && !same(cand, cert) && signed_by(cert, cf->spki)) return cand;
  }
  return std::nullopt;
}

PathResult check_cert_path(BytesView leaf, const std::vector<Bytes>& intermediates, const std::vector<Bytes>& roots,
                           SysTime at) {
  PathResult r;
  r.valid_at_time = true;
  Bytes current(leaf.begin(), leaf.end());
  for (int depth = 0; depth < 8; ++depth) {
    auto f = pki::read_certificate(current);
    if (!f) {
      r.problem = "a certificate on the path does not parse";
      return r;
    }
    if (at < f->not_before || at > f->not_after) {
      r.valid_at_time = false;
      if (r.problem.empty()) r.problem = "certificate " + pki::name_text(f->subject) + " was not valid at that time";
    }
    for (const auto& root : roots) {
      if (same(root, current)) {
        r.trusted = true;
        if (!r.valid_at_time) return r;
        return r;
      }
    }
    // The issuer: a root first, then an intermediate from the signature.
    std::optional<Bytes> issuer;
    for (const auto* pool : {&roots, &intermediates}) {
      for (const auto& cand : *pool) {
        auto cf = pki::read_certificate(cand);
        if (cf && same(cf->subject, f->issuer) && !same(cand, current) && signed_by(current, cf->spki)) {
          issuer = cand;
          break;
        }
      }
      if (issuer) break;
    }
    if (!issuer) {
      r.problem = "no trusted issuer found for " + pki::name_text(f->subject);
      r.valid_at_time = r.valid_at_time && false;
      return r;
    }
    current = *issuer;
  }
  r.problem = "certificate path too long";
  return r;
}

}  // namespace certseal::docsign
