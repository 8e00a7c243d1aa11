// CMS SignedData built by pki/cms_signed against independent verifiers: `openssl cms -verify`
// with the CA chain for ECDSA P-256 and RSA; for SM2 (which OpenSSL 3.0's cms cannot verify) the
// signed-attributes signature through `openssl pkeyutl -verify` with the GM/T signer ID plus the
// message digest from `openssl asn1parse` against `openssl dgst -sm3`. And our own verify():
// both forms, attached and detached, and what it must refuse (changed content, changed signature).
#include "pki/cms_signed.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/testing/interop.h"
#include "pki/certificate.h"
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
  return cms::signed_data({form, alg, s.leaf, Bytes(content.begin(), content.end()), detached, t, sig}).value();
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
  Bytes forged = cms::signed_data({cms::Form::kRfc5652, SigAlg::kSm2Sm3, s.leaf, to_bytes("x"), false, t, bad_sig}).value();
  EXPECT_EQ(cms::verify(forged).error().code, "cms_signature_invalid");
  // Detached without the content.
  Bytes det = make_cms(s, cms::Form::kRfc5652, as_bytes("x"), true);
  EXPECT_EQ(cms::verify(det).error().code, "cms_content_missing");
}

}  // namespace
}  // namespace certseal::pki
