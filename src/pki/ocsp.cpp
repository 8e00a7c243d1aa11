#include "pki/ocsp.h"

#include <openssl/objects.h>

#include "crypto/ossl.h"
#include "pki/der.h"

namespace certseal::pki {
namespace {

Error bad_request(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "bad_ocsp_request", "malformed OCSP request", std::move(why));
}

Bytes asn1_string_bytes(const ASN1_STRING* s) {
  if (!s) return {};
  const unsigned char* d = ASN1_STRING_get0_data(s);
  return Bytes(d, d + ASN1_STRING_length(s));
}

}  // namespace

Result<OcspRequest> parse_ocsp_request(BytesView der) {
  const unsigned char* p = der.data();
  crypto::OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
  if (!req) return bad_request(crypto::drain_openssl_errors());
  OcspRequest out;
  int n = OCSP_request_onereq_count(req.get());
  if (n <= 0) return bad_request("no CertID");
  for (int i = 0; i < n; ++i) {
    OCSP_ONEREQ* one = OCSP_request_onereq_get0(req.get(), i);
    OCSP_CERTID* cid = OCSP_onereq_get0_id(one);
    ASN1_OCTET_STRING* name_hash = nullptr;
    ASN1_OCTET_STRING* key_hash = nullptr;
    ASN1_OBJECT* md = nullptr;
    ASN1_INTEGER* serial = nullptr;
    if (!OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, cid)) return bad_request("CertID");
    OcspCertId id;
    int len = i2d_OCSP_CERTID(cid, nullptr);
    if (len <= 0) return bad_request("CertID encoding");
    id.der.resize(static_cast<std::size_t>(len));
    unsigned char* q = id.der.data();
    i2d_OCSP_CERTID(cid, &q);
    int nid = OBJ_obj2nid(md);
    id.hash = nid == NID_sha1 ? "SHA1" : nid == NID_sha256 ? "SHA256" : nid == NID_sm3 ? "SM3" : "";
    id.name_hash = asn1_string_bytes(name_hash);
    id.key_hash = asn1_string_bytes(key_hash);
    id.serial = asn1_string_bytes(serial);
    if (serial && ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) id.serial.clear();
    out.ids.push_back(std::move(id));
  }
  int idx = OCSP_REQUEST_get_ext_by_NID(req.get(), NID_id_pkix_OCSP_Nonce, -1);
  if (idx >= 0) {
    X509_EXTENSION* ext = OCSP_REQUEST_get_ext(req.get(), idx);
    out.nonce = asn1_string_bytes(X509_EXTENSION_get_data(ext));
  }
  return out;
}

bool cert_id_matches(const OcspCertId& id, BytesView issuer_name, BytesView issuer_key_bits) {
  const EVP_MD* md = id.hash == "SHA1" ? EVP_sha1() : id.hash == "SHA256" ? EVP_sha256()
                   : id.hash == "SM3" ? EVP_sm3() : nullptr;
  if (!md) return false;
  unsigned char h[EVP_MAX_MD_SIZE];
  unsigned int hl = 0;
  EVP_Digest(issuer_name.data(), issuer_name.size(), h, &hl, md, nullptr);
  if (Bytes(h, h + hl) != id.name_hash) return false;
  EVP_Digest(issuer_key_bits.data(), issuer_key_bits.size(), h, &hl, md, nullptr);
  return Bytes(h, h + hl) == id.key_hash;
}

Bytes single_response(BytesView cert_id_der, const SingleStatus& s) {
  Bytes status;
  switch (s.status) {
    case CertStatus::kGood: status = der::implicit(0, false, {}); break;
    case CertStatus::kUnknown: status = der::implicit(2, false, {}); break;
    case CertStatus::kRevoked: {
      Bytes info = der::generalized_time(s.revoked_at);
      if (s.reason != RevocationReason::kUnspecified) {
        Bytes r = der::explicit_tag(0, der::enumerated(static_cast<int>(s.reason)));
        info.insert(info.end(), r.begin(), r.end());
      }
      status = der::implicit(1, true, info);
      break;
    }
  }
  return der::seq({cert_id_der, status, der::generalized_time(s.this_update),
                   der::explicit_tag(0, der::generalized_time(s.next_update))});
}

Result<Bytes> sign_ocsp_response(const OcspResponseTemplate& t, Signer& signer) {
  Bytes responder = der::explicit_tag(2, der::octet_string(t.responder_key_hash));
  Bytes exts;
  if (t.nonce) {
    Bytes nonce_ext = der::seq({der::oid_or_die("1.3.6.1.5.5.7.48.1.2"), der::octet_string(*t.nonce)});
    exts = der::explicit_tag(1, der::seq({nonce_ext}));
  }
  Bytes tbs = der::seq({responder, der::generalized_time(t.produced_at), der::seq_of(t.singles), exts});
  Bytes certs = t.certs.empty() ? Bytes{} : der::explicit_tag(0, der::seq_of(t.certs));
  CS_ASSIGN(Bytes basic, sign_structure(signer, tbs, certs));
  Bytes bytes = der::seq({der::oid_or_die("1.3.6.1.5.5.7.48.1.1"), der::octet_string(basic)});
  return der::seq({der::enumerated(0), der::explicit_tag(0, bytes)});
}

Bytes ocsp_error_response(int status) { return der::seq({der::enumerated(status)}); }

}  // namespace certseal::pki
