// OFD signing (GB/T 33190 §18, GB/T 38540 SES_Signature) and verification, and an independent
// check of what we write with standard tools: python3's zipfile unpacks the package, `openssl
// dgst -sm3` recomputes every Reference and the dataHash, `openssl asn1parse` reads
// SignedValue.dat, `openssl pkeyutl -verify` with the SM2 ID checks the signature over TBS_Sign.
// The attacks: a byte changed in a page, a changed Signature.xml, a file added after signing, a
// forged signature value, a seal swapped, an untrusted root, an RSA certificate.
#include "docsign/ofd_signer.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/testing/interop.h"
#include "docsign/ofd_package.h"
#include "docsign/ofd_sample.h"
#include "docsign/ofd_ses_signature.h"
#include "docsign/ofd_verifier.h"
#include "pki/certificate.h"
#include "pki/signer.h"
#include "seal/seseal.h"
#include "support/test_env.h"

namespace certseal::docsign {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::run_command;
using crypto::testing::write_file;

Bytes issue(const crypto::PrivateKey& key, const crypto::PrivateKey& issuer_key, const Bytes& issuer_name,
            const Bytes& subject, bool ca, std::uint8_t serial) {
  const auto now = std::chrono::system_clock::now();
  pki::LocalSigner signer(issuer_key, "");
  pki::CertTemplate t;
  t.serial = {serial, 0x21};
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(24 * 365);
  t.issuer = issuer_name;
  t.subject = subject;
  t.spki = key.public_key().spki_der();
  t.is_ca = ca;
  t.key_usage = ca ? (pki::kKeyCertSign | pki::kCrlSign) : (pki::kDigitalSignature | pki::kNonRepudiation);
  t.authority_key_id = pki::key_identifier(issuer_key.public_key().spki_der()).value();
  return pki::issue_certificate(t, signer).value();
}

struct Fixture {
  SystemRng rng;
  crypto::PrivateKey root_key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  crypto::PrivateKey leaf_key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng).value();
  Bytes root_name = pki::name_der({{"C", "CN"}, {"O", "CertSeal Test"}, {"CN", "OFD Root"}}).value();
  Bytes root = issue(root_key, root_key, root_name, root_name, true, 1);
  Bytes leaf = issue(leaf_key, root_key, root_name, pki::name_der({{"C", "CN"}, {"CN", "李四"}}).value(), false, 2);
  Bytes seal;
  certseal::testing::TempDir dir;
  std::string f(const std::string& n) const { return dir.path() + "/" + n; }

  Fixture() {
    seal::SealInfo info;
    info.vendor_id = "CERTSEAL";
    info.seal_id = "11010800000042";
    info.name = "测试单位合同专用章";
    info.certificates = {leaf};
    info.created = info.valid_from = std::chrono::system_clock::now() - std::chrono::hours(1);
    info.valid_to = info.valid_from + std::chrono::hours(24 * 365);
    info.picture = to_bytes("\x89PNG not really a picture");
    info.picture_width_mm = 40;
    info.picture_height_mm = 40;
    seal = seal::build_seseal_v4(info, root, [&](BytesView tbs) {
             return crypto::sign(root_key, crypto::SignScheme::kSm2Sm3, tbs);
           }).value();
  }
  OfdSignRequest request(Bytes ofd, int page = 1) const {
    OfdSignRequest r;
    r.ofd = std::move(ofd);
    r.page = page;
    r.x_mm = 120;
    r.y_mm = 200;
    r.seseal = seal;
    r.signer_cert = leaf;
    r.signing_time = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    return r;
  }
  Result<Bytes> sign(Bytes ofd, int page = 1) const {
    return sign_ofd(request(std::move(ofd), page),
                    [&](BytesView tbs) { return crypto::sign(leaf_key, crypto::SignScheme::kSm2Sm3, tbs); });
  }
};

Bytes sample(int pages = 2) {
  std::vector<std::string> texts;
  for (int i = 0; i < pages; ++i) texts.push_back("招标文件第 " + std::to_string(i + 1) + " 页 & <text>");
  return make_sample_ofd(texts).value();
}

// Rewrites one file of a package.
Bytes with_file(BytesView ofd, const std::string& path, const std::function<void(Bytes&)>& change) {
  OfdPackage pkg = read_ofd(ofd).value();
  Bytes data = pkg.find(path) ? *pkg.find(path) : Bytes{};
  change(data);
  pkg.put(path, data);
  return write_ofd(pkg).value();
}

TEST(OfdSigner, SignsAndOurVerifierSaysEverythingHolds) {
  Fixture fx;
  auto signed_ofd = fx.sign(sample());
  ASSERT_TRUE(signed_ofd.ok()) << signed_ofd.error().code << " " << signed_ofd.error().message;
  auto pkg = read_ofd(*signed_ofd).value();
  for (const char* p : {"Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/Signature.xml",
                        "Doc_0/Signs/Sign_0/SignedValue.dat", "Doc_0/Signs/Sign_0/Seal.esl"}) {
    EXPECT_NE(pkg.find(p), nullptr) << p;
  }
  EXPECT_NE(to_string(*pkg.find("OFD.xml")).find("<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>"),
            std::string::npos);
  auto reports = verify_ofd(*signed_ofd, {fx.root});
  ASSERT_TRUE(reports.ok()) << reports.error().message;
  ASSERT_EQ(reports->size(), 1u);
  const OfdSignatureReport& r = reports->front();
  EXPECT_TRUE(r.ok()) << r.problem;
  EXPECT_EQ(r.seal_name, "测试单位合同专用章");
  EXPECT_EQ(r.seal_id, "11010800000042");
  EXPECT_NE(r.signer.find("李四"), std::string::npos);
  EXPECT_EQ(r.page_ref, "3");
  EXPECT_TRUE(r.time.has_value());
  // An unsigned OFD has no signatures; an untrusted root leaves the signature intact but untrusted.
  EXPECT_TRUE(verify_ofd(sample(), {fx.root})->empty());
  auto untrusted = verify_ofd(*signed_ofd, {}).value();
  EXPECT_TRUE(untrusted[0].signature_valid);
  EXPECT_FALSE(untrusted[0].certificate_trusted);
  EXPECT_FALSE(untrusted[0].ok());
}

TEST(OfdSigner, IndependentCheckWithPythonZipfileAndOpenssl) {
  Fixture fx;
  auto signed_ofd = fx.sign(sample());
  ASSERT_TRUE(signed_ofd.ok());
  write_file(fx.f("signed.ofd"), *signed_ofd);
  ASSERT_EQ(run_command("python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
                        "assert z.testzip() is None; z.extractall(sys.argv[2])\" " +
                        fx.f("signed.ofd") + " " + fx.f("x"))
                .exit_code,
            0);
  const std::string sig_xml = to_string(read_file(fx.f("x/Doc_0/Signs/Sign_0/Signature.xml")));
  // Every Reference's CheckValue is the base64 SM3 that openssl computes from the unpacked file.
  std::regex ref(R"re(FileRef="/([^"]+)"><ofd:CheckValue>([^<]+)<)re");
  int refs = 0;
  for (auto it = std::sregex_iterator(sig_xml.begin(), sig_xml.end(), ref); it != std::sregex_iterator(); ++it) {
    auto d = openssl("dgst -sm3 -binary " + fx.f("x/" + (*it)[1].str()) + " | base64 -w0");
    EXPECT_EQ(d.out, (*it)[2].str()) << (*it)[1].str();
    ++refs;
  }
  EXPECT_EQ(refs, 6);  // OFD.xml, Document.xml, PublicRes.xml, two pages, Seal.esl
  EXPECT_EQ(sig_xml.find("Signatures.xml"), std::string::npos);

  // SignedValue.dat read by openssl asn1parse: TBS_Sign, cert, the SM2 OID, the signature.
  const std::string sv = fx.f("x/Doc_0/Signs/Sign_0/SignedValue.dat");
  auto parsed = openssl("asn1parse -inform DER -in " + sv);
  ASSERT_EQ(parsed.exit_code, 0);
  std::regex line(R"(\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:prim|cons):\s+(\S+)\s*(?::(\S+))?)");
  struct Item {
    std::size_t off, hl, len;
    int depth;
    std::string type, value;
  };
  std::vector<Item> items;
  std::istringstream lines(parsed.out);
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (std::regex_search(l, m, line)) {
      items.push_back({std::stoul(m[1]), std::stoul(m[3]), std::stoul(m[4]), std::stoi(m[2]), m[5], m[6]});
    }
  }
  std::vector<Item> top, tbs;
  for (const Item& it : items) {
    if (it.depth == 1) top.push_back(it);
    if (it.depth == 2 && !top.empty() && top.size() == 1) tbs.push_back(it);
  }
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0].type, "SEQUENCE");
  EXPECT_EQ(top[1].type, "OCTET");
  EXPECT_EQ(top[2].type, "OBJECT");
  EXPECT_EQ(top[2].value, "SM2-with-SM3");  // openssl's name for 1.2.156.10197.1.501
  EXPECT_EQ(top[3].type, "BIT");
  ASSERT_GE(tbs.size(), 5u);
  EXPECT_EQ(tbs[0].type, "INTEGER");
  EXPECT_EQ(tbs[0].value, "04");
  EXPECT_EQ(tbs[1].type, "SEQUENCE");  // the SESeal
  EXPECT_EQ(tbs[2].type, "GENERALIZEDTIME");
  EXPECT_EQ(tbs[3].type, "BIT");
  EXPECT_EQ(tbs[4].type, "IA5STRING");
  EXPECT_EQ(tbs[4].value, "/Doc_0/Signs/Sign_0/Signature.xml");

  const Bytes der = read_file(sv);
  auto slice = [&](const Item& it, std::size_t skip = 0) {
    return Bytes(der.begin() + static_cast<std::ptrdiff_t>(it.off + it.hl + skip),
                 der.begin() + static_cast<std::ptrdiff_t>(it.off + it.hl + it.len));
  };
  // dataHash (a BIT STRING: one byte of unused bits, then the hash) = SM3(Signature.xml) by openssl.
  write_file(fx.f("datahash.bin"), slice(tbs[3], 1));
  auto dh = openssl("dgst -sm3 -binary " + fx.f("x/Doc_0/Signs/Sign_0/Signature.xml") + " | cmp - " + fx.f("datahash.bin"));
  EXPECT_EQ(dh.exit_code, 0);
  // The seal in TBS_Sign is the Seal.esl file.
  EXPECT_EQ(Bytes(der.begin() + static_cast<std::ptrdiff_t>(tbs[1].off),
                  der.begin() + static_cast<std::ptrdiff_t>(tbs[1].off + tbs[1].hl + tbs[1].len)),
            read_file(fx.f("x/Doc_0/Signs/Sign_0/Seal.esl")));
  // The signature over the DER of TBS_Sign, under the certificate's key, with the SM2 ID.
  write_file(fx.f("tbs.der"), Bytes(der.begin() + static_cast<std::ptrdiff_t>(top[0].off),
                                    der.begin() + static_cast<std::ptrdiff_t>(top[0].off + top[0].hl + top[0].len)));
  write_file(fx.f("cert.der"), slice(top[1]));
  write_file(fx.f("sig.der"), slice(top[3], 1));
  ASSERT_EQ(openssl("x509 -inform DER -in " + fx.f("cert.der") + " -pubkey -noout > " + fx.f("pub.pem")).exit_code, 0);
  const std::string verify = "pkeyutl -verify -pubin -inkey " + fx.f("pub.pem") + " -rawin -digest sm3 -in " +
                             fx.f("tbs.der") + " -sigfile " + fx.f("sig.der") + " -pkeyopt distid:1234567812345678";
  auto pk = openssl(verify);
  EXPECT_EQ(pk.exit_code, 0) << pk.out;
  EXPECT_NE(pk.out.find("Signature Verified Successfully"), std::string::npos);
  // ...and fails when one byte of TBS_Sign changes (the check can fail).
  Bytes tbs_bytes = read_file(fx.f("tbs.der"));
  tbs_bytes.back() ^= 0x01;
  write_file(fx.f("tbs.der"), tbs_bytes);
  EXPECT_NE(openssl(verify).exit_code, 0);
}

TEST(OfdSigner, AttackerChangesOneByteOfAPageAndItIsReported) {
  Fixture fx;
  auto signed_ofd = fx.sign(sample());
  ASSERT_TRUE(signed_ofd.ok());
  Bytes changed = with_file(*signed_ofd, "Doc_0/Pages/Page_1/Content.xml", [](Bytes& d) {
    auto at = to_string(d).find("第 2");
    d[at + 4] = '9';
  });
  auto r = verify_ofd(changed, {fx.root}).value();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].references_intact);
  EXPECT_EQ(r[0].changed_files, std::vector<std::string>{"Doc_0/Pages/Page_1/Content.xml"});
  EXPECT_TRUE(r[0].signature_valid);  // the signature itself still holds: the page is what changed
  EXPECT_FALSE(r[0].ok());
}

TEST(OfdSigner, AttackerChangesSignatureXmlAndItIsReported) {
  Fixture fx;
  auto signed_ofd = fx.sign(sample());
  ASSERT_TRUE(signed_ofd.ok());
  // Moving the seal to another place (StampAnnot's Boundary) changes Signature.xml.
  Bytes moved = with_file(*signed_ofd, "Doc_0/Signs/Sign_0/Signature.xml", [](Bytes& d) {
    std::string s = to_string(d);
    s.replace(s.find("Boundary=\"120"), 13, "Boundary=\"10 ");
    d = to_bytes(s);
  });
  auto r = verify_ofd(moved, {fx.root}).value();
  EXPECT_FALSE(r[0].data_hash_matches);
  EXPECT_FALSE(r[0].ok());
  // A forged signature value.
  Bytes forged = with_file(*signed_ofd, "Doc_0/Signs/Sign_0/SignedValue.dat", [](Bytes& d) { d[d.size() - 5] ^= 0x40; });
  auto f = verify_ofd(forged, {fx.root}).value();
  EXPECT_FALSE(f[0].signature_valid);
  EXPECT_FALSE(f[0].ok());
  // Another seal file shown instead of the signed one.
  Bytes swapped = with_file(*signed_ofd, "Doc_0/Signs/Sign_0/Seal.esl", [](Bytes& d) { d[d.size() - 3] ^= 0x01; });
  auto s = verify_ofd(swapped, {fx.root}).value();
  EXPECT_FALSE(s[0].seal_file_matches);
  EXPECT_FALSE(s[0].ok());
}

TEST(OfdSigner, AttackerAddsAFileAfterSigningAndItIsReported) {
  Fixture fx;
  auto signed_ofd = fx.sign(sample());
  ASSERT_TRUE(signed_ofd.ok());
  Bytes added = with_file(*signed_ofd, "Doc_0/Res/overlay.png", [](Bytes& d) { d = to_bytes("\x89PNG overlay"); });
  auto r = verify_ofd(added, {fx.root}).value();
  EXPECT_TRUE(r[0].references_intact);
  EXPECT_EQ(r[0].uncovered_files, std::vector<std::string>{"Doc_0/Res/overlay.png"});
  EXPECT_FALSE(r[0].ok());
}

TEST(OfdSigner, SecondSignatureKeepsTheFirstValid) {
  Fixture fx;
  auto once = fx.sign(sample());
  ASSERT_TRUE(once.ok());
  auto twice = fx.sign(*once, 2);
  ASSERT_TRUE(twice.ok()) << twice.error().message;
  auto r = verify_ofd(*twice, {fx.root});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE((*r)[0].ok()) << (*r)[0].problem;
  EXPECT_TRUE((*r)[1].ok()) << (*r)[1].problem;
  EXPECT_EQ((*r)[0].id, "1");
  EXPECT_EQ((*r)[1].id, "2");
  EXPECT_EQ((*r)[1].signature_path, "Doc_0/Signs/Sign_1/Signature.xml");
  EXPECT_EQ((*r)[1].page_ref, "6");
  // The second covers the first's files.
  auto pkg = read_ofd(*twice).value();
  EXPECT_NE(to_string(*pkg.find("Doc_0/Signs/Sign_1/Signature.xml")).find("/Doc_0/Signs/Sign_0/SignedValue.dat"),
            std::string::npos);
  // Changing the first signature's value breaks the first and the second.
  Bytes forged = with_file(*twice, "Doc_0/Signs/Sign_0/SignedValue.dat", [](Bytes& d) { d[d.size() - 5] ^= 0x40; });
  auto f = verify_ofd(forged, {fx.root}).value();
  EXPECT_FALSE(f[0].ok());
  EXPECT_FALSE(f[1].references_intact);
}

TEST(OfdSigner, AttackerCannotExcuseAddedFilesWithASignatureOfHisOwn) {
  // A "second signature" by someone whose certificate is not trusted: its Seal.esl (a stamp a
  // reader would draw), Signature.xml and SignedValue.dat are files the first signature does not
  // cover, and they are not excused as a later signature's.
  Fixture fx, attacker;
  auto once = fx.sign(sample());
  ASSERT_TRUE(once.ok());
  auto twice = attacker.sign(*once, 2);
  ASSERT_TRUE(twice.ok());
  auto r = verify_ofd(*twice, {fx.root}).value();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].references_intact);
  EXPECT_EQ(r[0].uncovered_files,
            (std::vector<std::string>{"Doc_0/Signs/Sign_1/Seal.esl", "Doc_0/Signs/Sign_1/Signature.xml",
                                      "Doc_0/Signs/Sign_1/SignedValue.dat"}));
  EXPECT_FALSE(r[0].ok());
  EXPECT_TRUE(r[1].signature_valid);
  EXPECT_FALSE(r[1].certificate_trusted);
  // Trusting both roots, both stand.
  auto both = verify_ofd(*twice, {fx.root, attacker.root}).value();
  EXPECT_TRUE(both[0].ok()) << both[0].problem;
  EXPECT_TRUE(both[1].ok()) << both[1].problem;
}

TEST(OfdSigner, TwoHalvesAndRefusals) {
  Fixture fx;
  OfdSignRequest req = fx.request(sample());
  auto p = prepare_ofd_signature(req);
  ASSERT_TRUE(p.ok());
  auto sig = crypto::sign(fx.leaf_key, crypto::SignScheme::kSm2Sm3, p->tbs_sign).value();
  auto done = finish_ofd_signature(req, p->tbs_sign, sig);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(verify_ofd(*done, {fx.root})->front().ok());
  OfdSignRequest later = req;
  later.signing_time += std::chrono::seconds(5);
  EXPECT_EQ(finish_ofd_signature(later, p->tbs_sign, sig).error().code, "ofd_signature_mismatch");

  SystemRng rng;
  for (auto type : {crypto::KeyType::kRsa2048, crypto::KeyType::kEcP256}) {
    auto k = crypto::PrivateKey::generate(type, rng).value();
    auto rk = crypto::PrivateKey::generate(type, rng).value();
    OfdSignRequest bad = req;
    bad.signer_cert = issue(k, rk, fx.root_name, pki::name_der({{"CN", "intl"}}).value(), false, 9);
    EXPECT_EQ(prepare_ofd_signature(bad).error().code, "ofd_needs_sm2");
  }
  OfdSignRequest page = req;
  page.page = 3;
  EXPECT_EQ(prepare_ofd_signature(page).error().code, "bad_page");
  OfdSignRequest outside = req;
  outside.x_mm = 190;
  EXPECT_EQ(prepare_ofd_signature(outside).error().code, "bad_placement");
  OfdSignRequest noseal = req;
  noseal.seseal = to_bytes("not a seal");
  EXPECT_EQ(prepare_ofd_signature(noseal).error().code, "bad_seal_data");
  OfdSignRequest pdf = req;
  pdf.ofd = to_bytes("%PDF-1.7\n");
  EXPECT_FALSE(prepare_ofd_signature(pdf).ok());
}

TEST(OfdSesSignature, RoundTripAndRefusals) {
  const Bytes seal = {0x30, 0x03, 0x02, 0x01, 0x04};
  const SysTime t = SysTime(std::chrono::seconds(1'764'500'000));
  Bytes tbs = build_tbs_sign(seal, t, Bytes(32, 0xab), "/Doc_0/Signs/Sign_0/Signature.xml");
  Bytes der = build_ses_signature(tbs, to_bytes("cert"), Bytes{0x30, 0x00});
  auto s = parse_ses_signature(der);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->tbs_der, tbs);
  EXPECT_EQ(s->seseal, seal);
  EXPECT_EQ(s->time, t);
  EXPECT_EQ(s->data_hash, Bytes(32, 0xab));
  EXPECT_EQ(s->property_info, "/Doc_0/Signs/Sign_0/Signature.xml");
  EXPECT_EQ(s->cert, to_bytes("cert"));
  EXPECT_EQ(s->sign_alg_oid, kOidSm2Sm3);
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(parse_ses_signature(trailing).error().code, "ses_bad_signature_data");
  for (std::size_t n = 0; n < der.size(); ++n) EXPECT_FALSE(parse_ses_signature(BytesView(der.data(), n)).ok());

  // A signing time past the clock's end (2262) reads as the far future, not as an overflow (the
  // PDF verifier's /M had that overflow; fuzz/regressions/pdf/signature-time-year-2826).
  const std::string when = "20251130105320Z", far = "99991231235959Z";
  std::string text(der.begin(), der.end());
  const auto at = text.find(when);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, when.size(), far);
  auto late = parse_ses_signature(to_bytes(text));
  ASSERT_TRUE(late.ok()) << late.error().message;
  EXPECT_EQ(late->time, SysTime::max());
}

}  // namespace
}  // namespace certseal::docsign
