// Building, reading and checking SESeal structures (seseal.h).
#include "seal/seseal.h"

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>

#include "crypto/pkey.h"
#include "crypto/ossl.h"
#include "crypto/ossl_bytes.h"
#include "seal/seseal_asn1_internal.h"

namespace certseal::seal {
namespace {

Error bad_data(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "bad_seal_data", "电子印章数据格式无效", std::move(why));
}

// An item value owned by its template (ASN1_item_free on destruction).
template <class T>
class Owned {
 public:
  Owned(const ASN1_ITEM* it, T* p) : it_(it), p_(p) {}
  explicit Owned(const ASN1_ITEM* it) : it_(it), p_(reinterpret_cast<T*>(ASN1_item_new(it))) {}
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (p_ != nullptr) ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(p_), it_);
  }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  const ASN1_ITEM* it_;
  T* p_;
};

template <class T>
Result<Bytes> encode(const T* value, const ASN1_ITEM* it) {
  auto der = crypto::take_ossl_bytes(
      [&](unsigned char** out) { return ASN1_item_i2d(reinterpret_cast<const ASN1_VALUE*>(value), out, it); });
  if (!der) return internal_error("ASN1_item_i2d failed");
  return std::move(*der);
}

// d2i that must consume every byte.
template <class T>
Owned<T> decode_all(BytesView der, const ASN1_ITEM* it) {
  const unsigned char* p = der.data();
  auto* v = reinterpret_cast<T*>(ASN1_item_d2i(nullptr, &p, static_cast<long>(der.size()), it));
  if (v != nullptr && p != der.data() + der.size()) {
    ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(v), it);
    v = nullptr;
  }
  return Owned<T>(it, v);
}

bool is_ia5_printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool set_string(ASN1_STRING* s, std::string_view v) {
  return ASN1_STRING_set(s, v.data(), static_cast<int>(v.size())) == 1;
}
bool set_bytes(ASN1_STRING* s, BytesView v) {
  return ASN1_STRING_set(s, v.data(), static_cast<int>(v.size())) == 1;
}
std::string str(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<std::size_t>(ASN1_STRING_length(s)));
}
Bytes bytes(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  const unsigned char* d = ASN1_STRING_get0_data(s);
  return Bytes(d, d + ASN1_STRING_length(s));
}
Result<long> small_int(const ASN1_INTEGER* i, long lo, long hi, const char* what) {
  long v = 0;
  if (i == nullptr || ASN1_INTEGER_get_int64(reinterpret_cast<int64_t*>(&v), i) != 1 || v < lo || v > hi) {
    return bad_data(std::string(what) + " out of range");
  }
  return v;
}
std::string oid_text(const ASN1_OBJECT* o) {
  std::array<char, 128> buf{};
  const int n = OBJ_obj2txt(buf.data(), static_cast<int>(buf.size()), o, 1);
  return n > 0 && n < static_cast<int>(buf.size()) ? std::string(buf.data(), static_cast<std::size_t>(n)) : "";
}
Result<SysTime> time_of(const ASN1_TIME* t, const char* what) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return bad_data(std::string(what) + " is not a time");
  return sys_time_from_unix(timegm(&tm));
}
bool set_time(ASN1_GENERALIZEDTIME* t, SysTime v) {
  return ASN1_GENERALIZEDTIME_set(t, std::chrono::system_clock::to_time_t(v)) != nullptr;
}

Status check_info(const SealInfo& info) {
  if (info.version != 4) return bad_data("only version 4 is built");
  if (info.seal_id.empty() || info.seal_id.size() > 128 || !is_ia5_printable(info.seal_id)) {
    return bad_data("seal id must be 1..128 printable ASCII characters");
  }
  if (info.vendor_id.size() > 128 || !is_ia5_printable(info.vendor_id)) return bad_data("vendor id must be ASCII");
  if (info.name.empty()) return bad_data("seal name is empty");
  static constexpr std::array<std::string_view, 6> kTypes{"PNG", "SVG", "JPG", "GIF", "BMP", "OFD"};
  if (std::find(kTypes.begin(), kTypes.end(), info.picture_type) == kTypes.end()) {
    return bad_data("picture type must be PNG, SVG, JPG, GIF, BMP or OFD");
  }
  if (info.picture.empty()) return bad_data("picture is empty");
  if (info.picture_width_mm < 1 || info.picture_width_mm > 1000 || info.picture_height_mm < 1 ||
      info.picture_height_mm > 1000) {
    return bad_data("picture size must be 1..1000 mm");
  }
  if (info.valid_to <= info.valid_from) return bad_data("validity ends before it starts");
  if (info.cert_list_type == 1 ? info.certificates.empty()
                               : (info.cert_list_type != 2 || info.cert_digests.empty())) {
    return bad_data("certificate list is empty or of an unknown type");
  }
  return ok_status();
}

// Fills the header, id, property, picture and extensions of a v4 seal information.
Status fill_v4(SesSealInfoV4* si, const SealInfo& info) {
  bool ok = set_string(si->header->id, "ES") && ASN1_INTEGER_set(si->header->version, 4) == 1 &&
            set_string(si->header->vid, info.vendor_id) && set_string(si->es_id, info.seal_id);
  SesPropertyV4* p = si->property;
  ok = ok && ASN1_INTEGER_set(p->type, static_cast<long>(info.holder)) == 1 && set_string(p->name, info.name) &&
       ASN1_INTEGER_set(p->cert_list_type, info.cert_list_type) == 1 && set_time(p->create_date, info.created) &&
       set_time(p->valid_start, info.valid_from) && set_time(p->valid_end, info.valid_to);
  if (!ok) return internal_error("filling SES_SealInfo failed");
  if (info.cert_list_type == 1) {
    for (const Bytes& c : info.certificates) {
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      if (os == nullptr || !set_bytes(os, c)) {
        ASN1_OCTET_STRING_free(os);
        return internal_error("certificate list");
      }
      ASN1_TYPE* any = ASN1_TYPE_new();
      if (any == nullptr) {
        ASN1_OCTET_STRING_free(os);
        return internal_error("certificate list");
      }
      ASN1_TYPE_set(any, V_ASN1_OCTET_STRING, os);
      OPENSSL_sk_push(p->cert_list, any);
    }
  } else {
    for (const CertDigest& d : info.cert_digests) {
      Owned<SesCertDigest> cd(ASN1_ITEM_rptr(SesCertDigest));
      if (!cd || !set_string(cd->type, d.type) || !set_bytes(cd->value, d.value)) return internal_error("digest list");
      CS_ASSIGN(Bytes der, encode(cd.get(), ASN1_ITEM_rptr(SesCertDigest)));
      ASN1_STRING* seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
      ASN1_TYPE* any = ASN1_TYPE_new();
      if (seq == nullptr || any == nullptr || !set_bytes(seq, der)) {
        ASN1_STRING_free(seq);
        ASN1_TYPE_free(any);
        return internal_error("digest list");
      }
      ASN1_TYPE_set(any, V_ASN1_SEQUENCE, seq);
      OPENSSL_sk_push(p->cert_list, any);
    }
  }
  SesPicture* pic = si->picture;
  if (!set_string(pic->type, info.picture_type) || !set_bytes(pic->data, info.picture) ||
      ASN1_INTEGER_set(pic->width, info.picture_width_mm) != 1 ||
      ASN1_INTEGER_set(pic->height, info.picture_height_mm) != 1) {
    return internal_error("picture");
  }
  if (!info.extensions.empty()) {
    si->ext_datas = OPENSSL_sk_new_null();
    for (const SealExtension& e : info.extensions) {
      auto* ext = reinterpret_cast<SesExtData*>(ASN1_item_new(ASN1_ITEM_rptr(SesExtData)));
      if (ext == nullptr) return internal_error("extension");
      OPENSSL_sk_push(si->ext_datas, ext);
      ASN1_OBJECT* obj = OBJ_txt2obj(e.oid.c_str(), 1);
      if (obj == nullptr) return bad_data("extension id is not an OID");
      ASN1_OBJECT_free(ext->id);
      ext->id = obj;
      ext->critical = e.critical ? 0xff : 0;
      if (!set_bytes(ext->value, e.value)) return internal_error("extension");
    }
  }
  return ok_status();
}

// Header, id, picture and extensions are the same in both versions.
template <class SI>
Status read_common(const SI* si, SealInfo& out) {
  if (str(si->header->id) != "ES") return bad_data("header id is not ES");
  CS_ASSIGN(long version, small_int(si->header->version, 1, 4, "version"));
  out.version = static_cast<int>(version);
  out.vendor_id = str(si->header->vid);
  out.seal_id = str(si->es_id);
  out.picture_type = str(si->picture->type);
  out.picture = bytes(si->picture->data);
  CS_ASSIGN(long w, small_int(si->picture->width, 0, 100000, "picture width"));
  CS_ASSIGN(long h, small_int(si->picture->height, 0, 100000, "picture height"));
  out.picture_width_mm = static_cast<int>(w);
  out.picture_height_mm = static_cast<int>(h);
  const int n = si->ext_datas != nullptr ? OPENSSL_sk_num(si->ext_datas) : 0;
  for (int i = 0; i < n; ++i) {
    const auto* e = static_cast<const SesExtData*>(OPENSSL_sk_value(si->ext_datas, i));
    out.extensions.push_back({oid_text(e->id), e->critical != 0 && e->critical != -1, bytes(e->value)});
  }
  return ok_status();
}

// The bytes of the TLVs inside the outer SEQUENCE of `der`: returns their offsets and lengths.
struct Span {
  std::size_t off, len;
};
Result<std::vector<Span>> children(BytesView der) {
  const unsigned char* p = der.data();
  long len = 0;
  int tag = 0, cls = 0;
  const int r = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(der.size()));
  if ((r & 0x80) != 0 || tag != V_ASN1_SEQUENCE || r != V_ASN1_CONSTRUCTED) return bad_data("not a definite-length SEQUENCE");
  const unsigned char* end = p + len;
  std::vector<Span> out;
  while (p < end) {
    const unsigned char* start = p;
    const int rr = ASN1_get_object(&p, &len, &tag, &cls, end - p);
    if ((rr & 0x80) != 0 || rr == (V_ASN1_CONSTRUCTED | 1)) return bad_data("bad element");
    p += len;
    out.push_back({static_cast<std::size_t>(start - der.data()), static_cast<std::size_t>(p - start)});
  }
  return out;
}

Result<ParsedSeal> parse_v4(BytesView der, const SesSealV4* s) {
  ParsedSeal out;
  const SesSealInfoV4* si = s->info;
  CS_TRY(read_common(si, out.info));
  if (out.info.version != 4) return bad_data("a v4 layout with a version other than 4");
  const SesPropertyV4* p = si->property;
  CS_ASSIGN(long type, small_int(p->type, 1, 2, "seal type"));
  out.info.holder = static_cast<SealHolder>(type);
  out.info.name = str(p->name);
  CS_ASSIGN(long list_type, small_int(p->cert_list_type, 1, 2, "certificate list type"));
  out.info.cert_list_type = static_cast<int>(list_type);
  const int n = OPENSSL_sk_num(p->cert_list);
  for (int i = 0; i < n; ++i) {
    const auto* any = static_cast<const ASN1_TYPE*>(OPENSSL_sk_value(p->cert_list, i));
    if (list_type == 1) {
      if (any->type != V_ASN1_OCTET_STRING) return bad_data("certificate list of type 1 holds a non-OCTET STRING");
      out.info.certificates.push_back(bytes(any->value.octet_string));
    } else {
      if (any->type != V_ASN1_SEQUENCE) return bad_data("certificate list of type 2 holds a non-SEQUENCE");
      Owned<SesCertDigest> cd = decode_all<SesCertDigest>(bytes(any->value.sequence), ASN1_ITEM_rptr(SesCertDigest));
      if (!cd) return bad_data("bad CertDigestObj");
      out.info.cert_digests.push_back({str(cd->type), bytes(cd->value)});
    }
  }
  CS_ASSIGN(out.info.created, time_of(p->create_date, "createDate"));
  CS_ASSIGN(out.info.valid_from, time_of(p->valid_start, "validStart"));
  CS_ASSIGN(out.info.valid_to, time_of(p->valid_end, "validEnd"));
  out.maker_certificate = bytes(s->cert);
  out.sign_alg_oid = oid_text(s->sign_alg);
  out.signature = bytes(s->signed_value);
  // What was signed: SEQUENCE { eSealInfo, cert, signAlgID } from the bytes as found.
  CS_ASSIGN(std::vector<Span> kids, children(der));
  if (kids.size() != 4) return bad_data("SESeal v4 has four fields");
  out.seal_info_der.assign(der.begin() + static_cast<std::ptrdiff_t>(kids[0].off),
                           der.begin() + static_cast<std::ptrdiff_t>(kids[0].off + kids[0].len));
  Bytes body(der.begin() + static_cast<std::ptrdiff_t>(kids[0].off),
             der.begin() + static_cast<std::ptrdiff_t>(kids[2].off + kids[2].len));
  // DER header for a SEQUENCE of body.size() bytes.
  Bytes tbs{0x30};
  if (body.size() < 0x80) {
    tbs.push_back(static_cast<std::uint8_t>(body.size()));
  } else {
    Bytes len;
    for (std::size_t v = body.size(); v > 0; v >>= 8) len.insert(len.begin(), static_cast<std::uint8_t>(v & 0xff));
    tbs.push_back(static_cast<std::uint8_t>(0x80 | len.size()));
    tbs.insert(tbs.end(), len.begin(), len.end());
  }
  tbs.insert(tbs.end(), body.begin(), body.end());
  out.to_be_signed = std::move(tbs);
  return out;
}

Result<ParsedSeal> parse_v1(BytesView der, const SesSealV1* s) {
  ParsedSeal out;
  const SesSealInfoV1* si = s->info;
  CS_TRY(read_common(si, out.info));
  if (out.info.version >= 4) return bad_data("a v1 layout with version 4");
  const SesPropertyV1* p = si->property;
  CS_ASSIGN(long type, small_int(p->type, 1, 3, "seal type"));
  out.info.holder = type == 2 ? SealHolder::kPersonal : SealHolder::kOrganisation;
  out.info.name = str(p->name);
  out.info.cert_list_type = 1;
  const int n = OPENSSL_sk_num(p->cert_list);
  for (int i = 0; i < n; ++i) {
    out.info.certificates.push_back(bytes(static_cast<const ASN1_OCTET_STRING*>(OPENSSL_sk_value(p->cert_list, i))));
  }
  CS_ASSIGN(out.info.created, time_of(p->create_date, "createDate"));
  CS_ASSIGN(out.info.valid_from, time_of(p->valid_start, "validStart"));
  CS_ASSIGN(out.info.valid_to, time_of(p->valid_end, "validEnd"));
  out.maker_certificate = bytes(s->sign_info->cert);
  out.sign_alg_oid = oid_text(s->sign_info->sign_alg);
  out.signature = bytes(s->sign_info->sign_data);
  CS_ASSIGN(std::vector<Span> kids, children(der));
  if (kids.size() != 2) return bad_data("SESeal v1 has two fields");
  out.seal_info_der.assign(der.begin() + static_cast<std::ptrdiff_t>(kids[0].off),
                           der.begin() + static_cast<std::ptrdiff_t>(kids[0].off + kids[0].len));
  out.to_be_signed = out.seal_info_der;
  return out;
}

}  // namespace

Result<Bytes> build_seseal_v4(const SealInfo& info, BytesView maker_certificate, const SealSigner& sign) {
  CS_TRY(check_info(info));
  if (maker_certificate.empty()) return bad_data("no maker certificate");
  Owned<SesSealInfoV4> si(ASN1_ITEM_rptr(SesSealInfoV4));
  if (!si) return internal_error("ASN1_item_new");
  CS_TRY(fill_v4(si.get(), info));
  std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)> cert(ASN1_OCTET_STRING_new(),
                                                                            ASN1_OCTET_STRING_free);
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> alg(OBJ_txt2obj(std::string(kSm2Sm3Oid).c_str(), 1),
                                                                ASN1_OBJECT_free);
  std::unique_ptr<ASN1_BIT_STRING, decltype(&ASN1_BIT_STRING_free)> sig(ASN1_BIT_STRING_new(), ASN1_BIT_STRING_free);
  if (!cert || !alg || !sig || !set_bytes(cert.get(), maker_certificate)) return internal_error("allocation");
  // Not owned by tbs or seal: they borrow the parts above.
  SesTbsV4 tbs{si.get(), cert.get(), alg.get()};
  CS_ASSIGN(Bytes tbs_der, encode(&tbs, ASN1_ITEM_rptr(SesTbsV4)));
  CS_ASSIGN(Bytes signature, sign(tbs_der));
  if (!set_bytes(sig.get(), signature)) return internal_error("signature");
  // Whole bytes: no unused bits (X.690 §8.6.2.2).
  sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  SesSealV4 seal{si.get(), cert.get(), alg.get(), sig.get()};
  return encode(&seal, ASN1_ITEM_rptr(SesSealV4));
}

Result<ParsedSeal> parse_seseal(BytesView der) {
  if (der.empty() || der.size() > 16 * 1024 * 1024) return bad_data("empty or larger than 16 MiB");
  if (Owned<SesSealV4> v4 = decode_all<SesSealV4>(der, ASN1_ITEM_rptr(SesSealV4))) return parse_v4(der, v4.get());
  if (Owned<SesSealV1> v1 = decode_all<SesSealV1>(der, ASN1_ITEM_rptr(SesSealV1))) return parse_v1(der, v1.get());
  return bad_data("neither a GB/T 38540 v4 nor a GM/T 0031 v1 SESeal");
}

Status verify_maker_signature(const ParsedSeal& seal) {
  if (seal.sign_alg_oid != kSm2Sm3Oid) {
    return invalid_argument("unsupported_seal_algorithm", "印章签名算法不受支持（只支持 SM2/SM3）");
  }
  const unsigned char* p = seal.maker_certificate.data();
  const crypto::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(seal.maker_certificate.size())));
  if (!x || p != seal.maker_certificate.data() + seal.maker_certificate.size()) {
    return invalid_argument("bad_maker_certificate", "制章者证书无法解析");
  }
  const auto spki_der =
      crypto::take_ossl_bytes([&](unsigned char** o) { return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x.get()), o); });
  if (!spki_der) return invalid_argument("bad_maker_certificate", "制章者证书没有公钥");
  auto key = crypto::PublicKey::from_spki_der(*spki_der);
  if (!key.ok() || key->type() != crypto::KeyType::kSm2) {
    return invalid_argument("bad_maker_certificate", "制章者证书不是 SM2 证书");
  }
  if (crypto::verify(*key, crypto::SignScheme::kSm2Sm3, seal.to_be_signed, seal.signature).ok()) return ok_status();
  if (seal.info.version == 4 && !seal.seal_info_der.empty() &&
      crypto::verify(*key, crypto::SignScheme::kSm2Sm3, seal.seal_info_der, seal.signature).ok()) {
    return ok_status();
  }
  return invalid_argument("bad_seal_signature", "电子印章的制章者签名无效");
}

}  // namespace certseal::seal
