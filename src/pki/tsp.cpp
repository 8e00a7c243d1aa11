#include "pki/tsp.h"

#include <openssl/objects.h>

#include "crypto/hash.h"
#include "crypto/ossl.h"
#include "pki/der.h"

namespace certseal::pki {
namespace {

Error ts_error(std::string code, std::string msg) {
  return Error(ErrorKind::kInvalidArgument, std::move(code), std::move(msg));
}

template <class T, class F>
Bytes i2d_bytes(T* obj, F fn) {
  int n = fn(obj, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  fn(obj, &p);
  return out;
}

Bytes attribute(std::string_view oid, BytesView value) {
  return der::seq({der::oid_or_die(oid), der::set_of({Bytes(value.begin(), value.end())})});
}

}  // namespace

Result<TsRequest> parse_ts_request(BytesView der, std::string_view our_policy) {
  const unsigned char* p = der.data();
  crypto::TsReqPtr req(d2i_TS_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req) return ts_error("ts_bad_data_format", "malformed time-stamp request");
  if (TS_REQ_get_version(req.get()) != 1) return ts_error("ts_bad_request", "unsupported request version");
  TS_MSG_IMPRINT* mi = TS_REQ_get_msg_imprint(req.get());
  X509_ALGOR* alg = TS_MSG_IMPRINT_get_algo(mi);
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, alg);
  int nid = OBJ_obj2nid(obj);
  int want = nid == NID_sha256 ? 32 : nid == NID_sha384 ? 48 : nid == NID_sha512 ? 64 : nid == NID_sm3 ? 32 : 0;
  if (want == 0) return ts_error("ts_bad_alg", "unsupported imprint hash algorithm");
  if (ASN1_STRING_length(TS_MSG_IMPRINT_get_msg(mi)) != want) {
    return ts_error("ts_bad_data_format", "the imprint length does not fit its hash algorithm");
  }
  TsRequest out;
  out.message_imprint = i2d_bytes(mi, i2d_TS_MSG_IMPRINT);
  if (const ASN1_INTEGER* n = TS_REQ_get_nonce(req.get())) out.nonce = i2d_bytes(n, i2d_ASN1_INTEGER);
  out.cert_req = TS_REQ_get_cert_req(req.get()) != 0;
  if (ASN1_OBJECT* pol = TS_REQ_get_policy_id(req.get())) {
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, pol, 1);
    out.policy = buf;
    if (*out.policy != our_policy) return ts_error("ts_unaccepted_policy", "this TSA does not serve that policy");
  }
  if (TS_REQ_get_exts(req.get()) && sk_X509_EXTENSION_num(TS_REQ_get_exts(req.get())) > 0) {
    return ts_error("ts_bad_request", "request extensions are not supported");
  }
  return out;
}

TsFailure ts_failure_of(const Error& e) {
  if (e.code == "ts_bad_alg") return TsFailure::kBadAlg;
  if (e.code == "ts_unaccepted_policy") return TsFailure::kUnacceptedPolicy;
  if (e.code == "ts_bad_data_format") return TsFailure::kBadDataFormat;
  return TsFailure::kBadRequest;
}

Result<Bytes> sign_timestamp(const TsRequest& req, const TsTemplate& t, Signer& signer) {
  CS_ASSIGN(Bytes policy, der::oid(t.policy));
  Bytes tst = der::seq({der::integer(1), policy, req.message_imprint, der::integer_unsigned(t.serial),
                        der::generalized_time(t.gen_time), req.nonce ? *req.nonce : Bytes{}});
  SigAlg alg = signer.sig_alg();
  crypto::HashAlg h = digest_alg(alg);
  Bytes digest_alg_id = digest_algorithm_identifier(h);
  Bytes cert_hash = crypto::sha256(t.tsa_cert);
  Bytes ess = der::seq({der::seq({der::seq({der::octet_string(cert_hash)})})});
  std::vector<Bytes> attrs = {
      attribute("1.2.840.113549.1.9.3", der::oid_or_die("1.2.840.113549.1.9.16.1.4")),
      attribute("1.2.840.113549.1.9.4", der::octet_string(crypto::digest(h, tst))),
      attribute("1.2.840.113549.1.9.16.2.47", ess),
  };
  Bytes signed_attrs = der::set_of(attrs);  // signed as a SET (RFC 5652 §5.4)
  CS_ASSIGN(Bytes sig, signer.sign(signed_attrs));
  Bytes attrs_implicit = signed_attrs;
  attrs_implicit[0] = der::context(0, true);
  Bytes sid = der::seq({t.tsa_issuer, der::integer_unsigned(t.tsa_serial)});
  Bytes signer_info = der::seq({der::integer(1), sid, digest_alg_id, attrs_implicit, algorithm_identifier(alg),
                                der::octet_string(sig)});
  Bytes encap = der::seq({der::oid_or_die("1.2.840.113549.1.9.16.1.4"), der::explicit_tag(0, der::octet_string(tst))});
  Bytes certs;
  if (req.cert_req) {
    Bytes c = t.tsa_cert;
    for (const auto& e : t.extra_certs) c.insert(c.end(), e.begin(), e.end());
    certs = der::implicit(0, true, c);
  }
  Bytes signed_data = der::seq({der::integer(3), der::set_of({digest_alg_id}), encap, certs, der::set_of({signer_info})});
  Bytes content_info = der::seq({der::oid_or_die("1.2.840.113549.1.7.2"), der::explicit_tag(0, signed_data)});
  return der::seq({der::seq({der::integer(0)}), content_info});
}

Bytes ts_rejection(TsFailure f) {
  return der::seq({der::seq({der::integer(2), der::named_bits(1u << static_cast<int>(f))})});
}

}  // namespace certseal::pki
