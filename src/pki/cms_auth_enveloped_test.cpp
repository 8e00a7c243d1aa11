// CMS AuthEnvelopedData with AES-GCM (pki/cms_enveloped.h, RFC 5083/5084): ours opened by
// `openssl cms -decrypt` with ordinary RSA and P-256 keys; `openssl cms -encrypt -aes-*-gcm`
// envelopes opened by our reader; and, from the attacker's side, every change to an envelope
// (ciphertext, tag, authenticated attributes, parameters) refused with no plaintext released.
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/cipher.h"
#include "crypto/testing/interop.h"
#include "pki/certificate.h"
#include "pki/cms_enveloped.h"
#include "pki/der.h"
#include "support/test_env.h"

namespace certseal::pki {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::write_file;

struct Recipient {
  crypto::PrivateKey key;
  Bytes cert;
};
// A self-signed recipient of `type` in `dir`: key.pem, cert.der, cert.pem.
Recipient make_recipient(crypto::KeyType type, const std::string& cn, const std::string& dir, Rng& rng) {
  auto key = crypto::PrivateKey::generate(type, rng).value();
  CertTemplate t;
  t.serial = {0x61, 0x65};
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

// The content key of an envelope to `r` (RSA: PKCS#1 v1.5 or OAEP-SHA-256; P-256: ECDH + unwrap).
SecretBytes content_key(const cms::Enveloped& e, const Recipient& r) {
  if (e.key_transport == cms::KeyTransport::kEcdh) {
    auto z = ecdh_z(r.key, e.originator_point);
    return cms::kari_unwrap(e, BytesView(z.data(), z.size())).value();
  }
  auto scheme = e.key_transport == cms::KeyTransport::kRsaPkcs1 ? crypto::EncryptScheme::kRsaPkcs1
                                                                : crypto::EncryptScheme::kRsaOaepSha256;
  return crypto::decrypt(r.key, scheme, e.encrypted_key).value();
}

TEST(CmsEnveloped, AuthEnvelopedDataOpensWithOpensslCmsForRsaAndP256) {
  SystemRng rng;
  certseal::testing::TempDir tmp;
  for (auto type : {crypto::KeyType::kRsa2048, crypto::KeyType::kEcP256}) {
    const std::string dir = tmp.path();
    auto r = make_recipient(type, "GCM bidder", dir, rng);
    const std::string content = "投标文件 第3包 报价 2,180,000.00";
    Bytes env = cms::enveloped_data(cms::Form::kGmt0010, r.cert, as_bytes(content), rng).value();
    write_file(dir + "/ours.der", env);
    auto printed = openssl("cms -cmsout -print -inform DER -in " + dir + "/ours.der");
    ASSERT_EQ(printed.exit_code, 0) << printed.out;
    EXPECT_NE(printed.out.find("id-smime-ct-authEnvelopedData"), std::string::npos) << printed.out;
    EXPECT_NE(printed.out.find("aes-256-gcm"), std::string::npos) << printed.out;
    EXPECT_NE(printed.out.find("authAttrs:\n      <ABSENT>"), std::string::npos) << printed.out;
    auto dec = openssl("cms -decrypt -binary -inform DER -in " + dir + "/ours.der -inkey " + dir + "/key.pem -recip " +
                       dir + "/cert.pem -out " + dir + "/ours.txt");
    ASSERT_EQ(dec.exit_code, 0) << dec.out;
    EXPECT_EQ(to_string(read_file(dir + "/ours.txt")), content);
    // Our reader: AES-256-GCM, a 12-byte nonce, a 16-byte tag (aes-ICVlen written, not DEFAULT).
    auto e = cms::parse_enveloped(env).value();
    EXPECT_TRUE(e.authenticated);
    EXPECT_EQ(e.cipher, cms::ContentCipher::kAesGcm);
    EXPECT_EQ(e.content_key_size, 32u);
    EXPECT_EQ(e.iv.size(), 12u);
    EXPECT_EQ(e.icv_len, 16u);
    EXPECT_EQ(e.mac.size(), 16u);
    EXPECT_TRUE(e.aad.empty());
    auto cek = content_key(e, r);
    EXPECT_EQ(to_string(cms::open_content(e, BytesView(cek.data(), cek.size())).value()), content);

    // CBC on request: EnvelopedData that openssl opens too.
    Bytes cbc = cms::enveloped_data(cms::Form::kRfc5652, r.cert, as_bytes(content), rng,
                                    cms::ContentEncryption::kAesCbc)
                    .value();
    auto ce = cms::parse_enveloped(cbc).value();
    EXPECT_FALSE(ce.authenticated);
    EXPECT_EQ(ce.cipher, cms::ContentCipher::kAesCbc);
    write_file(dir + "/cbc.der", cbc);
    auto dec2 = openssl("cms -decrypt -binary -inform DER -in " + dir + "/cbc.der -inkey " + dir + "/key.pem -recip " +
                        dir + "/cert.pem -out " + dir + "/cbc.txt");
    ASSERT_EQ(dec2.exit_code, 0) << dec2.out;
    EXPECT_EQ(to_string(read_file(dir + "/cbc.txt")), content);
  }
  // SM2 stays SM4-CBC EnvelopedData whatever is asked.
  auto sm2 = make_recipient(crypto::KeyType::kSm2, "SM2 bidder", tmp.path(), rng);
  for (auto enc : {cms::ContentEncryption::kAesGcm, cms::ContentEncryption::kAesCbc}) {
    auto e = cms::parse_enveloped(cms::enveloped_data(cms::Form::kGmt0010, sm2.cert, as_bytes("x"), rng, enc).value());
    ASSERT_TRUE(e.ok());
    EXPECT_FALSE(e->authenticated);
    EXPECT_EQ(e->cipher, cms::ContentCipher::kSm4Cbc);
  }
  EXPECT_EQ(cms::content_encryption_from_name("aes-256-cbc"), cms::ContentEncryption::kAesCbc);
  EXPECT_EQ(cms::content_encryption_from_name("aes-256-gcm"), cms::ContentEncryption::kAesGcm);
  EXPECT_FALSE(cms::content_encryption_from_name("des").has_value());
}

// `openssl cms -encrypt -aes-256-gcm` / `-aes-128-gcm` (RSA: PKCS#1 v1.5 and OAEP-SHA-256; P-256:
// key agreement) opened by our reader; a flipped ciphertext byte, a flipped tag byte or another
// recipient's key release nothing.
TEST(CmsEnveloped, OpensslGcmEnvelopesOpenWithOurReaderAndTamperingIsRefused) {
  SystemRng rng;
  certseal::testing::TempDir tmp;
  const std::string content = "bid for lot 7: 990,000.00";
  for (auto type : {crypto::KeyType::kRsa2048, crypto::KeyType::kEcP256}) {
    const std::string dir = tmp.path();
    auto r = make_recipient(type, "openssl GCM", dir, rng);
    auto other = crypto::PrivateKey::generate(type, rng).value();
    write_file(dir + "/plain.txt", as_bytes(content));
    std::vector<std::pair<std::string, std::size_t>> cases = {{"-aes-256-gcm", 32}, {"-aes-128-gcm", 16}};
    if (type == crypto::KeyType::kRsa2048) {
      cases.push_back({"-aes-256-gcm -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256",
                       32});
    }
    for (const auto& [opts, key_size] : cases) {
      SCOPED_TRACE(opts);
      const std::size_t sp = opts.find(' ');
      const std::string cipher = opts.substr(0, sp), keyopts = sp == std::string::npos ? "" : opts.substr(sp);
      auto enc = openssl("cms -encrypt -binary " + cipher + " -in " + dir + "/plain.txt -outform DER -out " + dir +
                         "/theirs.der -recip " + dir + "/cert.pem" + keyopts);
      ASSERT_EQ(enc.exit_code, 0) << enc.out;
      const Bytes theirs = read_file(dir + "/theirs.der");
      auto e = cms::parse_enveloped(theirs);
      ASSERT_TRUE(e.ok()) << e.error().code << " " << e.error().message;
      EXPECT_TRUE(e->authenticated);
      EXPECT_EQ(e->cipher, cms::ContentCipher::kAesGcm);
      EXPECT_EQ(e->content_key_size, key_size);
      EXPECT_EQ(e->icv_len, 16u);
      EXPECT_EQ(e->recipient_serial, (Bytes{0x61, 0x65}));
      auto cek = content_key(*e, r);
      const BytesView k(cek.data(), cek.size());
      EXPECT_EQ(to_string(cms::open_content(*e, k).value()), content);

      // The attacker's side: the same envelope altered, or opened with another key.
      cms::Enveloped flipped_ct = *e;
      flipped_ct.encrypted_content[3] ^= 0x01;
      EXPECT_EQ(cms::open_content(flipped_ct, k).error().code, "decryption_failed");
      cms::Enveloped flipped_tag = *e;
      flipped_tag.mac.back() ^= 0x80;
      EXPECT_EQ(cms::open_content(flipped_tag, k).error().code, "decryption_failed");
      // The same flips in the DER: still parses (the tag is no structure), never opens.
      const auto at = std::search(theirs.begin(), theirs.end(), e->mac.begin(), e->mac.end());
      ASSERT_NE(at, theirs.end());
      Bytes der_flip = theirs;
      der_flip[static_cast<std::size_t>(at - theirs.begin())] ^= 0x04;
      EXPECT_EQ(cms::open_content(cms::parse_enveloped(der_flip).value(), k).error().code, "decryption_failed");
      // A wrong recipient: another key's unwrap fails (key agreement) or gives a key that the
      // tag refuses (key transport).
      Bytes wrong(key_size, 0x42);
      EXPECT_EQ(cms::open_content(*e, wrong).error().code, "decryption_failed");
      if (type == crypto::KeyType::kEcP256) {
        auto z = ecdh_z(other, e->originator_point);
        EXPECT_EQ(cms::kari_unwrap(*e, BytesView(z.data(), z.size())).error().code, "decryption_failed");
      } else {
        auto scheme = e->key_transport == cms::KeyTransport::kRsaPkcs1 ? crypto::EncryptScheme::kRsaPkcs1
                                                                       : crypto::EncryptScheme::kRsaOaepSha256;
        EXPECT_FALSE(crypto::decrypt(other, scheme, e->encrypted_key).ok());
      }
    }
  }
}

// Hand-made AuthEnvelopedData to a dummy key-transport recipient, content key known.
struct Gcm {
  Bytes cek = Bytes(32, 0x33);
  Bytes nonce = Bytes(12, 0x5a);
  std::optional<int> icv = 16;   // aes-ICVlen as written; nullopt: absent (DEFAULT 12)
  std::size_t tag_len = 16;      // the tag computed and put in mac
  std::optional<Bytes> attrs;    // authAttrs content (the attributes), authenticated as written
  std::optional<Bytes> sent_attrs;  // what is sent instead (tampering), when set
  bool mac = true;
  std::optional<Bytes> unauth;
  int version = 0;
  std::string content_type = "1.2.840.113549.1.7.1";
  std::string alg = "2.16.840.1.101.3.4.1.46";
  std::string outer = "1.2.840.113549.1.9.16.1.23";
};
Bytes make(const Gcm& g, const std::string& content = "sealed bid") {
  const Bytes issuer = name_der({{"CN", "recipient CA"}}).value();
  const Bytes ri = der::seq({der::integer(0), der::seq({issuer, der::integer_unsigned(Bytes{0x01})}),
                             der::seq({der::oid_or_die("1.2.840.113549.1.1.1"), der::null()}),
                             der::octet_string(Bytes(128, 7))});
  const Bytes aad = g.attrs ? der::tlv(der::kSet, *g.attrs) : Bytes();
  Bytes tag;
  Bytes ct = crypto::aes_gcm_encrypt(g.cek, g.nonce.size() == 12 ? g.nonce : Bytes(12, 0x5a), aad, as_bytes(content),
                                     g.tag_len < 12 ? 12 : g.tag_len, &tag)
                 .value();
  tag.resize(g.tag_len);
  Bytes params = g.icv ? der::seq({der::octet_string(g.nonce), der::integer(*g.icv)})
                       : der::seq({der::octet_string(g.nonce)});
  const Bytes eci = der::seq({der::oid_or_die(g.content_type), der::seq({der::oid_or_die(g.alg), params}),
                              der::implicit(0, false, ct)});
  Bytes body = der::concat({der::integer(g.version), der::set_of({ri}), eci});
  if (g.attrs) body = der::concat({body, der::implicit(1, true, g.sent_attrs ? *g.sent_attrs : *g.attrs)});
  if (g.mac) body = der::concat({body, der::octet_string(tag)});
  if (g.unauth) body = der::concat({body, der::implicit(2, true, *g.unauth)});
  return der::seq({der::oid_or_die(g.outer), der::explicit_tag(0, der::tlv(der::kSequence, body))});
}
// The reader's verdict: "accepted" or the error code.
std::string verdict(const Bytes& der) {
  auto e = cms::parse_enveloped(der);
  return e.ok() ? std::string("accepted") : e.error().code;
}
Bytes attribute(const std::string& oid, const Bytes& value) {
  return der::seq({der::oid_or_die(oid), der::set_of({value})});
}

TEST(CmsEnveloped, GcmParametersDefaultIcvLengthBothWays) {
  const Bytes nonce(12, 0x11);
  // Written: the DEFAULT (12) is left out, anything else is written.
  EXPECT_EQ(cms::gcm_parameters(nonce, 12), der::seq({der::octet_string(nonce)}));
  EXPECT_EQ(cms::gcm_parameters(nonce, 16), der::seq({der::octet_string(nonce), der::integer(16)}));
  // Read: absent is 12, and the mac must then be 12 bytes.
  Gcm g;
  g.icv.reset();
  g.tag_len = 12;
  auto e = cms::parse_enveloped(make(g));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->icv_len, 12u);
  EXPECT_EQ(to_string(cms::open_content(*e, g.cek).value()), "sealed bid");
  g.tag_len = 16;  // a 16-byte mac under the DEFAULT 12
  EXPECT_EQ(verdict(make(g)), "cms_malformed");
  Gcm explicit12;  // 12 written out (BER, what OpenSSL writes for a 12-byte tag): read
  explicit12.icv = 12;
  explicit12.tag_len = 12;
  EXPECT_TRUE(cms::open_content(cms::parse_enveloped(make(explicit12)).value(), explicit12.cek).ok());
  for (int icv : {13, 14, 15}) {
    Gcm o;
    o.icv = icv;
    o.tag_len = static_cast<std::size_t>(icv);
    auto oe = cms::parse_enveloped(make(o));
    ASSERT_TRUE(oe.ok()) << icv;
    EXPECT_TRUE(cms::open_content(*oe, o.cek).ok()) << icv;
  }
}

// What a sender (or someone in between) could change, each refused: the parameters OpenSSL
// cannot honour, a tag shorter than aes-ICVlen says, no mac, another content type, attributes
// nobody authenticates, a wrong version, ciphers in the wrong container.
TEST(CmsEnveloped, AuthEnvelopedDataStrictnessRefusals) {
  auto code = [](const Gcm& g) { return verdict(make(g)); };
  ASSERT_EQ(code(Gcm{}), "accepted");
  Gcm g;
  g.nonce = Bytes(8, 1);
  EXPECT_EQ(code(g), "cms_malformed");  // nonce 8
  g.nonce = Bytes(16, 1);
  EXPECT_EQ(code(g), "cms_malformed");  // nonce 16
  for (int icv : {0, 4, 11, 17, 255}) {
    Gcm i;
    i.icv = icv;
    EXPECT_EQ(code(i), "cms_malformed") << icv;
  }
  Gcm short_tag;  // aes-ICVlen 16, mac of 12 (OpenSSL 3.0 would check just those 12)
  short_tag.tag_len = 12;
  EXPECT_EQ(code(short_tag), "cms_malformed");
  Gcm tiny_tag;  // a 4-byte mac: OpenSSL 3.0 takes it; 2^-32 is no integrity
  tiny_tag.tag_len = 4;
  EXPECT_EQ(code(tiny_tag), "cms_malformed");
  Gcm no_mac;
  no_mac.mac = false;
  EXPECT_EQ(code(no_mac), "cms_malformed");
  Gcm signed_inside;
  signed_inside.content_type = "1.2.840.113549.1.7.2";
  EXPECT_EQ(code(signed_inside), "cms_unsupported");
  Gcm unauth;
  unauth.unauth = attribute("1.2.840.113549.1.9.5", der::x509_time(SysTime(std::chrono::seconds(1'780'000'000))));
  EXPECT_EQ(code(unauth), "cms_unsupported");
  Gcm v2;
  v2.version = 2;
  EXPECT_EQ(code(v2), "cms_malformed");
  Gcm cbc_in_auth;
  cbc_in_auth.alg = "2.16.840.1.101.3.4.1.42";
  EXPECT_EQ(code(cbc_in_auth), "cms_unsupported");
  Gcm gcm_in_enveloped;
  gcm_in_enveloped.outer = "1.2.840.113549.1.7.3";
  EXPECT_EQ(code(gcm_in_enveloped), "cms_unsupported");
}

// authAttrs are authenticated (RFC 5083 §2.2): the envelope opens as sent; a changed attribute,
// attributes added or dropped after sealing, each fail the tag.
TEST(CmsEnveloped, TamperedAuthenticatedAttributesAreRefused) {
  const Bytes ct_attr = attribute("1.2.840.113549.1.9.3", der::oid_or_die("1.2.840.113549.1.7.1"));
  const Bytes when = attribute("1.2.840.113549.1.9.5", der::x509_time(SysTime(std::chrono::seconds(1'780'000'000))));
  const Bytes later = attribute("1.2.840.113549.1.9.5", der::x509_time(SysTime(std::chrono::seconds(1'790'000'000))));
  Gcm g;
  g.attrs = der::concat({ct_attr, when});
  auto e = cms::parse_enveloped(make(g));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->aad, der::tlv(der::kSet, *g.attrs));
  EXPECT_EQ(to_string(cms::open_content(*e, g.cek).value()), "sealed bid");

  Gcm changed = g;  // the signing time moved (same length)
  changed.sent_attrs = der::concat({ct_attr, later});
  EXPECT_EQ(cms::open_content(cms::parse_enveloped(make(changed)).value(), g.cek).error().code, "decryption_failed");
  Gcm dropped = g;  // one attribute removed
  dropped.sent_attrs = ct_attr;
  EXPECT_EQ(cms::open_content(cms::parse_enveloped(make(dropped)).value(), g.cek).error().code, "decryption_failed");
  // Sealed without attributes, sent with one.
  Bytes sealed_bare = make(Gcm{});
  auto bare = cms::parse_enveloped(sealed_bare).value();
  bare.aad = der::tlv(der::kSet, when);  // as if authAttrs had been inserted
  EXPECT_EQ(cms::open_content(bare, Gcm{}.cek).error().code, "decryption_failed");
  // A content-type attribute naming something other than id-data is refused outright.
  Gcm other_type;
  other_type.attrs = attribute("1.2.840.113549.1.9.3", der::oid_or_die("1.2.840.113549.1.7.2"));
  EXPECT_EQ(verdict(make(other_type)), "cms_unsupported");
}

}  // namespace
}  // namespace certseal::pki
