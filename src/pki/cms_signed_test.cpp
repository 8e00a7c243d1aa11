// CMS SignedData built by pki/cms_signed against independent verifiers: `openssl cms -verify`
// with the CA chain for ECDSA P-256 and RSA; for SM2 (which OpenSSL 3.0's cms cannot verify) the
// signed-attributes signature through `openssl pkeyutl -verify` with the GM/T signer ID plus the
// message digest from `openssl asn1parse` against `openssl dgst -sm3`. And our own verify():
// both forms, attached and detached, and what it must refuse (changed content, changed signature).
#include "pki/cms_signed.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>

#include <algorithm>
#include <filesystem>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/testing/interop.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/der.h"
#include "support/test_env.h"

namespace certseal::pki {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::write_file;

// A temporary folder (support/test_env.h) with a file-name helper.
struct Dir {
  certseal::testing::TempDir tmp;
  const std::string path = tmp.path();
  std::string f(const std::string& name) const { return path + "/" + name; }
};

struct Signer2 {
  crypto::PrivateKey root_key, leaf_key;
  Bytes root, leaf;
};

// A root (signing with OpenSSL's default SM2 ID, so the CLI checks the chain) and a leaf.
Signer2 make(crypto::KeyType type, Rng& rng) {
  Signer2 s{crypto::PrivateKey::generate(type, rng).value(), crypto::PrivateKey::generate(type, rng).value(), {}, {}};
  const auto now = std::chrono::system_clock::now();
  Bytes root_name = name_der({{"C", "CN"}, {"O", "CertSeal Test"}, {"CN", "CMS Root"}}).value();
  LocalSigner rs(s.root_key, "");
  CertTemplate root;
  root.serial = {0x01};
  root.not_before = now - std::chrono::hours(1);
  root.not_after = now + std::chrono::hours(24 * 365);
  root.issuer = root.subject = root_name;
  root.spki = s.root_key.public_key().spki_der();
  root.is_ca = true;
  root.key_usage = kKeyCertSign | kCrlSign;
  s.root = issue_certificate(root, rs).value();
  CertTemplate leaf;
  leaf.serial = {0x42, 0x10};
  leaf.not_before = root.not_before;
  leaf.not_after = root.not_after;
  leaf.issuer = root_name;
  leaf.subject = name_der({{"C", "CN"}, {"CN", "张三"}}).value();
  leaf.spki = s.leaf_key.public_key().spki_der();
  leaf.key_usage = kDigitalSignature | kNonRepudiation;
  leaf.authority_key_id = key_identifier(root.spki).value();
  s.leaf = issue_certificate(leaf, rs).value();
  return s;
}

Bytes make_cms(const Signer2& s, cms::Form form, BytesView content, bool detached) {
  const SigAlg alg = sig_alg_for(s.leaf_key.type());
  const SysTime t = std::chrono::system_clock::now();
  Bytes attrs = cms::signed_attributes(form, digest_alg(alg), content, t);
  LocalSigner signer(s.leaf_key);  // SM2: the GM/T default ID
  Bytes sig = signer.sign(attrs).value();
  return cms::signed_data({form, alg, s.leaf, Bytes(content.begin(), content.end()), detached, t, sig, std::nullopt}).value();
}

class CmsInternational : public ::testing::TestWithParam<crypto::KeyType> {};

TEST_P(CmsInternational, OpensslCmsVerifyAcceptsAttachedAndDetached) {
  SystemRng rng;
  Dir d;
  Signer2 s = make(GetParam(), rng);
  const std::string content = "投标文件 第1包 2026";
  write_file(d.f("root.pem"), as_bytes(pem_encode("CERTIFICATE", s.root)));
  write_file(d.f("content.txt"), as_bytes(content));
  for (bool detached : {false, true}) {
    Bytes m = make_cms(s, cms::Form::kRfc5652, as_bytes(content), detached);
    write_file(d.f("m.der"), m);
    std::string args = "cms -verify -binary -inform DER -in " + d.f("m.der") + " -CAfile " + d.f("root.pem") +
                       " -purpose any -out " + d.f("out.txt");
    if (detached) args += " -content " + d.f("content.txt");
    auto r = openssl(args);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(to_string(read_file(d.f("out.txt"))), content);
    // Ours too; and a changed content is refused by openssl and by us.
    auto v = cms::verify(m, detached ? std::optional<BytesView>(as_bytes(content)) : std::nullopt);
    ASSERT_TRUE(v.ok()) << v.error().code;
    EXPECT_EQ(v->certificate, s.leaf);
    if (detached) {
      write_file(d.f("other.txt"), as_bytes(content + "!"));
      EXPECT_NE(openssl("cms -verify -binary -inform DER -in " + d.f("m.der") + " -CAfile " + d.f("root.pem") +
                        " -purpose any -content " + d.f("other.txt") + " -out /dev/null")
                    .exit_code,
                0);
      EXPECT_EQ(cms::verify(m, as_bytes(content + "!")).error().code, "cms_digest_mismatch");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, CmsInternational, ::testing::Values(crypto::KeyType::kEcP256, crypto::KeyType::kRsa2048),
                         [](const auto& p) { return std::string(p.param == crypto::KeyType::kEcP256 ? "EcP256" : "Rsa2048"); });

// SM2: both forms; the signature over the signed attributes through `openssl pkeyutl` with the
// GM/T ID, the message digest attribute (read by asn1parse) equal to `openssl dgst -sm3`.
TEST(CmsSm2, OpensslChecksSignatureAndDigestInBothForms) {
  SystemRng rng;
  Dir d;
  Signer2 s = make(crypto::KeyType::kSm2, rng);
  const std::string content = "扫码消息签名 scene 20";
  write_file(d.f("content.txt"), as_bytes(content));
  write_file(d.f("leaf.pem"), as_bytes(pem_encode("CERTIFICATE", s.leaf)));
  ASSERT_EQ(openssl("x509 -in " + d.f("leaf.pem") + " -pubkey -noout -out " + d.f("pub.pem")).exit_code, 0);
  auto dgst = openssl("dgst -sm3 -r " + d.f("content.txt"));
  ASSERT_EQ(dgst.exit_code, 0);
  std::string sm3_hex = dgst.out.substr(0, 64);
  for (auto form : {cms::Form::kRfc5652, cms::Form::kGmt0010}) {
    for (bool detached : {false, true}) {
      Bytes m = make_cms(s, form, as_bytes(content), detached);
      auto v = cms::verify(m, detached ? std::optional<BytesView>(as_bytes(content)) : std::nullopt);
      ASSERT_TRUE(v.ok()) << v.error().code;
      EXPECT_EQ(v->form, form);
      EXPECT_EQ(to_string(v->content), content);
      write_file(d.f("m.der"), m);
      auto parsed = openssl("asn1parse -inform DER -in " + d.f("m.der"));
      ASSERT_EQ(parsed.exit_code, 0);
      // The digest attribute as asn1parse prints it (upper-case hex), independent of our parser.
      std::string upper = sm3_hex;
      for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      EXPECT_NE(parsed.out.find("[HEX DUMP]:" + upper), std::string::npos) << parsed.out;
      EXPECT_NE(parsed.out.find(form == cms::Form::kGmt0010 ? "1.2.156.10197.6.1.4.2.2" : "pkcs7-signedData"),
                std::string::npos)
          << parsed.out;
      write_file(d.f("attrs.der"), v->signed_attributes);
      write_file(d.f("sig.der"), v->signature);
      auto pk = openssl("pkeyutl -verify -pubin -inkey " + d.f("pub.pem") + " -rawin -digest sm3 -in " +
                        d.f("attrs.der") + " -sigfile " + d.f("sig.der") + " -pkeyopt distid:1234567812345678");
      EXPECT_NE(pk.out.find("Signature Verified Successfully"), std::string::npos) << pk.out;
    }
  }
}

TEST(CmsSm2, VerifyRefusesChangedContentAndSignature) {
  SystemRng rng;
  Signer2 s = make(crypto::KeyType::kSm2, rng);
  Bytes m = make_cms(s, cms::Form::kRfc5652, as_bytes("原文"), false);
  ASSERT_TRUE(cms::verify(m).ok());
  // The attached content: "原文" is 6 bytes; change its last byte.
  Bytes changed = m;
  const Bytes orig = to_bytes("原文");
  auto it = std::search(changed.begin(), changed.end(), orig.begin(), orig.end());
  ASSERT_NE(it, changed.end());
  *(it + 5) ^= 0x01;
  EXPECT_EQ(cms::verify(changed).error().code, "cms_digest_mismatch");
  // Another key's signature over the same attributes.
  auto other = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  const SysTime t = std::chrono::system_clock::now();
  Bytes attrs = cms::signed_attributes(cms::Form::kRfc5652, crypto::HashAlg::kSm3, as_bytes("x"), t);
  Bytes bad_sig = LocalSigner(other).sign(attrs).value();
  Bytes forged = cms::signed_data({cms::Form::kRfc5652, SigAlg::kSm2Sm3, s.leaf, to_bytes("x"), false, t, bad_sig, std::nullopt}).value();
  EXPECT_EQ(cms::verify(forged).error().code, "cms_signature_invalid");
  // Detached without the content.
  Bytes det = make_cms(s, cms::Form::kRfc5652, as_bytes("x"), true);
  EXPECT_EQ(cms::verify(det).error().code, "cms_content_missing");
}

// What `openssl cms -verify -noverify -binary` says (in process): the signature and OpenSSL's
// attribute rules, without the certificate path.
bool openssl_verifies(const Bytes& der) {
  const unsigned char* p = der.data();
  CMS_ContentInfo* ci = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size()));
  if (ci == nullptr) return false;
  BIO* out = BIO_new(BIO_s_mem());
  const int ok =
      CMS_verify(ci, nullptr, nullptr, nullptr, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
  BIO_free(out);
  CMS_ContentInfo_free(ci);
  return ok == 1;
}

// SignedData written field by field and signed for real (ECDSA P-256, which OpenSSL verifies), so
// that each case differs from a valid message in one field only. Found by comparing with
// `openssl cms -verify` (docs/SECURITY.md "Fuzzing"); the inputs are kept under
// fuzz/regressions/cms/signed-*.
TEST(CmsSigned, FieldsOtherReadersRefuseAreRefused) {
  SystemRng rng;
  Signer2 s = make(crypto::KeyType::kEcP256, rng);
  const CertFacts leaf = read_certificate(s.leaf).value();
  const Bytes content = to_bytes("bid document");
  const Bytes md = der::octet_string(crypto::digest(crypto::HashAlg::kSha256, content));
  const Bytes data_type = der::oid_or_die(cms::data_oid(cms::Form::kRfc5652));
  const Bytes utc = der::tlv(der::kUtcTime, to_bytes("260101120000Z"));
  auto attr = [](std::string_view oid, std::vector<Bytes> values) {
    Bytes vs;
    for (const auto& v : values) vs.insert(vs.end(), v.begin(), v.end());
    return der::seq({der::oid_or_die(oid), der::tlv(der::kSet, vs)});
  };
  const std::string_view kType = "1.2.840.113549.1.9.3", kDigest = "1.2.840.113549.1.9.4",
                         kTime = "1.2.840.113549.1.9.5";
  const Bytes sha256 = der::seq({der::oid_or_die("2.16.840.1.101.3.4.2.1")});
  struct Fields {
    std::vector<Bytes> attrs;
    bool sort_attrs = true;
    Bytes version = der::integer(1), signer_version = der::integer(1), serial, certs, crls;
    Bytes digest_alg, sig_alg = der::seq({der::oid_or_die("1.2.840.10045.4.3.2")});
  };
  auto message = [&](Fields f) {
    if (f.attrs.empty())
      f.attrs = {attr(kType, {data_type}), attr(kTime, {utc}), attr(kDigest, {md})};
    if (f.serial.empty()) f.serial = der::integer_unsigned(leaf.serial);
    if (f.certs.empty()) f.certs = s.leaf;
    if (f.digest_alg.empty()) f.digest_alg = sha256;
    Bytes attrs;
    if (f.sort_attrs) {
      attrs = der::set_of(f.attrs);
    } else {
      Bytes c;
      for (const auto& a : f.attrs) c.insert(c.end(), a.begin(), a.end());
      attrs = der::tlv(der::kSet, c);
    }
    const Bytes sig = LocalSigner(s.leaf_key).sign(attrs).value();
    const Bytes signed_attrs = der::implicit(0, true, der::read_tlv(attrs).value().content(attrs));
    const Bytes si = der::seq({f.signer_version, der::seq({leaf.issuer, f.serial}), f.digest_alg,
                               signed_attrs, f.sig_alg, der::octet_string(sig)});
    const Bytes encap = der::seq({data_type, der::explicit_tag(0, der::octet_string(content))});
    const Bytes certs = der::implicit(0, true, f.certs);
    const Bytes crls = f.crls.empty() ? Bytes{} : der::implicit(1, true, f.crls);
    const Bytes sd =
        der::seq({f.version, der::set_of({f.digest_alg}), encap, certs, crls, der::set_of({si})});
    return der::seq(
        {der::oid_or_die(cms::signed_data_oid(cms::Form::kRfc5652)), der::explicit_tag(0, sd)});
  };
  // A CRL of the root's, for a crls field that holds what it should.
  CrlTemplate crl;
  crl.issuer = read_certificate(s.root).value().subject;
  crl.this_update = std::chrono::system_clock::now();
  crl.next_update = crl.this_update + std::chrono::hours(24);
  crl.authority_key_id = key_identifier(read_certificate(s.root).value().spki).value();
  LocalSigner root_signer(s.root_key, "");
  const Bytes a_crl = issue_crl(crl, root_signer).value();

  // What both accept.
  const Fields plain;
  Fields with_crl, digest_null, no_time, leap_day;
  with_crl.crls = a_crl;
  digest_null.digest_alg = der::seq({der::oid_or_die("2.16.840.1.101.3.4.2.1"), der::null()});
  no_time.attrs = {attr(kType, {data_type}), attr(kDigest, {md})};
  leap_day.attrs = {attr(kType, {data_type}),
                    attr(kTime, {der::tlv(der::kUtcTime, to_bytes("280229120000Z"))}),
                    attr(kDigest, {md})};
  for (const Fields& good : {plain, with_crl, digest_null, no_time, leap_day}) {
    const Bytes m = message(good);
    SCOPED_TRACE(hex_encode(m));
    EXPECT_TRUE(openssl_verifies(m));
    auto v = cms::verify(m);
    ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().cause;
    EXPECT_EQ(v->certificate, s.leaf);
  }

  // What OpenSSL refuses, and so must we.
  Fields two_digests, two_types, two_times, digest_two_values, certs_null, certs_int, certs_seq,
      crls_null, crls_seq, version_padded, signer_version_padded, serial_padded, digest_bit_string,
      sig_bit_string;
  two_digests.attrs = {attr(kType, {data_type}), attr(kTime, {utc}), attr(kDigest, {md}),
                       attr(kDigest, {md})};
  two_types.attrs = {attr(kType, {data_type}), attr(kType, {data_type}), attr(kTime, {utc}),
                     attr(kDigest, {md})};
  two_times.attrs = {attr(kType, {data_type}), attr(kTime, {utc}),
                     attr(kTime, {der::tlv(der::kUtcTime, to_bytes("260101120001Z"))}),
                     attr(kDigest, {md})};
  digest_two_values.attrs = {attr(kType, {data_type}), attr(kTime, {utc}),
                             attr(kDigest, {md, der::octet_string(Bytes(32, 'x'))})};
  certs_null.certs = der::concat({s.leaf, der::null()});
  certs_int.certs = der::concat({s.leaf, der::integer(7)});
  certs_seq.certs = der::concat({s.leaf, der::seq({der::integer(7)})});
  crls_null.crls = der::null();
  crls_seq.crls = der::seq({});
  version_padded.version = der::tlv(der::kInteger, Bytes{0x00, 0x01});
  signer_version_padded.signer_version = der::tlv(der::kInteger, Bytes{0x00, 0x01});
  Bytes padded_serial = {0x00};
  padded_serial.insert(padded_serial.end(), leaf.serial.begin(), leaf.serial.end());
  serial_padded.serial = der::tlv(der::kInteger, padded_serial);
  digest_bit_string.digest_alg =
      der::seq({der::oid_or_die("2.16.840.1.101.3.4.2.1"), Bytes{0x03, 0x00}});
  sig_bit_string.sig_alg = der::seq({der::oid_or_die("1.2.840.10045.4.3.2"), Bytes{0x03, 0x00}});
  for (const Fields& bad :
       {two_digests, two_types, two_times, digest_two_values, certs_null, certs_int, certs_seq,
        crls_null, crls_seq, version_padded, signer_version_padded, serial_padded,
        digest_bit_string, sig_bit_string}) {
    const Bytes m = message(bad);
    SCOPED_TRACE(hex_encode(m));
    EXPECT_FALSE(openssl_verifies(m));
    auto v = cms::verify(m);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.error().code, "cms_signature_invalid");  // refused for its form, not its signature
  }

  // What OpenSSL takes and DER or the calendar do not: refused by us (stricter, on purpose).
  Fields unsorted, feb_30, second_60;
  unsorted.attrs = {attr(kDigest, {md}), attr(kType, {data_type}), attr(kTime, {utc})};
  unsorted.sort_attrs = false;
  feb_30.attrs = {attr(kType, {data_type}),
                  attr(kTime, {der::tlv(der::kUtcTime, to_bytes("260230120000Z"))}),
                  attr(kDigest, {md})};
  second_60.attrs = {attr(kType, {data_type}),
                     attr(kTime, {der::tlv(der::kUtcTime, to_bytes("261231235960Z"))}),
                     attr(kDigest, {md})};
  for (const Fields& strict : {unsorted, feb_30, second_60}) {
    const Bytes m = message(strict);
    SCOPED_TRACE(hex_encode(m));
    EXPECT_TRUE(openssl_verifies(m));
    auto v = cms::verify(m);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, "cms_malformed");
  }
}

}  // namespace
}  // namespace certseal::pki
