#include "seal/seseal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "crypto/pkey.h"
#include "crypto/testing/interop.h"
#include "support/test_env.h"

namespace certseal::seal {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::write_file;

// A seal maker with an SM2 key and a certificate, both made by the openssl CLI.
struct Maker {
  certseal::testing::TempDir dir;
  Bytes cert_der;
  std::optional<crypto::PrivateKey> key;
  std::string f(const std::string& n) const { return dir.path() + "/" + n; }
  Maker() {
    EXPECT_EQ(openssl("genpkey -algorithm SM2 -out " + f("maker.key") + " 2>&1").exit_code, 0);
    EXPECT_EQ(openssl("req -new -x509 -key " + f("maker.key") + " -sm3 -days 30 -subj '/C=CN/O=Seal Maker/CN=Maker' " +
                      "-outform DER -out " + f("maker.der") + " 2>&1")
                  .exit_code,
              0);
    EXPECT_EQ(openssl("pkey -in " + f("maker.key") + " -pubout -out " + f("maker.pub") + " 2>&1").exit_code, 0);
    cert_der = read_file(f("maker.der"));
    Bytes pem = read_file(f("maker.key"));
    auto k = crypto::PrivateKey::from_pem(as_chars(pem));
    EXPECT_TRUE(k.ok());
    if (k.ok()) key.emplace(std::move(*k));
  }
  SealSigner signer() const {
    return [this](BytesView tbs) { return crypto::sign(*key, crypto::SignScheme::kSm2Sm3, tbs); };
  }
};

SysTime at(long s) { return SysTime(std::chrono::seconds(s)); }

SealInfo sample_info() {
  SealInfo info;
  info.vendor_id = "CERTSEAL";
  info.seal_id = "11010800000001";
  info.holder = SealHolder::kOrganisation;
  info.name = "北京某某科技有限公司公章";
  info.certificates = {to_bytes("certificate one"), to_bytes("certificate two")};
  info.created = at(1'760'000'000);
  info.valid_from = at(1'760'000'000);
  info.valid_to = at(1'791'536'000);
  info.picture_type = "PNG";
  info.picture = to_bytes("\x89PNG picture bytes");
  info.picture_width_mm = 40;
  info.picture_height_mm = 40;
  info.extensions = {{"1.2.156.112562.1", true, to_bytes("ext")}};
  return info;
}

TEST(SESeal, BuildsAndParsesBackFieldByField) {
  Maker m;
  SealInfo info = sample_info();
  auto der = build_seseal_v4(info, m.cert_der, m.signer());
  ASSERT_TRUE(der.ok()) << der.error().code << " " << der.error().cause;
  auto p = parse_seseal(*der);
  ASSERT_TRUE(p.ok()) << p.error().cause;
  EXPECT_EQ(p->info.version, 4);
  EXPECT_EQ(p->info.vendor_id, "CERTSEAL");
  EXPECT_EQ(p->info.seal_id, info.seal_id);
  EXPECT_EQ(p->info.holder, SealHolder::kOrganisation);
  EXPECT_EQ(p->info.name, info.name);
  EXPECT_EQ(p->info.cert_list_type, 1);
  EXPECT_EQ(p->info.certificates, info.certificates);
  EXPECT_EQ(p->info.created, info.created);
  EXPECT_EQ(p->info.valid_from, info.valid_from);
  EXPECT_EQ(p->info.valid_to, info.valid_to);
  EXPECT_EQ(p->info.picture_type, "PNG");
  EXPECT_EQ(p->info.picture, info.picture);
  EXPECT_EQ(p->info.picture_width_mm, 40);
  EXPECT_EQ(p->info.picture_height_mm, 40);
  ASSERT_EQ(p->info.extensions.size(), 1u);
  EXPECT_EQ(p->info.extensions[0].oid, "1.2.156.112562.1");
  EXPECT_TRUE(p->info.extensions[0].critical);
  EXPECT_EQ(p->maker_certificate, m.cert_der);
  EXPECT_EQ(p->sign_alg_oid, "1.2.156.10197.1.501");
  EXPECT_TRUE(verify_maker_signature(*p).ok());

  // The digest form of the certificate list.
  info.cert_list_type = 2;
  info.certificates.clear();
  info.cert_digests = {{"sm3", Bytes(32, 0xab)}};
  auto der2 = build_seseal_v4(info, m.cert_der, m.signer());
  ASSERT_TRUE(der2.ok());
  auto p2 = parse_seseal(*der2);
  ASSERT_TRUE(p2.ok()) << p2.error().cause;
  EXPECT_EQ(p2->info.cert_list_type, 2);
  ASSERT_EQ(p2->info.cert_digests.size(), 1u);
  EXPECT_EQ(p2->info.cert_digests[0].type, "sm3");
  EXPECT_EQ(p2->info.cert_digests[0].value, Bytes(32, 0xab));
  EXPECT_TRUE(verify_maker_signature(*p2).ok());
}

TEST(SESeal, OpensslAsn1parseShowsTheStructureAndPkeyutlVerifiesTheMakerSignature) {
  Maker m;
  auto der = build_seseal_v4(sample_info(), m.cert_der, m.signer());
  ASSERT_TRUE(der.ok());
  write_file(m.f("seal.der"), *der);
  auto r = openssl("asn1parse -inform DER -in " + m.f("seal.der"));
  ASSERT_EQ(r.exit_code, 0);
  // Header, id, property, picture, maker certificate, algorithm, signature, in this order.
  std::size_t pos = 0;
  for (const char* want : {"IA5STRING         :ES", "INTEGER           :04", "IA5STRING         :CERTSEAL",
                           "IA5STRING         :11010800000001", "INTEGER           :01", "UTF8STRING",
                           "INTEGER           :01", "OCTET STRING", "GENERALIZEDTIME   :20251009", "GENERALIZEDTIME",
                           "GENERALIZEDTIME", "IA5STRING         :PNG", "OCTET STRING", "INTEGER           :28",
                           "INTEGER           :28", "OBJECT            :1.2.156.112562.1", "BOOLEAN",
                           "OCTET STRING", "OBJECT            :SM2-with-SM3", "BIT STRING"}) {
    std::size_t at_ = r.out.find(want, pos);
    ASSERT_NE(at_, std::string::npos) << "missing " << want << " after offset " << pos << "\n" << r.out;
    pos = at_ + 1;
  }
  auto p = parse_seseal(*der);
  ASSERT_TRUE(p.ok());
  write_file(m.f("tbs"), p->to_be_signed);
  write_file(m.f("sig"), p->signature);
  auto v = openssl("pkeyutl -verify -pubin -inkey " + m.f("maker.pub") + " -rawin -digest sm3 -in " + m.f("tbs") +
                   " -sigfile " + m.f("sig") + " -pkeyopt distid:1234567812345678");
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // And the to-be-signed bytes are SEQUENCE { SES_SealInfo, OCTET STRING, OBJECT } as asn1parse sees them.
  auto t = openssl("asn1parse -inform DER -in " + m.f("tbs"));
  EXPECT_NE(t.out.find("OBJECT            :SM2-with-SM3"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("BIT STRING"), std::string::npos);
}

// Any changed byte in the picture or the properties breaks the maker signature.
TEST(SESeal, AChangedByteFailsVerification) {
  Maker m;
  SealInfo info = sample_info();
  auto der = build_seseal_v4(info, m.cert_der, m.signer());
  ASSERT_TRUE(der.ok());
  auto find = [&](BytesView needle) {
    auto it = std::search(der->begin(), der->end(), needle.begin(), needle.end());
    return static_cast<std::size_t>(it - der->begin());
  };
  const std::size_t picture_at = find(info.picture);
  const std::size_t name_at = find(as_bytes(info.name));
  const std::size_t cert_at = find(info.certificates[1]);
  ASSERT_LT(picture_at, der->size());
  ASSERT_LT(name_at, der->size());
  for (std::size_t off : {picture_at + 3, name_at + 1, cert_at + 2}) {
    Bytes bad = *der;
    bad[off] ^= 0x01;  // inside a string's content: the encoding stays valid
    auto p = parse_seseal(bad);
    ASSERT_TRUE(p.ok()) << "byte " << off;
    auto st = verify_maker_signature(*p);
    ASSERT_FALSE(st.ok()) << "byte " << off;
    EXPECT_EQ(st.error().code, "bad_seal_signature");
  }
  // Dates too: move validEnd by a year and keep everything else.
  SealInfo later = info;
  later.valid_to = info.valid_to + std::chrono::hours(24 * 365);
  auto other = build_seseal_v4(later, m.cert_der, m.signer());
  auto p_other = parse_seseal(*other);
  auto p_orig = parse_seseal(*der);
  ASSERT_TRUE(p_other.ok() && p_orig.ok());
  ParsedSeal swapped = *p_other;
  swapped.signature = p_orig->signature;  // the old signature on the new dates
  EXPECT_FALSE(verify_maker_signature(swapped).ok());
}

TEST(SESeal, RefusesBadInputAndGarbage) {
  Maker m;
  SealInfo info = sample_info();
  info.seal_id = "编号";
  EXPECT_EQ(build_seseal_v4(info, m.cert_der, m.signer()).error().code, "bad_seal_data");
  info = sample_info();
  info.valid_to = info.valid_from;
  EXPECT_EQ(build_seseal_v4(info, m.cert_der, m.signer()).error().code, "bad_seal_data");
  info = sample_info();
  info.certificates.clear();
  EXPECT_EQ(build_seseal_v4(info, m.cert_der, m.signer()).error().code, "bad_seal_data");
  info = sample_info();
  info.picture_type = "TIFF";
  EXPECT_EQ(build_seseal_v4(info, m.cert_der, m.signer()).error().code, "bad_seal_data");
  EXPECT_EQ(parse_seseal(to_bytes("not a seal")).error().code, "bad_seal_data");
  auto der = build_seseal_v4(sample_info(), m.cert_der, m.signer());
  ASSERT_TRUE(der.ok());
  Bytes trailing = *der;
  trailing.push_back(0);
  EXPECT_EQ(parse_seseal(trailing).error().code, "bad_seal_data");
  Bytes cut(der->begin(), der->end() - 5);
  EXPECT_EQ(parse_seseal(cut).error().code, "bad_seal_data");
  // A maker certificate that is not a certificate.
  auto p = parse_seseal(*der);
  ASSERT_TRUE(p.ok());
  ParsedSeal q = *p;
  q.maker_certificate = to_bytes("junk");
  EXPECT_EQ(verify_maker_signature(q).error().code, "bad_maker_certificate");
  q = *p;
  q.sign_alg_oid = "1.2.840.10045.4.3.2";
  EXPECT_EQ(verify_maker_signature(q).error().code, "unsupported_seal_algorithm");
}

// ---- A separate, minimal DER encoder for GM/T 0031-2014 (v1), independent of the templates. ----
Bytes tlv(std::uint8_t tag, BytesView v) {
  Bytes out{tag};
  if (v.size() < 128) {
    out.push_back(static_cast<std::uint8_t>(v.size()));
  } else if (v.size() < 256) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(v.size()));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<std::uint8_t>(v.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(v.size() & 0xff));
  }
  out.insert(out.end(), v.begin(), v.end());
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes seq(std::initializer_list<Bytes> parts) { return tlv(0x30, cat(parts)); }
Bytes ia5(std::string_view s) { return tlv(0x16, as_bytes(s)); }
Bytes utf8(std::string_view s) { return tlv(0x0c, as_bytes(s)); }
Bytes utc(std::string_view s) { return tlv(0x17, as_bytes(s)); }
Bytes octets(BytesView b) { return tlv(0x04, b); }
Bytes small(std::uint8_t v) { return tlv(0x02, Bytes{v}); }

TEST(SESeal, ReadsAV1SealFromAMinimalEncoder) {
  Maker m;
  const Bytes picture = to_bytes("GIF89a...");
  const Bytes seal_info = seq({
      seq({ia5("ES"), small(1), ia5("OLDVENDOR")}),
      ia5("V1-0001"),
      seq({small(2), utf8("张三"), seq({octets(to_bytes("signer cert"))}), utc("200101000000Z"), utc("200101000000Z"),
           utc("301231235959Z")}),
      seq({ia5("GIF"), octets(picture), small(20), small(20)}),
  });
  auto sig = crypto::sign(*m.key, crypto::SignScheme::kSm2Sm3, seal_info);
  ASSERT_TRUE(sig.ok());
  Bytes bits{0x00};
  bits.insert(bits.end(), sig->begin(), sig->end());
  const Bytes oid{0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};  // 1.2.156.10197.1.501
  const Bytes v1 = seq({seal_info, seq({octets(m.cert_der), oid, tlv(0x03, bits)})});
  auto p = parse_seseal(v1);
  ASSERT_TRUE(p.ok()) << p.error().cause;
  EXPECT_EQ(p->info.version, 1);
  EXPECT_EQ(p->info.vendor_id, "OLDVENDOR");
  EXPECT_EQ(p->info.seal_id, "V1-0001");
  EXPECT_EQ(p->info.holder, SealHolder::kPersonal);
  EXPECT_EQ(p->info.name, "张三");
  ASSERT_EQ(p->info.certificates.size(), 1u);
  EXPECT_EQ(p->info.certificates[0], to_bytes("signer cert"));
  EXPECT_EQ(p->info.valid_from, at(1'577'836'800));  // 2020-01-01T00:00:00Z
  EXPECT_EQ(p->info.valid_to, at(1'924'991'999));    // 2030-12-31T23:59:59Z
  EXPECT_EQ(p->info.picture_type, "GIF");
  EXPECT_EQ(p->info.picture, picture);
  EXPECT_EQ(p->info.picture_width_mm, 20);
  EXPECT_EQ(p->to_be_signed, seal_info);
  EXPECT_TRUE(verify_maker_signature(*p).ok());
  Bytes changed = v1;
  changed[std::search(changed.begin(), changed.end(), picture.begin(), picture.end()) - changed.begin()] ^= 1;
  auto pc = parse_seseal(changed);
  ASSERT_TRUE(pc.ok());
  EXPECT_EQ(verify_maker_signature(*pc).error().code, "bad_seal_signature");
}

}  // namespace
// A v4 seal whose maker signed the DER of eSealInfo alone (the form other seal systems make), the
// signature made by the openssl CLI: openssl verifies it over those bytes, ours accepts it, and a
// changed picture byte or another maker's signature fails.
TEST(SESeal, AcceptsAMakerSignatureOverTheSealInformationAloneMadeByOpenssl) {
  Maker m;
  SealInfo info = sample_info();
  auto der = build_seseal_v4(info, m.cert_der, m.signer());
  ASSERT_TRUE(der.ok());
  auto p = parse_seseal(*der);
  ASSERT_TRUE(p.ok());
  write_file(m.f("info.der"), p->seal_info_der);
  ASSERT_EQ(openssl("pkeyutl -sign -inkey " + m.f("maker.key") + " -rawin -digest sm3 -in " + m.f("info.der") +
                    " -out " + m.f("info.sig") + " -pkeyopt distid:1234567812345678")
                .exit_code,
            0);
  ASSERT_EQ(openssl("pkeyutl -verify -pubin -inkey " + m.f("maker.pub") + " -rawin -digest sm3 -in " + m.f("info.der") +
                    " -sigfile " + m.f("info.sig") + " -pkeyopt distid:1234567812345678")
                .exit_code,
            0);
  const Bytes sig = read_file(m.f("info.sig"));
  // SESeal = SEQUENCE { eSealInfo, cert, signAlgID, BIT STRING { 0 unused bits, sig } }, keeping
  // the first three fields exactly as our builder wrote them.
  auto reseal = [&](BytesView seal_info, BytesView signature) {
    Bytes body(seal_info.begin(), seal_info.end());
    Bytes rest = tlv(0x04, m.cert_der);
    body.insert(body.end(), rest.begin(), rest.end());
    const Bytes oid{0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};  // 1.2.156.10197.1.501
    body.insert(body.end(), oid.begin(), oid.end());
    Bytes bits{0x00};
    bits.insert(bits.end(), signature.begin(), signature.end());
    Bytes bs = tlv(0x03, bits);
    body.insert(body.end(), bs.begin(), bs.end());
    return tlv(0x30, body);
  };
  const Bytes theirs = reseal(p->seal_info_der, sig);
  auto q = parse_seseal(theirs);
  ASSERT_TRUE(q.ok()) << q.error().cause;
  EXPECT_EQ(q->info.name, info.name);
  EXPECT_TRUE(verify_maker_signature(*q).ok());

  Bytes bad_info = p->seal_info_der;
  auto at_picture = std::search(bad_info.begin(), bad_info.end(), info.picture.begin(), info.picture.end());
  ASSERT_NE(at_picture, bad_info.end());
  at_picture[2] ^= 0x01;
  auto q_bad = parse_seseal(reseal(bad_info, sig));
  ASSERT_TRUE(q_bad.ok());
  EXPECT_EQ(verify_maker_signature(*q_bad).error().code, "bad_seal_signature");

  Maker other;
  write_file(other.f("info.der"), p->seal_info_der);
  ASSERT_EQ(openssl("pkeyutl -sign -inkey " + other.f("maker.key") + " -rawin -digest sm3 -in " + other.f("info.der") +
                    " -out " + other.f("info.sig") + " -pkeyopt distid:1234567812345678")
                .exit_code,
            0);
  auto q_other = parse_seseal(reseal(p->seal_info_der, read_file(other.f("info.sig"))));
  ASSERT_TRUE(q_other.ok());
  EXPECT_EQ(verify_maker_signature(*q_other).error().code, "bad_seal_signature");
}

}  // namespace certseal::seal
