// CMS EnvelopedData to an SM2 certificate (pki/cms_enveloped), opened independently with the
// openssl CLI: the content key with `openssl pkeyutl -decrypt` (GM/T 0009 DER ciphertext), the
// content with `openssl enc -d -sm4-cbc`; the OIDs of both forms as `openssl asn1parse` prints them.
#include "pki/cms_enveloped.h"

#include <gtest/gtest.h>
#include <openssl/cms.h>

#include <filesystem>

#include "base/encoding.h"
#include "crypto/testing/interop.h"
#include "pki/certificate.h"
#include "pki/der.h"
#include "support/test_env.h"

namespace certseal::pki {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::write_file;

// A self-signed recipient certificate of `type` in `dir`: key.pem, cert.der and cert.pem.
struct Recipient {
  crypto::PrivateKey key;
  Bytes cert;
};
Recipient self_signed_recipient(crypto::KeyType type, Bytes serial, const std::string& cn, const std::string& dir,
                                Rng& rng) {
  auto key = crypto::PrivateKey::generate(type, rng).value();
  CertTemplate t;
  t.serial = std::move(serial);
  t.not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  t.not_after = t.not_before + std::chrono::hours(48);
  t.issuer = t.subject = name_der({{"CN", cn}}).value();
  t.spki = key.public_key().spki_der();
  LocalSigner self(key);
  Bytes cert = issue_certificate(t, self).value();
  auto pem = key.pem();
  write_file(dir + "/key.pem", as_bytes(std::string_view(pem.data(), pem.size())));
  write_file(dir + "/cert.der", cert);
  EXPECT_EQ(openssl("x509 -inform DER -in " + dir + "/cert.der -out " + dir + "/cert.pem").exit_code, 0);
  return {std::move(key), std::move(cert)};
}

// Our envelope of `content` to `cert`, which `openssl cms -decrypt` with dir/key.pem must open.
Bytes envelope_that_openssl_opens(const Bytes& cert, const std::string& content, const std::string& dir, Rng& rng) {
  Bytes env = cms::enveloped_data(cms::Form::kGmt0010, cert, as_bytes(content), rng).value();
  write_file(dir + "/ours.der", env);
  auto dec = openssl("cms -decrypt -inform DER -in " + dir + "/ours.der -inkey " + dir + "/key.pem -recip " + dir +
                     "/cert.pem -out " + dir + "/ours.txt");
  EXPECT_EQ(dec.exit_code, 0) << dec.out;
  EXPECT_EQ(to_string(read_file(dir + "/ours.txt")), content);
  return env;
}

TEST(CmsEnveloped, OpensslOpensTheKeyAndTheContentInBothForms) {
  SystemRng rng;
  certseal::testing::TempDir tmp;  // removed however the test ends
  const std::string dir = tmp.path();
  auto key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  CertTemplate t;
  t.serial = {0x7a, 0x01};
  t.not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  t.not_after = t.not_before + std::chrono::hours(48);
  t.issuer = t.subject = name_der({{"CN", "投标人"}}).value();
  t.spki = key.public_key().spki_der();
  LocalSigner self(key);
  Bytes cert = issue_certificate(t, self).value();
  auto pem = key.pem();
  write_file(dir + "/key.pem", as_bytes(std::string_view(pem.data(), pem.size())));
  const std::string content = "投标文件：第2包，报价 3,450,000 元";
  for (auto form : {cms::Form::kRfc5652, cms::Form::kGmt0010}) {
    Bytes env = cms::enveloped_data(form, cert, as_bytes(content), rng).value();
    write_file(dir + "/env.der", env);
    auto parsed_text = openssl("asn1parse -inform DER -in " + dir + "/env.der").out;
    EXPECT_NE(parsed_text.find(form == cms::Form::kGmt0010 ? "1.2.156.10197.6.1.4.2.3" : "pkcs7-envelopedData"),
              std::string::npos)
        << parsed_text;
    auto e = cms::parse_enveloped(env);
    ASSERT_TRUE(e.ok()) << e.error().code;
    EXPECT_EQ(e->recipient_serial, t.serial);
    write_file(dir + "/ek.der", e->encrypted_key);
    auto cek = openssl("pkeyutl -decrypt -inkey " + dir + "/key.pem -in " + dir + "/ek.der -out " + dir + "/cek.bin");
    ASSERT_EQ(cek.exit_code, 0) << cek.out;
    Bytes cek_bytes = read_file(dir + "/cek.bin");
    ASSERT_EQ(cek_bytes.size(), 16u);
    write_file(dir + "/ct.bin", e->encrypted_content);
    auto dec = openssl("enc -d -sm4-cbc -K " + hex_encode(cek_bytes) + " -iv " + hex_encode(e->iv) + " -in " + dir +
                       "/ct.bin -out " + dir + "/plain.txt");
    ASSERT_EQ(dec.exit_code, 0) << dec.out;
    EXPECT_EQ(to_string(read_file(dir + "/plain.txt")), content);
    EXPECT_EQ(to_string(cms::open_content(*e, cek_bytes).value()), content);
  }
  // SM2, RSA and P-256 recipients (P-256 with key agreement); another curve is refused; garbage is
  // malformed.
  auto p256 = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng).value();
  t.spki = p256.public_key().spki_der();
  LocalSigner ps(p256);
  auto to_p256 = cms::enveloped_data(cms::Form::kRfc5652, issue_certificate(t, ps).value(), as_bytes("x"), rng);
  ASSERT_TRUE(to_p256.ok());
  EXPECT_EQ(cms::parse_enveloped(*to_p256)->key_transport, cms::KeyTransport::kEcdh);
  ASSERT_EQ(openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout " + dir + "/p384.key -subj "
                    "/CN=p384 -days 1 -outform DER -out " + dir + "/p384.der")
                .exit_code,
            0);
  EXPECT_EQ(cms::enveloped_data(cms::Form::kRfc5652, read_file(dir + "/p384.der"), as_bytes("x"), rng).error().code,
            "unsupported_recipient");
  EXPECT_EQ(cms::parse_enveloped(to_bytes("junk")).error().code, "cms_malformed");
}

// RSA recipients: `openssl cms -decrypt` with the ordinary key opens ours (RSAES-OAEP-SHA256,
// AES-256-CBC); ours parses what `openssl cms -encrypt` makes (PKCS#1 v1.5 and OAEP, AES-128/256)
// and opens the content with the key that `openssl pkeyutl` unwraps.
TEST(CmsEnveloped, RsaEnvelopesInteroperateWithOpensslCms) {
  SystemRng rng;
  certseal::testing::TempDir tmp;
  const std::string dir = tmp.path();
  auto [key, cert] = self_signed_recipient(crypto::KeyType::kRsa2048, {0x52, 0x53}, "RSA bidder", dir, rng);
  const std::string content = "bid for lot 2: 3,450,000.00";
  Bytes env = envelope_that_openssl_opens(cert, content, dir, rng);
  auto ours = cms::parse_enveloped(env).value();
  EXPECT_EQ(ours.key_transport, cms::KeyTransport::kRsaOaepSha256);
  EXPECT_EQ(ours.content_key_size, 32u);
  EXPECT_EQ(ours.form, cms::Form::kRfc5652);  // RSA envelopes use the RFC 5652 OIDs whatever was asked

  write_file(dir + "/plain.txt", as_bytes(content));
  struct Case {
    std::string opts;  // the cipher, then -keyopt options (which follow the -recip they apply to)
    cms::KeyTransport kt;
    std::size_t key_size;
  };
  for (const Case& c : {Case{"-aes256", cms::KeyTransport::kRsaPkcs1, 32},
                        Case{"-aes128 -keyopt rsa_padding_mode:oaep", cms::KeyTransport::kRsaOaepSha1, 16},
                        Case{"-aes256 -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256",
                             cms::KeyTransport::kRsaOaepSha256, 32}}) {
    const std::size_t sp = c.opts.find(' ');
    const std::string cipher = c.opts.substr(0, sp), keyopts = sp == std::string::npos ? "" : c.opts.substr(sp);
    auto enc = openssl("cms -encrypt -binary " + cipher + " -in " + dir + "/plain.txt -outform DER -out " + dir +
                       "/theirs.der -recip " + dir + "/cert.pem" + keyopts);
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
    auto e = cms::parse_enveloped(read_file(dir + "/theirs.der"));
    ASSERT_TRUE(e.ok()) << c.opts << ": " << e.error().code << " " << e.error().message;
    EXPECT_EQ(e->key_transport, c.kt) << c.opts;
    EXPECT_EQ(e->content_key_size, c.key_size) << c.opts;
    EXPECT_EQ(e->recipient_serial, (Bytes{0x52, 0x53}));
    auto scheme = c.kt == cms::KeyTransport::kRsaPkcs1 ? crypto::EncryptScheme::kRsaPkcs1 : crypto::EncryptScheme::kRsaOaepSha256;
    if (c.kt == cms::KeyTransport::kRsaOaepSha1) continue;  // our EVP wrapper has no OAEP-SHA-1; the shield test covers it
    auto cek = crypto::decrypt(key, scheme, e->encrypted_key);
    ASSERT_TRUE(cek.ok()) << c.opts;
    EXPECT_EQ(to_string(cms::open_content(*e, BytesView(cek->data(), cek->size())).value()), content);
    EXPECT_EQ(cms::open_content(*e, Bytes(7, 1)).error().code, "decryption_failed");
  }
}

}  // namespace
}  // namespace certseal::pki

namespace certseal::pki {
namespace {

// The parsers take input from relying parties and users: every truncation is refused, and no
// single-byte change crashes them or is accepted as the original.
TEST(CmsParsers, TruncatedAndFlippedInputIsRefusedWithoutCrashing) {
  SystemRng rng;
  auto key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  CertTemplate t;
  t.serial = {0x01};
  t.not_before = std::chrono::system_clock::now();
  t.not_after = t.not_before + std::chrono::hours(1);
  t.issuer = t.subject = name_der({{"CN", "x"}}).value();
  t.spki = key.public_key().spki_der();
  LocalSigner self(key);
  Bytes cert = issue_certificate(t, self).value();
  const SysTime now = std::chrono::system_clock::now();
  Bytes attrs = cms::signed_attributes(cms::Form::kRfc5652, crypto::HashAlg::kSm3, as_bytes("abc"), now);
  Bytes sd = cms::signed_data({cms::Form::kRfc5652, SigAlg::kSm2Sm3, cert, to_bytes("abc"), false, now,
                               self.sign(attrs).value(), std::nullopt})
                 .value();
  Bytes env = cms::enveloped_data(cms::Form::kRfc5652, cert, as_bytes("abc"), rng).value();
  ASSERT_TRUE(cms::verify(sd).ok());
  ASSERT_TRUE(cms::parse_enveloped(env).ok());
  for (std::size_t n = 0; n < sd.size(); ++n) {
    EXPECT_FALSE(cms::verify(BytesView(sd).subspan(0, n)).ok()) << n;
  }
  for (std::size_t n = 0; n < env.size(); ++n) {
    EXPECT_FALSE(cms::parse_enveloped(BytesView(env).subspan(0, n)).ok()) << n;
  }
  // Outside the embedded certificate (whose own integrity is the chain check's business, e.g. the
  // verification API's chain_ok) no flipped bit is accepted.
  const auto at = std::search(sd.begin(), sd.end(), cert.begin(), cert.end());
  ASSERT_NE(at, sd.end());
  const std::size_t cert_from = static_cast<std::size_t>(at - sd.begin()), cert_to = cert_from + cert.size();
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < sd.size(); ++i) {
    if (i >= cert_from && i < cert_to) continue;
    for (std::uint8_t bit : {0x01, 0x80}) {
      Bytes m = sd;
      m[i] ^= bit;
      if (cms::verify(m).ok()) accepted.push_back(i);
    }
  }
  std::string where;
  for (auto i : accepted) where += std::to_string(i) + " ";
  EXPECT_TRUE(accepted.empty()) << accepted.size() << " accepted at " << where
                                << " of " << sd.size() << " (certificate at " << cert_from << ")";
  for (std::size_t i = 0; i < env.size(); ++i) {
    Bytes m = env;
    m[i] ^= 0x80;
    (void)cms::parse_enveloped(m);
  }
  // The same for an envelope to an RSA certificate (RSAES-OAEP parameters, AES content).
  auto rsa = crypto::PrivateKey::generate(crypto::KeyType::kRsa2048, rng).value();
  t.spki = rsa.public_key().spki_der();
  LocalSigner rs(rsa);
  Bytes rsa_env = cms::enveloped_data(cms::Form::kRfc5652, issue_certificate(t, rs).value(), as_bytes("abc"), rng).value();
  ASSERT_TRUE(cms::parse_enveloped(rsa_env).ok());
  for (std::size_t n = 0; n < rsa_env.size(); ++n) {
    EXPECT_FALSE(cms::parse_enveloped(BytesView(rsa_env).subspan(0, n)).ok()) << n;
  }
  for (std::size_t i = 0; i < rsa_env.size(); ++i) {
    for (std::uint8_t bit : {0x01, 0x80}) {
      Bytes m = rsa_env;
      m[i] ^= bit;
      (void)cms::parse_enveloped(m);
    }
  }
  // And for an envelope to a P-256 certificate (KeyAgreeRecipientInfo, originator key, wrap).
  auto ec = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng).value();
  t.spki = ec.public_key().spki_der();
  LocalSigner es(ec);
  Bytes ec_env = cms::enveloped_data(cms::Form::kRfc5652, issue_certificate(t, es).value(), as_bytes("abc"), rng).value();
  ASSERT_TRUE(cms::parse_enveloped(ec_env).ok());
  for (std::size_t n = 0; n < ec_env.size(); ++n) {
    EXPECT_FALSE(cms::parse_enveloped(BytesView(ec_env).subspan(0, n)).ok()) << n;
  }
  for (std::size_t i = 0; i < ec_env.size(); ++i) {
    for (std::uint8_t bit : {0x01, 0x80}) {
      Bytes m = ec_env;
      m[i] ^= bit;
      (void)cms::parse_enveloped(m);
    }
  }
}

}  // namespace
}  // namespace certseal::pki

namespace certseal::pki {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::write_file;

// Z = x·R with an ordinary P-256 key (what the two-party key computes through the shield).
SecretBytes ecdh_z(const crypto::PrivateKey& key, BytesView point) {
  auto peer = crypto::PublicKey::ec_from_point(crypto::KeyType::kEcP256, point).value();
  crypto::EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  std::size_t len = 0;
  EXPECT_EQ(EVP_PKEY_derive_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_derive_set_peer(ctx.get(), peer.get()), 1);
  EXPECT_EQ(EVP_PKEY_derive(ctx.get(), nullptr, &len), 1);
  SecretBytes z(len);
  EXPECT_EQ(EVP_PKEY_derive(ctx.get(), z.data(), &len), 1);
  return z;
}

// P-256 recipients (RFC 5753 key agreement): `openssl cms -decrypt` with the ordinary key opens
// ours (stdDH-sha256kdf, AES-256 wrap, AES-256-CBC); ours opens what `openssl cms -encrypt` makes
// by default (sha1kdf, 3DES wrap, DES-EDE3-CBC) and with AES and SHA-256 options.
TEST(CmsEnveloped, EcEnvelopesInteroperateWithOpensslCms) {
  SystemRng rng;
  certseal::testing::TempDir tmp;
  const std::string dir = tmp.path();
  auto [key, cert] = self_signed_recipient(crypto::KeyType::kEcP256, {0x45, 0x43}, "P-256 bidder", dir, rng);
  const std::string content = "bid for lot 5: 1,200,000.00";
  Bytes env = envelope_that_openssl_opens(cert, content, dir, rng);
  auto ours = cms::parse_enveloped(env).value();
  EXPECT_EQ(ours.key_transport, cms::KeyTransport::kEcdh);
  EXPECT_EQ(ours.form, cms::Form::kRfc5652);
  auto cek = cms::kari_unwrap(ours, ecdh_z(key, ours.originator_point));
  ASSERT_TRUE(cek.ok());
  EXPECT_EQ(to_string(cms::open_content(ours, BytesView(cek->data(), cek->size())).value()), content);

  write_file(dir + "/plain.txt", as_bytes(content));
  struct Case {
    std::string opts;
    cms::ContentCipher cipher;
    cms::KeyWrap wrap;
    crypto::KdfHash kdf;
  };
  for (const Case& c : {Case{"", cms::ContentCipher::kDes3Cbc, cms::KeyWrap::kCms3Des, crypto::KdfHash::kSha1},
                        Case{"-aes128", cms::ContentCipher::kAesCbc, cms::KeyWrap::kAes128, crypto::KdfHash::kSha1},
                        Case{"-aes256 -keyopt ecdh_kdf_md:sha256", cms::ContentCipher::kAesCbc, cms::KeyWrap::kAes256,
                             crypto::KdfHash::kSha256}}) {
    const std::size_t sp = c.opts.find(' ');
    const std::string cipher = c.opts.substr(0, sp), keyopts = sp == std::string::npos ? "" : c.opts.substr(sp);
    auto enc = openssl("cms -encrypt -binary " + cipher + " -in " + dir + "/plain.txt -outform DER -out " + dir +
                       "/theirs.der -recip " + dir + "/cert.pem" + keyopts);
    ASSERT_EQ(enc.exit_code, 0) << enc.out;
    auto e = cms::parse_enveloped(read_file(dir + "/theirs.der"));
    ASSERT_TRUE(e.ok()) << c.opts << ": " << e.error().code << " " << e.error().message;
    EXPECT_EQ(e->key_transport, cms::KeyTransport::kEcdh) << c.opts;
    EXPECT_EQ(e->cipher, c.cipher) << c.opts;
    EXPECT_EQ(e->wrap, c.wrap) << c.opts;
    EXPECT_EQ(e->kdf, c.kdf) << c.opts;
    EXPECT_EQ(e->recipient_serial, (Bytes{0x45, 0x43}));
    auto k = cms::kari_unwrap(*e, ecdh_z(key, e->originator_point));
    ASSERT_TRUE(k.ok()) << c.opts;
    EXPECT_EQ(to_string(cms::open_content(*e, BytesView(k->data(), k->size())).value()), content) << c.opts;
    // Another key's Z does not unwrap (the wrap's integrity check).
    auto other = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng).value();
    EXPECT_EQ(cms::kari_unwrap(*e, ecdh_z(other, e->originator_point)).error().code, "decryption_failed");
  }
}

// Found by fuzz/cms_fuzz.cpp's differential (input kept as fuzz/regressions/cms/
// ktri-rsa-parameters-empty-bit-string): an envelope whose rsaEncryption parameters were an empty
// BIT STRING (no well-formed value) was read, though OpenSSL refuses it. A sender must not be able
// to hand us an envelope other readers of the same bytes cannot read. Parameters of the key
// transport, the key wrap and the originator's key are now absent or NULL (or the P-256 OID for the
// originator), as OpenSSL's reader takes them; versions and serial numbers are DER INTEGERs.
bool openssl_reads(const Bytes& der) {
  const unsigned char* p = der.data();
  CMS_ContentInfo* ci = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size()));
  if (ci == nullptr) return false;
  CMS_ContentInfo_free(ci);
  return true;
}

TEST(CmsEnveloped, FieldsOtherReadersRefuseAreRefused) {
  const Bytes issuer = name_der({{"CN", "recipient CA"}}).value();
  const Bytes rid = der::seq({issuer, der::integer_unsigned(Bytes{0x01})});
  const Bytes eci = der::seq({der::oid_or_die("1.2.840.113549.1.7.1"),
                              der::seq({der::oid_or_die("2.16.840.1.101.3.4.1.2"), der::octet_string(Bytes(16, 1))}),
                              der::implicit(0, false, Bytes(16, 2))});
  auto alg = [](std::string_view oid, const Bytes& params) {
    return params.empty() ? der::seq({der::oid_or_die(oid)}) : der::seq({der::oid_or_die(oid), params});
  };
  auto envelope = [&](const Bytes& version, const Bytes& recipient_info, const Bytes& content_info) {
    const Bytes ed = der::seq({version, der::set_of({recipient_info}), content_info});
    return der::seq({der::oid_or_die("1.2.840.113549.1.7.3"), der::explicit_tag(0, ed)});
  };
  // Key transport (rsaEncryption) with the parameters and the recipient given.
  auto ktri_to = [&](const Bytes& params, const Bytes& recipient) {
    const Bytes ri = der::seq(
        {der::integer(0), recipient, alg("1.2.840.113549.1.1.1", params), der::octet_string(Bytes(128, 7))});
    return envelope(der::integer(0), ri, eci);
  };
  auto ktri = [&](const Bytes& params) { return ktri_to(params, rid); };
  const Bytes aes256 = der::seq({der::oid_or_die("2.16.840.1.101.3.4.1.42"), der::octet_string(Bytes(16, 1))});
  const Bytes aes256_eci =
      der::seq({der::oid_or_die("1.2.840.113549.1.7.1"), aes256, der::implicit(0, false, Bytes(16, 2))});
  // Key agreement (stdDH SHA-256, AES-256 wrap) with the originator key's and the wrap's parameters.
  auto kari_to = [&](const Bytes& originator_params, const Bytes& wrap_params, const Bytes& recipient) {
    Bytes point(65, 0x11);
    point[0] = 0x04;
    const Bytes originator = der::explicit_tag(
        0, der::implicit(1, true, der::concat({alg("1.2.840.10045.2.1", originator_params), der::bit_string(point)})));
    const Bytes kea = der::seq({der::oid_or_die("1.3.132.1.11.1"), alg("2.16.840.1.101.3.4.1.45", wrap_params)});
    const Bytes rek = der::seq({der::seq({recipient, der::octet_string(Bytes(40, 3))})});
    return envelope(der::integer(2), der::implicit(1, true, der::concat({der::integer(3), originator, kea, rek})),
                    aes256_eci);
  };
  auto kari = [&](const Bytes& originator_params, const Bytes& wrap_params) {
    return kari_to(originator_params, wrap_params, rid);
  };
  // Serial numbers that are no DER INTEGER (found the same way: the input kept as
  // fuzz/regressions/cms/kari-serial-not-minimal): padded with 0xFF or 0x00, empty.
  auto rid_with_serial = [&](const Bytes& content) { return der::seq({issuer, der::tlv(der::kInteger, content)}); };
  const Bytes padded_ff = rid_with_serial({0xff, 0xff, 0x80}), padded_00 = rid_with_serial({0x00, 0x01}),
              empty_serial = rid_with_serial({});
  const Bytes empty_bit_string = {0x03, 0x00}, null_with_content = {0x05, 0x01, 0x00};
  const Bytes p256 = der::oid_or_die("1.2.840.10045.3.1.7");

  // What both read.
  for (const Bytes& good : {ktri({}), ktri(der::null()), kari({}, {}), kari(p256, {}), kari(der::null(), {})}) {
    EXPECT_TRUE(cms::parse_enveloped(good).ok());
    EXPECT_TRUE(openssl_reads(good));
  }
  // What OpenSSL refuses, and so must we.
  for (const Bytes& bad :
       {ktri(empty_bit_string), ktri(null_with_content), kari(empty_bit_string, {}), kari(null_with_content, {}),
        ktri_to({}, padded_ff), ktri_to({}, padded_00), ktri_to({}, empty_serial), kari_to({}, {}, padded_ff),
        kari_to({}, {}, padded_00), kari_to({}, {}, empty_serial)}) {
    SCOPED_TRACE(hex_encode(bad));
    EXPECT_FALSE(openssl_reads(bad));
    auto e = cms::parse_enveloped(bad);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, "cms_malformed");
  }
  // Parameters these algorithms do not take, which OpenSSL's reader lets through (well-formed
  // values; the key wrap's AlgorithmIdentifier, which it reads only when it decrypts): refused too.
  const Bytes boolean_true = der::boolean(true);
  for (const Bytes& odd : {ktri(boolean_true), kari(boolean_true, {}), kari({}, boolean_true), kari({}, empty_bit_string),
                           kari({}, null_with_content)}) {
    SCOPED_TRACE(hex_encode(odd));
    EXPECT_EQ(cms::parse_enveloped(odd).error().code, "cms_malformed");
  }
}

}  // namespace
}  // namespace certseal::pki
