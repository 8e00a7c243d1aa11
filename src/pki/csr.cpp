#include "pki/csr.h"

#include <openssl/objects.h>

#include "base/encoding.h"
#include "crypto/ossl.h"
#include "crypto/ossl_bytes.h"
#include "pki/der.h"

namespace certseal::pki {
namespace {

Error bad_csr(std::string why = {}) {
  return Error(ErrorKind::kInvalidArgument, "bad_csr", "the certificate request is not a valid PKCS#10 CSR",
               std::move(why));
}

std::string oid_text(const ASN1_OBJECT* o, bool prefer_short) {
  int nid = OBJ_obj2nid(o);
  if (prefer_short && nid != NID_undef) return OBJ_nid2sn(nid);
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, o, 1);
  return buf;
}

}  // namespace

Result<Csr> parse_csr(BytesView input) {
  Bytes der;
  std::string_view text = as_chars(input);
  if (text.find("-----BEGIN") != std::string_view::npos) {
    auto blocks = pem_decode_all(text);
    if (!blocks || blocks->empty()) return bad_csr("no PEM block");
    der = (*blocks)[0].der;
  } else {
    der.assign(input.begin(), input.end());
  }
  // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
  auto outer = der::read_tlv(der);
  if (!outer || outer->tag != der::kSequence || outer->total() != der.size()) return bad_csr("outer");
  BytesView body = outer->content(der);
  auto info = der::read_tlv(body);
  if (!info || info->tag != der::kSequence) return bad_csr("info");
  BytesView tbs = body.subspan(0, info->total());
  BytesView rest = body.subspan(info->total());
  auto alg = der::read_tlv(rest);
  if (!alg || alg->tag != der::kSequence) return bad_csr("alg");
  BytesView alg_body = alg->content(rest);
  auto oid = der::read_tlv(alg_body);
  if (!oid || oid->tag != der::kOid) return bad_csr("alg oid");
  const unsigned char* op = alg_body.data();
  ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &op, static_cast<long>(oid->total()));
  if (!obj) return bad_csr("alg oid");
  std::string alg_oid = oid_text(obj, false);
  ASN1_OBJECT_free(obj);
  BytesView sig_part = rest.subspan(alg->total());
  auto sig = der::read_tlv(sig_part);
  if (!sig || sig->tag != der::kBitString || sig->length < 1) return bad_csr("signature");
  BytesView sig_bits = sig->content(sig_part).subspan(1);

  const unsigned char* p = der.data();
  crypto::X509ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req) return bad_csr(crypto::drain_openssl_errors());
  Csr out;
  X509_PUBKEY* pub = X509_REQ_get_X509_PUBKEY(req.get());
  int n = i2d_X509_PUBKEY(pub, nullptr);
  if (n <= 0) return bad_csr("public key");
  out.spki.resize(static_cast<std::size_t>(n));
  unsigned char* q = out.spki.data();
  i2d_X509_PUBKEY(pub, &q);

  CS_ASSIGN(SigAlg a, sig_alg_from_oid(alg_oid));
  // SM2: the GM/T 0009 default ID, or the empty ID that OpenSSL 3.0's `openssl req` uses.
  auto v = verify_signature(out.spki, a, tbs, sig_bits);
  if (!v && a == SigAlg::kSm2Sm3) v = verify_signature(out.spki, a, tbs, sig_bits, "");
  if (!v) {
    if (v.error().code == "unsupported_key_type") return std::move(v).error();
    return Error(ErrorKind::kInvalidArgument, "csr_signature_invalid",
                 "the signature of the certificate request does not verify", v.error().cause);
  }
  const X509_NAME* name = X509_REQ_get_subject_name(req.get());
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    const crypto::OsslBuffer owned(utf8);
    if (len < 0) return bad_csr("subject text");
    out.subject.push_back({oid_text(X509_NAME_ENTRY_get_object(e), true),
                           std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len))});
  }
  return out;
}

}  // namespace certseal::pki
