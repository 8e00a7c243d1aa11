#include "docsign/ofd_ses_signature.h"

#include <algorithm>
#include <ctime>

#include "pki/der.h"

namespace certseal::docsign {
namespace der = pki::der;
namespace {

Error bad(const std::string& why) {
  return invalid_argument("ses_bad_signature_data", "电子签章数据（SES_Signature）无法解析：" + why);
}

// Reads the next element of a SEQUENCE's content, which must have tag `tag`.
Result<der::Tlv> next(BytesView& in, std::uint8_t tag, const char* what) {
  auto t = der::read_tlv(in);
  if (!t.ok() || t->tag != tag) return bad(what);
  return *t;
}

Result<SysTime> parse_generalized(BytesView v) {
  // YYYYMMDDHHMMSS[.f*]Z
  const std::string s(v.begin(), v.end());
  if (s.size() < 15 || s.back() != 'Z') return bad("timeInfo");
  for (std::size_t i = 0; i < 14; ++i) {
    if (s[i] < '0' || s[i] > '9') return bad("timeInfo");
  }
  auto num = [&](std::size_t at, std::size_t n) { return std::stoi(s.substr(at, n)); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(8, 2);
  tm.tm_min = num(10, 2);
  tm.tm_sec = num(12, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
    return bad("timeInfo");
  }
  return sys_time_from_unix(timegm(&tm));  // saturates past 2262, as every parsed time does
}

}  // namespace

Bytes build_tbs_sign(BytesView seseal, SysTime time, BytesView data_hash, std::string_view property_info) {
  return der::seq({der::integer(4), seseal, der::generalized_time(time), der::bit_string(data_hash),
                   der::ia5(property_info)});
}

Bytes build_ses_signature(BytesView tbs_der, BytesView signer_cert, BytesView signature) {
  return der::seq({tbs_der, der::octet_string(signer_cert), der::oid_or_die(kOidSm2Sm3), der::bit_string(signature)});
}

Result<SesSignature> parse_ses_signature(BytesView in) {
  auto outer = der::read_tlv(in);
  if (!outer.ok() || outer->tag != der::kSequence) return bad("不是 SEQUENCE");
  if (outer->total() != in.size()) return bad("末尾有多余数据");
  BytesView body = outer->content(in);
  SesSignature s;

  CS_ASSIGN(der::Tlv tbs, next(body, der::kSequence, "toSign"));
  s.tbs_der.assign(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(tbs.total()));
  BytesView t = tbs.content(body);
  body = body.subspan(tbs.total());

  CS_ASSIGN(der::Tlv ver, next(t, der::kInteger, "version"));
  if (ver.length != 1 || ver.content(t)[0] != 4) return bad("版本不是 4");
  t = t.subspan(ver.total());
  CS_ASSIGN(der::Tlv seal, next(t, der::kSequence, "eseal"));
  s.seseal.assign(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(seal.total()));
  t = t.subspan(seal.total());
  CS_ASSIGN(der::Tlv when, next(t, 0x18, "timeInfo"));
  CS_ASSIGN(s.time, parse_generalized(when.content(t)));
  t = t.subspan(when.total());
  CS_ASSIGN(der::Tlv hash, next(t, der::kBitString, "dataHash"));
  if (hash.length < 1 || hash.content(t)[0] != 0) return bad("dataHash");
  const BytesView hv = hash.content(t).subspan(1);
  s.data_hash.assign(hv.begin(), hv.end());
  t = t.subspan(hash.total());
  CS_ASSIGN(der::Tlv prop, next(t, 0x16, "propertyInfo"));
  const BytesView pv = prop.content(t);
  s.property_info.assign(pv.begin(), pv.end());
  t = t.subspan(prop.total());
  if (!t.empty()) {
    CS_ASSIGN(der::Tlv ext, next(t, der::kSequence, "extDatas"));
    t = t.subspan(ext.total());
  }
  if (!t.empty()) return bad("toSign 末尾有多余数据");

  CS_ASSIGN(der::Tlv cert, next(body, der::kOctetString, "cert"));
  const BytesView cv = cert.content(body);
  s.cert.assign(cv.begin(), cv.end());
  body = body.subspan(cert.total());
  CS_ASSIGN(der::Tlv alg, next(body, der::kOid, "signatureAlgID"));
  const Bytes sm2 = der::oid_or_die(kOidSm2Sm3);
  const BytesView alg_der = body.subspan(0, alg.total());
  if (alg_der.size() == sm2.size() && std::equal(sm2.begin(), sm2.end(), alg_der.begin())) {
    s.sign_alg_oid = std::string(kOidSm2Sm3);
  }
  body = body.subspan(alg.total());
  CS_ASSIGN(der::Tlv sig, next(body, der::kBitString, "signature"));
  if (sig.length < 1 || sig.content(body)[0] != 0) return bad("signature");
  const BytesView sv = sig.content(body).subspan(1);
  s.signature.assign(sv.begin(), sv.end());
  body = body.subspan(sig.total());
  if (!body.empty()) {
    CS_ASSIGN(der::Tlv ts, next(body, der::context(0, true), "timeStamp"));
    s.has_timestamp = true;
    body = body.subspan(ts.total());
  }
  if (!body.empty()) return bad("末尾有多余数据");
  return s;
}

}  // namespace certseal::docsign
