// pki/ against the openssl CLI: certificates, CSRs (made by openssl), CRLs, OCSP responses and
// RFC 3161 tokens built by our code and checked by an independent verifier.
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/testing/interop.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/csr.h"
#include "pki/der.h"
#include "pki/details.h"
#include "pki/ocsp.h"
#include "pki/profile.h"
#include "pki/tsp.h"

namespace certseal::pki {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::run_command;
using crypto::testing::write_file;

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/certseal-pki-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string f(const std::string& name) const { return path + "/" + name; }
};

SysTime now() { return std::chrono::system_clock::now(); }

struct Hierarchy {
  crypto::PrivateKey root_key, ca_key;
  Bytes root_name, ca_name, root_cert, ca_cert, root_ski, ca_ski;
};

// sm2_id "" is what the OpenSSL 3.0 CLI verifies with (see PkiSm2Id below).
Hierarchy make_hierarchy(crypto::KeyType type, Rng& rng, const std::string& sm2_id = "") {
  auto rk = crypto::PrivateKey::generate(type, rng);
  auto ck = crypto::PrivateKey::generate(type, rng);
  EXPECT_TRUE(rk && ck);
  Hierarchy h{std::move(rk).value(), std::move(ck).value(), {}, {}, {}, {}, {}, {}};
  h.root_name = name_der({{"C", "CN"}, {"O", "CertSeal Test"}, {"CN", "Test Root"}}).value();
  h.ca_name = name_der({{"C", "CN"}, {"O", "CertSeal Test"}, {"CN", "Test Issuing CA"}}).value();
  LocalSigner rs(h.root_key, sm2_id);
  CertTemplate root;
  root.serial = {0x01, 0x23};
  root.not_before = now() - std::chrono::hours(1);
  root.not_after = now() + std::chrono::hours(24 * 3650);
  root.issuer = root.subject = h.root_name;
  root.spki = h.root_key.public_key().spki_der();
  root.is_ca = true;
  root.key_usage = kKeyCertSign | kCrlSign;
  h.root_cert = issue_certificate(root, rs).value();
  h.root_ski = key_identifier(root.spki).value();
  CertTemplate ca = root;
  ca.serial = {0x45, 0x67};
  ca.subject = h.ca_name;
  ca.spki = h.ca_key.public_key().spki_der();
  ca.path_len = 0;
  ca.authority_key_id = h.root_ski;
  h.ca_cert = issue_certificate(ca, rs).value();
  h.ca_ski = key_identifier(ca.spki).value();
  return h;
}

std::string pem(BytesView der) { return pem_encode("CERTIFICATE", der); }

class PkiCli : public ::testing::TestWithParam<crypto::KeyType> {};

TEST_P(PkiCli, CertificateCrlAndDetailsVerifyWithOpenssl) {
  SystemRng rng;
  TempDir d;
  Hierarchy h = make_hierarchy(GetParam(), rng);
  auto leaf_key = crypto::PrivateKey::generate(GetParam(), rng).value();
  IssuanceContext in;
  in.subject.common_name = "张三";
  in.subject.identity_code = "11010519491231002X";
  in.spki = leaf_key.public_key().spki_der();
  in.key_type = GetParam();
  in.ca_key_type = GetParam();
  CertTemplate t;
  ASSERT_TRUE(apply_profile(*find_profile("personal_sign"), in, t));
  t.serial = rng.bytes(16);
  t.serial[0] = static_cast<std::uint8_t>((t.serial[0] & 0x7f) | 0x40);
  t.not_before = now() - std::chrono::minutes(5);
  t.not_after = now() + std::chrono::hours(24 * 365);
  t.issuer = h.ca_name;
  t.authority_key_id = h.ca_ski;
  t.crl_url = "http://127.0.0.1:1/ca/x/crl";
  t.ocsp_url = "http://127.0.0.1:1/ocsp/x";
  t.ca_issuers_url = "http://127.0.0.1:1/ca/x/chain.pem";
  LocalSigner cs(h.ca_key, "");
  Bytes leaf = issue_certificate(t, cs).value();

  std::string chain = pem(h.ca_cert) + pem(h.root_cert);
  write_file(d.f("chain.pem"), as_bytes(chain));
  write_file(d.f("leaf.pem"), as_bytes(pem(leaf)));
  write_file(d.f("root.pem"), as_bytes(pem(h.root_cert)));
  write_file(d.f("ca.pem"), as_bytes(pem(h.ca_cert)));
  EXPECT_EQ(openssl("verify -CAfile " + d.f("chain.pem") + " " + d.f("leaf.pem")).exit_code, 0);

  auto text = openssl("x509 -noout -text -in " + d.f("leaf.pem")).out;
  EXPECT_NE(text.find("Digital Signature, Non Repudiation"), std::string::npos) << text;
  // The same certificate opens envelopes (scene 14): key transport for SM2 and RSA, ECDH for P-256.
  EXPECT_NE(text.find(GetParam() == crypto::KeyType::kEcP256 ? "Non Repudiation, Key Agreement"
                                                             : "Non Repudiation, Key Encipherment"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("X509v3 Authority Key Identifier"), std::string::npos);
  EXPECT_NE(text.find("OCSP - URI:http://127.0.0.1:1/ocsp/x"), std::string::npos);
  EXPECT_NE(text.find("URI:http://127.0.0.1:1/ca/x/crl"), std::string::npos);
  EXPECT_NE(text.find("Policy: 1.3.6.1.4.1.61234.1.1"), std::string::npos);
  EXPECT_NE(text.find("1.2.156.10260.4.1.1"), std::string::npos);

  // CRL: empty first, then with the leaf revoked.
  CrlTemplate crl{h.ca_name, h.ca_ski, 1, now() - std::chrono::minutes(1), now() + std::chrono::hours(24), {}};
  write_file(d.f("crl.der"), issue_crl(crl, cs).value());
  ASSERT_EQ(openssl("crl -inform DER -in " + d.f("crl.der") + " -out " + d.f("crl.pem")).exit_code, 0);
  run_command("cat " + d.f("chain.pem") + " " + d.f("crl.pem") + " > " + d.f("chaincrl.pem"));
  EXPECT_EQ(openssl("verify -crl_check -CAfile " + d.f("chaincrl.pem") + " " + d.f("leaf.pem")).exit_code, 0);
  crl.number = 2;
  crl.revoked.push_back({read_certificate(leaf).value().serial, now(), RevocationReason::kKeyCompromise});
  write_file(d.f("crl2.der"), issue_crl(crl, cs).value());
  ASSERT_EQ(openssl("crl -inform DER -in " + d.f("crl2.der") + " -out " + d.f("crl2.pem")).exit_code, 0);
  run_command("cat " + d.f("chain.pem") + " " + d.f("crl2.pem") + " > " + d.f("chaincrl2.pem"));
  EXPECT_NE(openssl("verify -crl_check -CAfile " + d.f("chaincrl2.pem") + " " + d.f("leaf.pem") + " 2>&1").exit_code,
            0);
  EXPECT_NE(openssl("crl -inform DER -noout -text -in " + d.f("crl2.der")).out.find("Key Compromise"),
            std::string::npos);

  auto details = certificate_details(leaf).value();
  EXPECT_EQ(details["thumbprints"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(details["thumbprints"]["md5"].get<std::string>().size(), 32u);
  auto fp = openssl("x509 -noout -fingerprint -sha1 -in " + d.f("leaf.pem")).out;
  std::string sha1 = details["thumbprints"]["sha1"];
  std::string fp_hex;
  for (char c : fp.substr(fp.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) fp_hex += c;
  }
  EXPECT_EQ(fp_hex, sha1);
  EXPECT_NE(details["subject"].get<std::string>().find("张三"), std::string::npos) << details.dump();
}

TEST_P(PkiCli, OcspResponseVerifiesWithOpenssl) {
  SystemRng rng;
  TempDir d;
  Hierarchy h = make_hierarchy(GetParam(), rng);
  LocalSigner cs(h.ca_key, "");
  auto ocsp_key = crypto::PrivateKey::generate(GetParam(), rng).value();
  IssuanceContext in;
  in.subject.common_name = "OCSP";
  in.spki = ocsp_key.public_key().spki_der();
  in.key_type = in.ca_key_type = GetParam();
  CertTemplate t;
  ASSERT_TRUE(apply_profile(*find_profile("ocsp_signer"), in, t));
  t.serial = {0x11, 0x22, 0x33};
  t.not_before = now() - std::chrono::minutes(5);
  t.not_after = now() + std::chrono::hours(24);
  t.issuer = h.ca_name;
  t.authority_key_id = h.ca_ski;
  Bytes ocsp_cert = issue_certificate(t, cs).value();
  write_file(d.f("ca.pem"), as_bytes(pem(h.ca_cert)));
  write_file(d.f("root.pem"), as_bytes(pem(h.root_cert)));
  write_file(d.f("chain.pem"), as_bytes(pem(h.ca_cert) + pem(h.root_cert)));

  // openssl makes the request (with a nonce) for serial 0x1234.
  ASSERT_EQ(openssl("ocsp -issuer " + d.f("ca.pem") + " -serial 0x1234 -reqout " + d.f("req.der") + " 2>/dev/null")
                .exit_code,
            0);
  auto req = parse_ocsp_request(read_file(d.f("req.der"))).value();
  ASSERT_EQ(req.ids.size(), 1u);
  EXPECT_EQ(req.ids[0].serial, (Bytes{0x12, 0x34}));
  ASSERT_TRUE(req.nonce.has_value());
  EXPECT_TRUE(cert_id_matches(req.ids[0], h.ca_name, public_key_bits(read_certificate(h.ca_cert)->spki).value()));

  LocalSigner os(ocsp_key, "");
  SingleStatus st;
  st.status = CertStatus::kRevoked;
  st.revoked_at = now() - std::chrono::minutes(1);
  st.reason = RevocationReason::kKeyCompromise;
  st.this_update = now();
  st.next_update = now() + std::chrono::hours(1);
  OcspResponseTemplate rt{key_identifier(in.spki).value(), now(), {single_response(req.ids[0].der, st)}, req.nonce,
                          {ocsp_cert}};
  write_file(d.f("resp.der"), sign_ocsp_response(rt, os).value());
  auto out = run_command("openssl ocsp -issuer " + d.f("ca.pem") + " -reqin " + d.f("req.der") +
                         " -respin " + d.f("resp.der") + " -CAfile " + d.f("chain.pem") + " 2>&1");
  EXPECT_NE(out.out.find("Response verify OK"), std::string::npos) << out.out;  // nonce and signature
  out = run_command("openssl ocsp -issuer " + d.f("ca.pem") + " -serial 0x1234 -no_nonce -respin " + d.f("resp.der") +
                    " -CAfile " + d.f("chain.pem") + " 2>&1");
  EXPECT_NE(out.out.find("Response verify OK"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("Reason: keyCompromise"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("0x1234: revoked"), std::string::npos) << out.out;
}

TEST_P(PkiCli, TimeStampVerifiesWithOpenssl) {
  SystemRng rng;
  TempDir d;
  Hierarchy h = make_hierarchy(GetParam(), rng);
  LocalSigner cs(h.ca_key, "");
  auto tsa_key = crypto::PrivateKey::generate(GetParam(), rng).value();
  IssuanceContext in;
  in.subject.common_name = "TSA";
  in.spki = tsa_key.public_key().spki_der();
  in.key_type = in.ca_key_type = GetParam();
  CertTemplate t;
  ASSERT_TRUE(apply_profile(*find_profile("tsa_signer"), in, t));
  t.serial = {0x55};
  t.not_before = now() - std::chrono::minutes(5);
  t.not_after = now() + std::chrono::hours(24);
  t.issuer = h.ca_name;
  t.authority_key_id = h.ca_ski;
  Bytes tsa_cert = issue_certificate(t, cs).value();
  write_file(d.f("data.txt"), as_bytes("hello time"));
  write_file(d.f("chain.pem"), as_bytes(pem(h.ca_cert) + pem(h.root_cert)));
  write_file(d.f("root.pem"), as_bytes(pem(h.root_cert)));
  write_file(d.f("ca.pem"), as_bytes(pem(h.ca_cert)));
  ASSERT_EQ(openssl("ts -query -data " + d.f("data.txt") + " -sha256 -cert -out " + d.f("q.tsq")).exit_code, 0);
  auto req = parse_ts_request(read_file(d.f("q.tsq")), "1.3.6.1.4.1.61234.1.7").value();
  EXPECT_TRUE(req.cert_req);
  auto facts = read_certificate(tsa_cert).value();
  TsTemplate tt{"1.3.6.1.4.1.61234.1.7", {0x01, 0x02, 0x03}, now(), tsa_cert, facts.issuer, facts.serial, {h.ca_cert}};
  LocalSigner ts(tsa_key, "");
  write_file(d.f("r.tsr"), sign_timestamp(req, tt, ts).value());
  auto out = run_command("openssl ts -verify -data " + d.f("data.txt") + " -in " + d.f("r.tsr") + " -CAfile " +
                         d.f("root.pem") + " -untrusted " + d.f("ca.pem") + " 2>&1");
  if (GetParam() == crypto::KeyType::kSm2) {
    // OpenSSL 3.0's TS code verifies through PKCS7, which checks SM2 over SM3(attributes) without
    // Z_A, so it cannot verify a GM/T 0010 SM2 SignedData (docs/PKI.md). Its CMS code can: check
    // the token there, with the chain, and the reply structure with `ts -reply`.
    EXPECT_NE(out.exit_code, 0);
    ASSERT_EQ(openssl("ts -reply -in " + d.f("r.tsr") + " -token_out -out " + d.f("tok.der")).exit_code, 0);
    auto cms = run_command("openssl cms -verify -inform DER -in " + d.f("tok.der") + " -CAfile " + d.f("root.pem") +
                           " -certfile " + d.f("ca.pem") + " -purpose any -out /dev/null 2>&1");
    EXPECT_EQ(cms.exit_code, 0) << cms.out;
    auto text = openssl("ts -reply -in " + d.f("r.tsr") + " -text").out;
    EXPECT_NE(text.find("Status: Granted"), std::string::npos) << text;
  } else {
    EXPECT_EQ(out.exit_code, 0) << out.out;
    EXPECT_NE(out.out.find("Verification: OK"), std::string::npos) << out.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, PkiCli,
                         ::testing::Values(crypto::KeyType::kSm2, crypto::KeyType::kEcP256, crypto::KeyType::kRsa2048));

// With the GM/T 0009 ID the CLI needs -vfyopt distid:1234567812345678 (certificates and CRLs).
TEST(PkiSm2Id, GmIdChainsVerifyWithVfyopt) {
  SystemRng rng;
  TempDir d;
  Hierarchy h = make_hierarchy(crypto::KeyType::kSm2, rng, std::string(crypto::kSm2DefaultId));
  write_file(d.f("root.pem"), as_bytes(pem(h.root_cert)));
  write_file(d.f("ca.pem"), as_bytes(pem(h.ca_cert)));
  std::string args = "-CAfile " + d.f("root.pem") + " " + d.f("ca.pem") + " 2>&1";
  EXPECT_NE(openssl("verify " + args).exit_code, 0);
  EXPECT_EQ(openssl("verify -vfyopt distid:1234567812345678 " + args).exit_code, 0);
}

TEST(PkiCsr, OpensslCsrsAreAcceptedAndTamperedOnesRefused) {
  TempDir d;
  for (std::string alg : {"sm2", "ec", "rsa"}) {
    std::string key = d.f(alg + ".key"), csr = d.f(alg + ".csr");
    std::string gen = alg == "sm2"  ? "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out " + key
                      : alg == "ec" ? "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key
                                    : "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + key;
    ASSERT_EQ(openssl(gen + " 2>/dev/null").exit_code, 0);
    std::string md = alg == "sm2" ? "-sm3" : "-sha256";
    ASSERT_EQ(openssl("req -new -key " + key + " " + md + " -subj '/C=CN/CN=Li Si' -out " + csr + " 2>&1").exit_code, 0)
        << alg;
    auto parsed = parse_csr(read_file(csr));
    ASSERT_TRUE(parsed) << alg << ": " << parsed.error().message << " " << parsed.error().cause;
    EXPECT_EQ(parsed->subject.back().type, "CN");
    EXPECT_EQ(parsed->subject.back().value, "Li Si");
    // Flip one byte inside the signature: refused.
    ASSERT_EQ(openssl("req -in " + csr + " -outform DER -out " + csr + ".der").exit_code, 0);
    Bytes der = read_file(csr + ".der");
    der[der.size() - 5] ^= 0x01;
    auto bad = parse_csr(der);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, "csr_signature_invalid") << alg;
  }
  // A 1024-bit RSA key is refused as a key, not as a signature.
  ASSERT_EQ(openssl("req -new -newkey rsa:1024 -nodes -keyout " + d.f("s.key") + " -subj /CN=x -out " + d.f("s.csr") +
                    " 2>/dev/null")
                .exit_code,
            0);
  auto small = parse_csr(read_file(d.f("s.csr")));
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code, "unsupported_key_type");
}

TEST(PkiProfile, ValidatorsRefuseIncompleteSubjects) {
  SystemRng rng;
  auto key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  IssuanceContext in;
  in.spki = key.public_key().spki_der();
  CertTemplate t;
  auto r = apply_profile(*find_profile("org_sign"), in, t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "subject_incomplete");
  EXPECT_EQ(r.error().fields.at(0).field, "subject.organization");
  in.subject.organization = "某某科技有限公司";
  in.subject.uscc = "91350100M000100Y44";
  EXPECT_EQ(apply_profile(*find_profile("org_sign"), in, t).error().code, "bad_uscc");
  in.subject.uscc = "91350100M000100Y43";
  EXPECT_TRUE(apply_profile(*find_profile("org_sign"), in, t));
  in.ca_key_type = crypto::KeyType::kEcP256;
  EXPECT_EQ(apply_profile(*find_profile("org_sign"), in, t).error().code, "key_not_allowed");
  EXPECT_TRUE(valid_resident_id("11010519491231002X"));
  EXPECT_FALSE(valid_resident_id("110105194912310021"));
}

// A certificate valid "for ever" (RFC 5280 §4.1.2.5 suggests 99991231235959Z; OpenSSL 3.0's CLI
// makes one valid into the 9960s) is read without overflowing the clock: not_after is the far
// future, and the details show the date as written.
TEST(PkiCertificate, FarFutureExpiryReadsAsTheFarFuture) {
  TempDir dir;
  const std::string key = dir.path + "/k.pem", cert = dir.path + "/c.der";
  ASSERT_EQ(openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key + " 2>&1").exit_code, 0);
  ASSERT_EQ(openssl("req -new -x509 -key " + key + " -subj /CN=forever -days 2900000 -outform DER -out " + cert +
                    " 2>&1")
                .exit_code,
            0);
  const Bytes der = read_file(cert);
  auto facts = read_certificate(der);
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->not_after, SysTime::max());
  auto details = certificate_details(der);
  ASSERT_TRUE(details) << details.error().message;
  const std::string shown = (*details)["not_after"];
  EXPECT_EQ(shown.substr(0, 2), "99") << shown;
}

// A certificate is its DER bytes and nothing else: OpenSSL reads a signature BIT STRING with
// unused bits (and masks them) or a certificate with bytes after it, and then means other bytes
// than the ones given. Found by the cms target's differential (fuzz/regressions/cms/
// signer-certificate-signature-bits-left).
TEST(PkiCertificate, BytesThatAreNotTheCertificatesDerAreRefused) {
  TempDir dir;
  const std::string key = dir.path + "/k.pem", cert = dir.path + "/c.der";
  ASSERT_EQ(openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + key + " 2>&1").exit_code, 0);
  ASSERT_EQ(openssl("req -new -x509 -key " + key + " -subj /CN=der -days 30 -outform DER -out " + cert + " 2>&1").exit_code,
            0);
  const Bytes der = read_file(cert);
  ASSERT_TRUE(read_certificate(der));
  // The signature BIT STRING comes after tbsCertificate and signatureAlgorithm.
  auto outer = der::read_tlv(der).value();
  BytesView body = outer.content(der);
  std::size_t at = outer.header;
  for (int i = 0; i < 2; ++i) at += der::read_tlv(body.subspan(at - outer.header)).value().total();
  auto sig = der::read_tlv(BytesView(der).subspan(at)).value();
  ASSERT_EQ(sig.tag, der::kBitString);
  Bytes bits_left = der;
  bits_left[at + sig.header] = 2;  // two unused bits...
  // ...that are not zero: OpenSSL masks them, so the certificate it reads has other bytes
  bits_left.back() |= 0x03;
  auto r = read_certificate(bits_left);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_certificate");
  Bytes trailing = der;
  trailing.push_back(0x00);
  EXPECT_FALSE(read_certificate(trailing));
}

// read_tlv reads DER, not BER: each refusal below is an encoding another reader would accept
// (OpenSSL's ASN1_get_object takes all of them), so a message that means two things to two readers
// never gets past ours. Found by thinking through fuzz/der_fuzz.cpp's differential check.
TEST(PkiDer, ReadTlvRefusesWhatDerForbids) {
  const Bytes good = {0x30, 0x03, 0x02, 0x01, 0x05};
  auto t = der::read_tlv(good);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->tag, 0x30);
  EXPECT_EQ(t->header, 2u);
  EXPECT_EQ(t->length, 3u);
  Bytes long_form = {0x04, 0x81, 200};  // OCTET STRING of 200 bytes: long form is needed
  long_form.resize(3 + 200, 0x00);
  auto lf = der::read_tlv(long_form);
  ASSERT_TRUE(lf) << lf.error().message;
  EXPECT_EQ(lf->header, 3u);
  EXPECT_EQ(lf->length, 200u);
  for (const Bytes& bad : std::vector<Bytes>{
           {0x30, 0x81, 0x03, 0x02, 0x01, 0x05},          // long form for a length below 128
           {0x30, 0x82, 0x00, 0x03, 0x02, 0x01, 0x05},    // leading zero length octet
           {0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00},    // indefinite length (BER only)
           {0x1f, 0x81, 0x00, 0x00},                      // high tag number form
           {0x30, 0x04, 0x02, 0x01, 0x05},                // longer than the input
           {0x30},                                        // truncated header
       }) {
    auto r = der::read_tlv(bad);
    EXPECT_FALSE(r) << hex_encode(bad);
    if (!r) {
      EXPECT_EQ(r.error().code, "malformed_der");
    }
  }
}

TEST(PkiDer, IntegersAndBitsAreMinimal) {
  EXPECT_EQ(der::integer(0), (Bytes{0x02, 0x01, 0x00}));
  EXPECT_EQ(der::integer(128), (Bytes{0x02, 0x02, 0x00, 0x80}));
  EXPECT_EQ(der::integer(-1), (Bytes{0x02, 0x01, 0xff}));
  EXPECT_EQ(der::integer_unsigned(Bytes{0x00, 0x00, 0x81}), (Bytes{0x02, 0x02, 0x00, 0x81}));
  // keyCertSign | cRLSign = bits 5, 6 -> 0x06 with 1 unused bit.
  EXPECT_EQ(der::named_bits(kKeyCertSign | kCrlSign), (Bytes{0x03, 0x02, 0x01, 0x06}));
  EXPECT_EQ(der::named_bits(kDigitalSignature), (Bytes{0x03, 0x02, 0x07, 0x80}));
}

}  // namespace
}  // namespace certseal::pki

namespace certseal::pki {
namespace {
// OpenSSL 3.0 (Debian 12) signs and verifies SM2 in X.509 structures with an EMPTY signer ID when
// none is set (its CLI has no way to set one for `openssl verify`/`ocsp`/`ts`); GM/T 0009 says
// 1234567812345678. This pins which one the CLI uses.
TEST(PkiSm2Id, OpensslCliDefaultIdIsEmpty) {
  TempDir d;
  SystemRng rng;
  auto key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  write_file(d.f("pub.pem"), as_bytes(key.public_key().pem()));
  write_file(d.f("msg"), as_bytes("hello"));
  auto empty = crypto::sign(key, crypto::SignScheme::kSm2Sm3, as_bytes("hello"), "");
  ASSERT_TRUE(empty) << empty.error().message << empty.error().cause;
  write_file(d.f("sig_empty"), *empty);
  write_file(d.f("sig_gm"), crypto::sign(key, crypto::SignScheme::kSm2Sm3, as_bytes("hello")).value());
  std::string base = "dgst -sm3 -verify " + d.f("pub.pem") + " -signature ";
  EXPECT_EQ(openssl(base + d.f("sig_empty") + " " + d.f("msg")).exit_code, 0);
  EXPECT_NE(openssl(base + d.f("sig_gm") + " " + d.f("msg")).exit_code, 0);
  EXPECT_EQ(openssl(base + d.f("sig_gm") + " -sigopt distid:1234567812345678 " + d.f("msg")).exit_code, 0);
}
}  // namespace
}  // namespace certseal::pki
