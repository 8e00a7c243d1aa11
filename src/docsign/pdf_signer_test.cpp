// PDF signing and verification against independent tools: pdfsig (poppler + NSS) for the
// international signatures and trust, `qpdf --check` for every output, `openssl pkeyutl` with the
// SM2 ID and `openssl dgst -sm3` over the byte ranges for SM2, and pdftoppm renderings for where
// the seal is drawn. The attacks: a byte changed after signing, content replaced in a later
// incremental update, an unknown root, a byte range that leaves more out than the signature.
#include "docsign/pdf_signer.h"

#include <gtest/gtest.h>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <fstream>
#include <regex>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/testing/interop.h"
#include "docsign/dss.h"
#include "docsign/pades_cms.h"
#include "docsign/pdf_held.h"
#include "docsign/pdf_verifier.h"
#include "docsign/revocation_data.h"
#include "docsign/text_render.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/ocsp.h"
#include "pki/tsp.h"
#include "seal/seal_picture.h"
#include "support/test_env.h"

namespace certseal::docsign {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::run_command;
using crypto::testing::write_file;

struct TestPki {
  crypto::PrivateKey root_key, leaf_key, tsa_key;
  Bytes root, leaf, tsa;
  Bytes root_name;
};

Bytes issue(const crypto::PrivateKey& key, const crypto::PrivateKey& issuer_key, const Bytes& issuer_name,
            const Bytes& subject, bool ca, std::vector<std::string> eku, std::uint8_t serial) {
  const auto now = std::chrono::system_clock::now();
  pki::LocalSigner signer(issuer_key, "");  // SM2: OpenSSL's empty ID, so the CLI can check chains
  pki::CertTemplate t;
  t.serial = {serial, 0x17};
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(24 * 365);
  t.issuer = issuer_name;
  t.subject = subject;
  t.spki = key.public_key().spki_der();
  t.is_ca = ca;
  t.key_usage = ca ? (pki::kKeyCertSign | pki::kCrlSign) : (pki::kDigitalSignature | pki::kNonRepudiation);
  t.ext_key_usage = std::move(eku);
  t.eku_critical = !t.ext_key_usage.empty();
  t.authority_key_id = pki::key_identifier(issuer_key.public_key().spki_der()).value();
  return pki::issue_certificate(t, signer).value();
}

TestPki make_pki(crypto::KeyType type, Rng& rng) {
  TestPki p{crypto::PrivateKey::generate(type, rng).value(), crypto::PrivateKey::generate(type, rng).value(),
            crypto::PrivateKey::generate(type, rng).value(), {}, {}, {}, {}};
  p.root_name = pki::name_der({{"C", "CN"}, {"O", "CertSeal Test"}, {"CN", "DocSign Root"}}).value();
  p.root = issue(p.root_key, p.root_key, p.root_name, p.root_name, true, {}, 1);
  p.leaf = issue(p.leaf_key, p.root_key, p.root_name, pki::name_der({{"C", "CN"}, {"CN", "张三"}}).value(), false, {}, 2);
  p.tsa = issue(p.tsa_key, p.root_key, p.root_name, pki::name_der({{"C", "CN"}, {"CN", "Test TSA"}}).value(), false,
                {std::string(pki::kOidEkuTimeStamping)}, 3);
  return p;
}

// An in-process RFC 3161 TSA over the test PKI (pki/tsp, as the server's /tsa does).
TsaFunction tsa_for(const TestPki& p) {
  return [&p](BytesView req_der) -> Result<Bytes> {
    CS_ASSIGN(auto req, pki::parse_ts_request(req_der, "1.3.6.1.4.1.61234.1.9"));
    auto facts = pki::read_certificate(p.tsa).value();
    pki::TsTemplate t{"1.3.6.1.4.1.61234.1.9", {0x05, 0x07}, std::chrono::system_clock::now(), p.tsa,
                      facts.issuer, facts.serial, {}};
    pki::LocalSigner s(p.tsa_key);
    return pki::sign_timestamp(req, t, s);
  };
}

struct Fixture {
  certseal::testing::TempDir tmp;
  std::string f(const std::string& name) const { return tmp.path() + "/" + name; }
};

std::string make_pdf(const Fixture& fx, const std::string& name, int pages, const std::string& keyword_line = "") {
  // Page breaks: enough lines to flow over `pages` pages.
  std::vector<TextBlock> flowed = {{"投标文件", 20, true, TextBlock::Align::kCenter}};
  for (int p = 0; p < pages; ++p) {
    for (int i = 0; i < 30; ++i) flowed.push_back({"第" + std::to_string(p + 1) + "部分 条款 " + std::to_string(i), 11, false, TextBlock::Align::kLeft, 2});
    if (p == pages - 1 && !keyword_line.empty()) flowed.push_back({keyword_line, 12});
  }
  Bytes pdf = render_pdf(flowed, {"投标文件", "CertSeal"}).value();
  write_file(fx.f(name), pdf);
  return fx.f(name);
}

int page_count(const std::string& path) {
  auto info = run_command("pdfinfo " + path);
  auto at = info.out.find("Pages:");
  return at == std::string::npos ? 0 : std::stoi(info.out.substr(at + 6));
}

Bytes seal_png() {
  seal::SealTemplate t;
  t.kind = seal::SealKind::kOfficial;
  t.name = "北京示例科技有限公司";
  return seal::render_seal(t, 150).value().png;
}

Result<PreparedPdf> sign(const TestPki& p, const std::string& in, const std::string& out, SealPlacement pl,
                         bool with_tsa = true, const std::string& field = "") {
  PdfSignRequest req;
  req.in_path = in;
  req.out_path = out;
  req.placement = pl;
  req.seal_png = seal_png();
  req.alg = pki::sig_alg_for(p.leaf_key.type());
  req.signer_cert = p.leaf;
  req.chain = {p.root};
  req.signing_time = std::chrono::system_clock::now();
  req.signer_name = "张三";
  req.reason = "投标文件签章";
  req.field_name = field;
  req.seseal = to_bytes("SESeal DER stands here");
  auto signer = std::make_shared<pki::LocalSigner>(p.leaf_key);
  SignFunction fn = [signer](BytesView attrs) { return signer->sign(attrs); };
  TsaFunction tsa = tsa_for(p);
  return sign_pdf(req, fn, with_tsa ? &tsa : nullptr);
}

// An NSS database trusting the test root, for pdfsig.
std::string nss_db(const Fixture& fx, const TestPki& p) {
  const std::string dir = fx.f("nss");
  run_command("mkdir -p " + dir + " && certutil -N -d sql:" + dir + " --empty-password");
  write_file(fx.f("root.pem"), as_bytes(pem_encode("CERTIFICATE", p.root)));
  run_command("certutil -A -d sql:" + dir + " -n root -t CT,C,C -i " + fx.f("root.pem"));
  return dir;
}

bool qpdf_ok(const std::string& path) {
  auto r = run_command("qpdf --check " + path + " 2>&1");
  return r.exit_code == 0 && r.out.find("No syntax or stream encoding errors") != std::string::npos;
}

// --- rendering -------------------------------------------------------------------------------

struct Raster {
  int w = 0, h = 0;
  Bytes rgb;
  bool red(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * w + x) * 3;
    return rgb[i] > 150 && rgb[i + 1] < 110 && rgb[i + 2] < 110;
  }
};

// Page `page` rendered by pdftoppm at `dpi` as a PPM (P6).
Raster render(const Fixture& fx, const std::string& pdf, int page, int dpi) {
  const std::string out = fx.f("page");
  run_command("pdftoppm -r " + std::to_string(dpi) + " -f " + std::to_string(page) + " -l " + std::to_string(page) +
              " -singlefile " + pdf + " " + out);
  Bytes ppm = read_file(out + ".ppm");
  Raster r;
  std::string head(ppm.begin(), ppm.begin() + std::min<std::size_t>(ppm.size(), 40));
  int maxv = 0, consumed = 0;
  if (std::sscanf(head.c_str(), "P6 %d %d %d%n", &r.w, &r.h, &maxv, &consumed) != 3) return r;
  r.rgb.assign(ppm.begin() + consumed + 1, ppm.end());
  return r;
}

struct RedCount {
  int inside = 0, outside = 0;
};
// Red pixels inside and outside the box [x0,x1)×[y0,y1) (pixels, top-left origin).
RedCount count_red(const Raster& r, double x0, double y0, double x1, double y1) {
  RedCount c;
  for (int y = 0; y < r.h; ++y) {
    for (int x = 0; x < r.w; ++x) {
      if (!r.red(x, y)) continue;
      (x >= x0 && x < x1 && y >= y0 && y < y1 ? c.inside : c.outside)++;
    }
  }
  return c;
}

// --- the international signatures -----------------------------------------------------------

class PdfSignInternational : public ::testing::TestWithParam<crypto::KeyType> {};

TEST_P(PdfSignInternational, PdfsigTrustsItQpdfAcceptsItAndASecondSignatureKeepsTheFirst) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(GetParam(), rng);
  const std::string in = make_pdf(fx, "in.pdf", 2);
  auto one = sign(p, in, fx.f("one.pdf"), {SealPlacement::Kind::kPosition, 1, 120, 200, 40, ""}, true, "乙方签章");
  ASSERT_TRUE(one.ok()) << one.error().code << " " << one.error().cause;
  EXPECT_TRUE(qpdf_ok(fx.f("one.pdf")));
  const std::string nss = nss_db(fx, p);
  auto sig = run_command("pdfsig -nssdir sql:" + nss + " " + fx.f("one.pdf") + " 2>&1");
  EXPECT_NE(sig.out.find("Signature Validation: Signature is Valid."), std::string::npos) << sig.out;
  EXPECT_NE(sig.out.find("Certificate Validation: Certificate is Trusted."), std::string::npos) << sig.out;
  EXPECT_NE(sig.out.find("ETSI.CAdES.detached"), std::string::npos) << sig.out;
  // The original bytes are the prefix of the output (an incremental update).
  Bytes orig = read_file(in), signed1 = read_file(fx.f("one.pdf"));
  ASSERT_GT(signed1.size(), orig.size());
  EXPECT_TRUE(std::equal(orig.begin(), orig.end(), signed1.begin()));

  auto second = sign(p, fx.f("one.pdf"), fx.f("two.pdf"), {SealPlacement::Kind::kPosition, 2, 30, 30, 30, ""});
  ASSERT_TRUE(second.ok()) << second.error().code << " " << second.error().cause;
  EXPECT_TRUE(qpdf_ok(fx.f("two.pdf")));
  auto sig2 = run_command("pdfsig -nssdir sql:" + nss + " " + fx.f("two.pdf") + " 2>&1");
  EXPECT_NE(sig2.out.find("Signature #2"), std::string::npos) << sig2.out;
  std::size_t valid = 0, at = 0;
  while ((at = sig2.out.find("Signature is Valid.", at)) != std::string::npos) ++valid, ++at;
  EXPECT_EQ(valid, 2u) << sig2.out;
  EXPECT_EQ(sig2.out.find("Digest Mismatch"), std::string::npos) << sig2.out;

  auto reports = verify_pdf(fx.f("two.pdf"), {p.root});
  ASSERT_TRUE(reports.ok()) << reports.error().cause;
  ASSERT_EQ(reports->size(), 2u);
  for (const auto& r : *reports) {
    EXPECT_TRUE(r.ok()) << r.field_name << ": " << r.problem;
    EXPECT_TRUE(r.has_timestamp);
    EXPECT_TRUE(r.timestamp_time.has_value());
    EXPECT_NE(r.signer.find("张三"), std::string::npos) << r.signer;
    EXPECT_EQ(to_string(r.seseal), "SESeal DER stands here");
  }
  EXPECT_EQ((*reports)[0].field_name, "乙方签章");
  EXPECT_FALSE((*reports)[0].covers_whole_file);
  EXPECT_TRUE((*reports)[1].covers_whole_file);
}

// The attacker changes one byte of the signed document (here inside the page text's stream).
TEST_P(PdfSignInternational, AByteChangedAfterSigningIsReportedByPdfsigAndByUs) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(GetParam(), rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  ASSERT_TRUE(sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}, false).ok());
  Bytes b = read_file(fx.f("s.pdf"));
  b[b.size() / 8] ^= 0x01;  // inside the original bytes, far from /Contents
  write_file(fx.f("s.pdf"), b);
  auto sig = run_command("pdfsig -nssdir sql:" + nss_db(fx, p) + " " + fx.f("s.pdf") + " 2>&1");
  EXPECT_NE(sig.out.find("Digest Mismatch"), std::string::npos) << sig.out;
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_FALSE((*reports)[0].bytes_intact);
  EXPECT_FALSE((*reports)[0].ok());
  EXPECT_EQ((*reports)[0].problem, "the signed bytes were changed");
}

// A file whose cross-reference is a stream (PDF 1.5 object streams, as qpdf and Word write them):
// the update appends a cross-reference stream too.
TEST_P(PdfSignInternational, FileWithObjectStreamsGetsAnXrefStreamUpdate) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(GetParam(), rng);
  const std::string plain = make_pdf(fx, "plain.pdf", 1);
  run_command("qpdf --object-streams=generate " + plain + " " + fx.f("in.pdf"));
  ASSERT_NE(to_string(read_file(fx.f("in.pdf"))).find("/XRef"), std::string::npos);
  ASSERT_TRUE(sign(p, fx.f("in.pdf"), fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}).ok());
  EXPECT_TRUE(qpdf_ok(fx.f("s.pdf")));
  auto sig = run_command("pdfsig -nssdir sql:" + nss_db(fx, p) + " " + fx.f("s.pdf") + " 2>&1");
  EXPECT_NE(sig.out.find("Signature Validation: Signature is Valid."), std::string::npos) << sig.out;
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].ok()) << (*reports)[0].problem;
}

INSTANTIATE_TEST_SUITE_P(Keys, PdfSignInternational, ::testing::Values(crypto::KeyType::kEcP256, crypto::KeyType::kRsa2048),
                         [](const auto& i) { return std::string(i.param == crypto::KeyType::kEcP256 ? "EcP256" : "Rsa2048"); });

// --- SM2 --------------------------------------------------------------------------------------

TEST(PdfSignSm2, OurVerifierAndOpensslCheckTheSignedAttributesAndTheByteRangeDigest) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kSm2, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  auto prepared = sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 120, 200, 40, ""});
  ASSERT_TRUE(prepared.ok()) << prepared.error().code << " " << prepared.error().cause;
  EXPECT_TRUE(qpdf_ok(fx.f("s.pdf")));
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].ok()) << (*reports)[0].problem;
  EXPECT_EQ((*reports)[0].alg, pki::SigAlg::kSm2Sm3);
  EXPECT_TRUE((*reports)[0].timestamp_valid);

  // Independently: the byte ranges cut out with head/tail and hashed by `openssl dgst -sm3`...
  const auto& br = prepared->byte_range;
  run_command("head -c " + std::to_string(br[1]) + " " + fx.f("s.pdf") + " > " + fx.f("ranges.bin"));
  run_command("tail -c " + std::to_string(br[3]) + " " + fx.f("s.pdf") + " >> " + fx.f("ranges.bin"));
  auto dgst = openssl("dgst -sm3 -r " + fx.f("ranges.bin"));
  ASSERT_EQ(dgst.exit_code, 0);
  // ...equal to the message-digest attribute as `openssl asn1parse` prints it from /Contents...
  Bytes file = read_file(fx.f("s.pdf"));
  const std::string hex(file.begin() + static_cast<long>(br[1]) + 1, file.begin() + static_cast<long>(br[2]) - 1);
  Bytes cms_der = hex_decode(hex).value();
  write_file(fx.f("cms.der"), cms_der);
  auto parsed = openssl("asn1parse -inform DER -in " + fx.f("cms.der"));
  std::string upper = dgst.out.substr(0, 64);
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_NE(parsed.out.find("[HEX DUMP]:" + upper), std::string::npos) << parsed.out.substr(0, 3000);
  EXPECT_NE(parsed.out.find(":SM2-with-SM3"), std::string::npos);  // 1.2.156.10197.1.501
  EXPECT_NE(parsed.out.find(":sm3"), std::string::npos);  // 1.2.156.10197.1.401
  // ...and the signature over the signed attributes checked by `openssl pkeyutl` with the SM2 ID.
  auto view = pades::read_signed_data(cms_der).value();
  write_file(fx.f("attrs.der"), view.signed_attributes);
  write_file(fx.f("sig.der"), view.signature);
  write_file(fx.f("leaf.pem"), as_bytes(pem_encode("CERTIFICATE", p.leaf)));
  ASSERT_EQ(openssl("x509 -in " + fx.f("leaf.pem") + " -pubkey -noout -out " + fx.f("pub.pem")).exit_code, 0);
  auto pk = openssl("pkeyutl -verify -pubin -inkey " + fx.f("pub.pem") + " -rawin -digest sm3 -in " + fx.f("attrs.der") +
                    " -sigfile " + fx.f("sig.der") + " -pkeyopt distid:1234567812345678");
  EXPECT_NE(pk.out.find("Signature Verified Successfully"), std::string::npos) << pk.out;
}

// --- where the seal goes ------------------------------------------------------------------------

TEST(PdfSealPlacement, PositionIsWhereAskedOnTheRenderedPage) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  ASSERT_TRUE(sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 120, 200, 40, ""}, false).ok());
  const int dpi = 50;
  const double mm = dpi / 25.4;
  Raster r = render(fx, fx.f("s.pdf"), 1, dpi);
  ASSERT_GT(r.w, 0);
  auto c = count_red(r, 120 * mm - 2, 200 * mm - 2, 160 * mm + 2, 240 * mm + 2);
  EXPECT_GT(c.inside, 200);
  EXPECT_EQ(c.outside, 0);
  // Unsigned: no red at all.
  EXPECT_EQ(count_red(render(fx, in, 1, dpi), 0, 0, 0, 0).outside, 0);
}

TEST(PdfSealPlacement, KeywordCentresTheSealOnTheWordPdftotextFinds) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng);
  const std::string in = make_pdf(fx, "in.pdf", 2, "甲方 盖章处 日期");
  const int pages = page_count(in);
  ASSERT_GE(pages, 2);
  ASSERT_TRUE(sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kKeyword, 0, 0, 0, 30, "盖章处"}, false).ok());
  // The word's box as pdftotext (another program) sees it, in points.
  auto bbox = run_command("pdftotext -bbox " + in + " -");
  const auto word = bbox.out.find(">盖章处<");
  ASSERT_NE(word, std::string::npos) << bbox.out.substr(0, 500);
  const auto line_start = bbox.out.rfind("<word", word);
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  ASSERT_EQ(std::sscanf(bbox.out.c_str() + line_start, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0,
                        &y0, &x1, &y1), 4);
  // Which page: count "<page" before the word.
  int page = 0;
  for (std::size_t at = 0; (at = bbox.out.find("<page ", at)) != std::string::npos && at < word; ++at) ++page;
  const int dpi = 50;
  const double px = dpi / 72.0, half = 15 / 25.4 * dpi;
  const double cx = (x0 + x1) / 2 * px, cy = (y0 + y1) / 2 * px;
  Raster r = render(fx, fx.f("s.pdf"), page, dpi);
  auto c = count_red(r, cx - half - 2, cy - half - 2, cx + half + 2, cy + half + 2);
  EXPECT_GT(c.inside, 100);
  EXPECT_EQ(c.outside, 0);
  for (int other = 1; other <= pages; ++other) {
    if (other != page) {
      EXPECT_EQ(count_red(render(fx, fx.f("s.pdf"), other, dpi), 0, 0, 0, 0).outside, 0);
    }
  }
  auto missing = sign(p, in, fx.f("x.pdf"), {SealPlacement::Kind::kKeyword, 0, 0, 0, 30, "不存在的词"}, false);
  EXPECT_EQ(missing.error().code, "keyword_not_found");
}

TEST(PdfSealPlacement, StraddleSealSplitsOverTheRightEdgeOfFivePages) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kRsa2048, rng);
  std::string in = make_pdf(fx, "in.pdf", 7);
  const int pages = page_count(in);
  ASSERT_GE(pages, 5);
  // Exactly five pages: cut with qpdf.
  run_command("qpdf " + in + " --pages . 1-5 -- " + fx.f("five.pdf"));
  in = fx.f("five.pdf");
  ASSERT_EQ(page_count(in), 5);
  ASSERT_TRUE(sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kStraddle, 0, 0, 100, 40, ""}, false).ok());
  EXPECT_TRUE(qpdf_ok(fx.f("s.pdf")));
  const int dpi = 50;
  const double mm = dpi / 25.4;
  for (int pg = 1; pg <= 5; ++pg) {
    Raster r = render(fx, fx.f("s.pdf"), pg, dpi);
    const double strip = 40.0 / 5 * mm;
    auto c = count_red(r, r.w - strip - 2, 100 * mm - 2, r.w, 140 * mm + 2);
    EXPECT_GT(c.inside, 20) << "page " << pg;
    EXPECT_EQ(c.outside, 0) << "page " << pg;
  }
  // One signature field with a widget per page (ISO 32000-1 §12.7.3.1: kids with /Parent). Poppler
  // 22.12 takes a kid with /Parent for a field of its own and so lists five unsigned fields
  // (docs/SEALS.md); our verifier reads the field and its one signature.
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].ok()) << (*reports)[0].problem;
  auto one_page = sign(p, make_pdf(fx, "one.pdf", 1), fx.f("y.pdf"), {SealPlacement::Kind::kStraddle, 0, 0, 100, 40, ""}, false);
  ASSERT_EQ(page_count(fx.f("one.pdf")), 1);
  EXPECT_EQ(one_page.error().code, "bad_placement");
}

// --- refusals -------------------------------------------------------------------------------

// The attacker appends an incremental update that replaces the page's content stream: the bytes
// the signature covers are intact, but what a reader shows is not what was signed.
TEST(PdfVerify, ContentReplacedInALaterUpdateIsNotAnAllowedChange) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  ASSERT_TRUE(sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}, false).ok());
  // The page's /Contents object number, from qpdf's JSON-free listing.
  auto show = run_command("qpdf --show-pages " + fx.f("s.pdf"));
  const auto at = show.out.find("content:");
  ASSERT_NE(at, std::string::npos) << show.out;
  int content_obj = 0;
  ASSERT_EQ(std::sscanf(show.out.c_str() + show.out.find_first_of("0123456789", at + 8), "%d", &content_obj), 1);
  Bytes b = read_file(fx.f("s.pdf"));
  const std::string tail(b.end() - 40, b.end());
  const auto sx = tail.rfind("startxref");
  const long prev = std::stol(tail.substr(sx + 10));
  std::string text = "BT /F1 12 Tf 72 700 Td (forged) Tj ET";
  std::string upd = std::to_string(content_obj) + " 0 obj\n<< /Length " + std::to_string(text.size()) + " >>\nstream\n" +
                    text + "\nendstream\nendobj\n";
  const std::size_t obj_at = b.size();
  auto trailer = run_command("qpdf --show-object=trailer " + fx.f("s.pdf"));
  const auto size_at = trailer.out.find("/Size ");
  const int size = std::stoi(trailer.out.substr(size_at + 6));
  const auto root_at = trailer.out.find("/Root ");
  const std::string root = trailer.out.substr(root_at + 6, trailer.out.find(" R", root_at) + 2 - root_at - 6);
  char entry[32];
  std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", obj_at);
  const std::size_t xref_at = obj_at + upd.size();
  upd += "xref\n" + std::to_string(content_obj) + " 1\n" + entry + "trailer\n<< /Size " + std::to_string(size) +
         " /Root " + root + " /Prev " + std::to_string(prev) + " >>\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
  b.insert(b.end(), upd.begin(), upd.end());
  write_file(fx.f("forged.pdf"), b);
  ASSERT_TRUE(qpdf_ok(fx.f("forged.pdf")));
  auto reports = verify_pdf(fx.f("forged.pdf"), {p.root});
  ASSERT_TRUE(reports.ok()) << reports.error().cause;
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].bytes_intact);
  EXPECT_FALSE((*reports)[0].later_changes_allowed);
  EXPECT_FALSE((*reports)[0].ok());
  EXPECT_NE((*reports)[0].later_changes.find("stream"), std::string::npos) << (*reports)[0].later_changes;
}

// A signature by a certificate from a root the relying party does not trust.
TEST(PdfVerify, UnknownRootIsNotTrusted) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng), other = make_pki(crypto::KeyType::kEcP256, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  ASSERT_TRUE(sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}, false).ok());
  auto reports = verify_pdf(fx.f("s.pdf"), {other.root});
  ASSERT_TRUE(reports.ok());
  EXPECT_TRUE((*reports)[0].bytes_intact);
  EXPECT_TRUE((*reports)[0].signature_valid);
  EXPECT_FALSE((*reports)[0].certificate_trusted);
  EXPECT_FALSE((*reports)[0].ok());
}

// The attacker widens the byte-range gap so that it also hides bytes outside /Contents (the
// ByteRange text is rewritten in place, same width).
TEST(PdfVerify, AByteRangeGapWiderThanTheSignatureValueIsRefused) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  auto prepared = sign(p, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}, false);
  ASSERT_TRUE(prepared.ok());
  const auto& br = prepared->byte_range;
  Bytes b = read_file(fx.f("s.pdf"));
  std::string text(b.begin(), b.end());
  const std::string old_br = "[0 " + std::to_string(br[1]) + " " + std::to_string(br[2]) + " " + std::to_string(br[3]) + "]";
  const auto at = text.find(old_br);
  ASSERT_NE(at, std::string::npos);
  std::string new_br = "[0 " + std::to_string(br[1] - 10) + " " + std::to_string(br[2]) + " " + std::to_string(br[3] + 0) + "]";
  new_br.resize(old_br.size(), ' ');
  text.replace(at, old_br.size(), new_br);
  write_file(fx.f("wide.pdf"), as_bytes(text));
  auto reports = verify_pdf(fx.f("wide.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_FALSE((*reports)[0].ok());
  EXPECT_EQ((*reports)[0].problem, "the byte range leaves out more than the signature value");
}

TEST(PdfSign, RefusesEncryptedPdfsBadPagesAndTheSameOutputFile) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  run_command("qpdf --encrypt user owner 256 -- " + in + " " + fx.f("enc.pdf"));
  EXPECT_EQ(sign(p, fx.f("enc.pdf"), fx.f("x.pdf"), {}, false).error().code, "pdf_encrypted");
  EXPECT_EQ(sign(p, in, fx.f("x.pdf"), {SealPlacement::Kind::kPosition, 9, 20, 20, 40, ""}, false).error().code, "bad_page");
  EXPECT_EQ(sign(p, in, in, {}, false).error().code, "bad_output");
  write_file(fx.f("junk.pdf"), as_bytes("%PDF-1.7\nnot a pdf at all, just words\n"));
  EXPECT_EQ(sign(p, fx.f("junk.pdf"), fx.f("x.pdf"), {}, false).error().code, "pdf_unreadable");
}

// The in-memory halves (pdf_held.h) that scene 13 and the admin-transfer letter use: prepared,
// signed away from the file, finished with a time stamp, verified; a byte of the prepared file
// changed between the halves (what an insider with the database could do) is caught by the
// verifier, although the signature over the stored attributes is genuine.
TEST(PdfHeld, PreparesFinishesAndVerifiesInMemoryAndCatchesAChangedPreparation) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kSm2, rng);
  const Bytes in = read_file(make_pdf(fx, "in.pdf", 1, "签字处"));
  EXPECT_EQ(count_held_pdf_pages(in).value(), 1);
  PdfSignRequest req;
  req.placement = {SealPlacement::Kind::kKeyword, 0, 0, 0, 30, "签字处"};
  req.seal_png = seal_png();
  req.alg = pki::SigAlg::kSm2Sm3;
  req.signer_cert = p.leaf;
  req.chain = {p.root};
  req.signing_time = std::chrono::system_clock::now();
  req.signer_name = "张三";
  req.reason = "授权委托书";
  TsaFunction tsa = tsa_for(p);
  auto prepared = prepare_held_pdf(in, req, &tsa, 40);
  ASSERT_TRUE(prepared.ok()) << prepared.error().code;
  EXPECT_EQ(prepared->preview_png.size() > 8 ? to_string(Bytes(prepared->preview_png.begin() + 1,
                                                                prepared->preview_png.begin() + 4))
                                              : "",
            "PNG");
  EXPECT_EQ(std::string(prepared->pdf.begin(), prepared->pdf.begin() + static_cast<std::ptrdiff_t>(in.size())),
            to_string(in));  // an incremental update
  pki::LocalSigner signer(p.leaf_key);
  const Bytes sig = signer.sign(prepared->signed_attributes).value();
  HeldSigner who{pki::SigAlg::kSm2Sm3, p.leaf, {p.root}, prepared->signed_attributes, prepared->contents_offset,
                 prepared->contents_capacity};
  auto finished = finish_held_pdf(prepared->pdf, who, sig, &tsa);
  ASSERT_TRUE(finished.ok()) << finished.error().code;
  EXPECT_TRUE(finished->timestamped);
  write_file(fx.f("held.pdf"), finished->pdf);
  EXPECT_TRUE(qpdf_ok(fx.f("held.pdf")));
  auto reports = verify_held_pdf(finished->pdf, {p.root});
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_TRUE((*reports)[0].ok()) << (*reports)[0].problem;
  EXPECT_TRUE((*reports)[0].timestamp_valid);
  EXPECT_EQ((*reports)[0].signer_cert, p.leaf);

  // Attacker: the stored preparation changed (a byte of the original text) before finishing.
  Bytes changed = prepared->pdf;
  const std::string text = to_string(changed);
  const auto at = text.find("cairo");
  ASSERT_NE(at, std::string::npos);
  changed[at] ^= 0x20;
  auto forged = finish_held_pdf(changed, who, sig, &tsa);
  ASSERT_TRUE(forged.ok());
  auto bad = verify_held_pdf(forged->pdf, {p.root});
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->size(), 1u);
  EXPECT_FALSE((*bad)[0].bytes_intact);
  EXPECT_FALSE((*bad)[0].ok());
}


// --- PAdES B-LT: the Document Security Store --------------------------------------------------

// The CA's services as a ValidationFunction: the root (the test PKI's issuer), the root's CRL listing
// `revoked`, and an OCSP answer from a delegated responder (EKU OCSPSigning, issued by the root).
struct TestRevocation {
  crypto::PrivateKey ocsp_key;
  Bytes ocsp_cert;
  std::vector<pki::RevokedEntry> revoked;
};

TestRevocation make_revocation(const TestPki& p, Rng& rng) {
  TestRevocation r{crypto::PrivateKey::generate(p.root_key.type(), rng).value(), {}, {}};
  r.ocsp_cert = issue(r.ocsp_key, p.root_key, p.root_name, pki::name_der({{"C", "CN"}, {"CN", "Test OCSP"}}).value(),
                      false, {std::string(pki::kOidEkuOcspSigning)}, 4);
  return r;
}

Bytes test_crl(const crypto::PrivateKey& key, const Bytes& issuer_name, const std::vector<pki::RevokedEntry>& revoked) {
  const auto now = std::chrono::system_clock::now();
  pki::CrlTemplate t;
  t.issuer = issuer_name;
  t.authority_key_id = pki::key_identifier(key.public_key().spki_der()).value();
  t.number = 7;
  t.this_update = now;
  t.next_update = now + std::chrono::hours(24);
  t.revoked = revoked;
  pki::LocalSigner s(key, "");
  return pki::issue_crl(t, s).value();
}

// An OCSP answer about `cert` (issued by the root) signed by `signer_key` presenting `signer_cert`.
Bytes test_ocsp(const TestPki& p, BytesView cert, const crypto::PrivateKey& signer_key, const Bytes& signer_cert,
                const std::vector<pki::RevokedEntry>& revoked) {
  const auto now = std::chrono::system_clock::now();
  auto req = pki::parse_ocsp_request(ocsp_request(cert, p.root).value()).value();
  pki::SingleStatus st;
  st.status = pki::CertStatus::kGood;
  st.this_update = now;
  st.next_update = now + std::chrono::hours(1);
  const Bytes serial = pki::read_certificate(cert).value().serial;
  for (const auto& e : revoked) {
    if (e.serial == serial) {
      st.status = pki::CertStatus::kRevoked;
      st.revoked_at = e.revoked_at;
      st.reason = e.reason;
    }
  }
  pki::OcspResponseTemplate t{pki::key_identifier(signer_key.public_key().spki_der()).value(), now,
                              {pki::single_response(req.ids[0].der, st)}, std::nullopt, {signer_cert}};
  pki::LocalSigner s(signer_key, "");
  return pki::sign_ocsp_response(t, s).value();
}

ValidationFunction validation_for(const TestPki& p, const TestRevocation& r) {
  return [&p, &r](BytesView cert) -> Result<ValidationData> {
    ValidationData d;
    d.certs = {p.root, r.ocsp_cert};
    d.crls = {test_crl(p.root_key, p.root_name, r.revoked)};
    d.ocsps = {test_ocsp(p, cert, r.ocsp_key, r.ocsp_cert, r.revoked)};
    return d;
  };
}

Result<PreparedPdf> sign_lt(const TestPki& p, const TestRevocation& r, const std::string& in, const std::string& out,
                            SealPlacement pl) {
  PdfSignRequest req;
  req.in_path = in;
  req.out_path = out;
  req.placement = pl;
  req.seal_png = seal_png();
  req.alg = pki::sig_alg_for(p.leaf_key.type());
  req.signer_cert = p.leaf;
  req.chain = {p.root};
  req.signing_time = std::chrono::system_clock::now();
  req.signer_name = "张三";
  auto signer = std::make_shared<pki::LocalSigner>(p.leaf_key);
  SignFunction fn = [signer](BytesView attrs) { return signer->sign(attrs); };
  TsaFunction tsa = tsa_for(p);
  ValidationFunction lt = validation_for(p, r);
  return sign_pdf(req, fn, &tsa, &lt);
}

// The number n of "/Key n 0 R" or the first "n 0 R" inside "/Key [ ... ]" in qpdf's output.
int ref_after(const std::string& text, const std::string& key) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(key + R"(\s*\[?\s*(\d+) 0 R)"))) return std::stoi(m[1]);
  return 0;
}

// What qpdf (not our reader) finds in the DSS: the catalog's /DSS, its first CRL and OCSP
// streams' raw bytes, and the DSS dictionary's text.
struct QpdfDss {
  std::string dss_text;
  Bytes crl, ocsp;
};
QpdfDss dss_by_qpdf(const Fixture& fx, const std::string& pdf) {
  QpdfDss d;
  const std::string trailer = run_command("qpdf --show-object=trailer " + pdf).out;
  const int root = ref_after(trailer, "/Root");
  const std::string catalog = run_command("qpdf --show-object=" + std::to_string(root) + " " + pdf).out;
  const int dss = ref_after(catalog, "/DSS");
  if (dss == 0) return d;
  d.dss_text = run_command("qpdf --show-object=" + std::to_string(dss) + " " + pdf).out;
  const int crl = ref_after(d.dss_text, "/CRLs"), ocsp = ref_after(d.dss_text, "/OCSPs");
  run_command("qpdf --show-object=" + std::to_string(crl) + " --raw-stream-data " + pdf + " > " + fx.f("dss-crl.der"));
  run_command("qpdf --show-object=" + std::to_string(ocsp) + " --raw-stream-data " + pdf + " > " + fx.f("dss-ocsp.der"));
  d.crl = read_file(fx.f("dss-crl.der"));
  d.ocsp = read_file(fx.f("dss-ocsp.der"));
  return d;
}

TEST_P(PdfSignInternational, LongTermDssIsCheckedByQpdfPdfsigAndOpensslAndKeepsEarlierSignatures) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(GetParam(), rng);
  TestRevocation rev = make_revocation(p, rng);
  const std::string in = make_pdf(fx, "in.pdf", 2);
  // A first signature (B-T) that the B-LT update must leave valid.
  ASSERT_TRUE(sign(p, in, fx.f("one.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 30, ""}, true, "甲方").ok());
  auto lt = sign_lt(p, rev, fx.f("one.pdf"), fx.f("lt.pdf"), {SealPlacement::Kind::kPosition, 2, 120, 200, 40, ""});
  ASSERT_TRUE(lt.ok()) << lt.error().code << " " << lt.error().cause;
  const std::string out = fx.f("lt.pdf");
  EXPECT_TRUE(qpdf_ok(out));
  auto sig = run_command("pdfsig -nssdir sql:" + nss_db(fx, p) + " " + out + " 2>&1");
  std::size_t valid = 0, at = 0;
  while ((at = sig.out.find("Signature is Valid.", at)) != std::string::npos) ++valid, ++at;
  EXPECT_EQ(valid, 2u) << sig.out;
  EXPECT_NE(sig.out.find("Certificate is Trusted."), std::string::npos) << sig.out;
  EXPECT_EQ(sig.out.find("Digest Mismatch"), std::string::npos) << sig.out;

  // The DSS as qpdf reads it; the CRL and OCSP answer checked by openssl against the root.
  QpdfDss d = dss_by_qpdf(fx, out);
  ASSERT_FALSE(d.dss_text.empty()) << "no /DSS in the catalog";
  EXPECT_NE(d.dss_text.find("/Type /DSS"), std::string::npos) << d.dss_text;
  write_file(fx.f("root.pem"), as_bytes(pem_encode("CERTIFICATE", p.root)));
  write_file(fx.f("leaf.pem"), as_bytes(pem_encode("CERTIFICATE", p.leaf)));
  auto crl = run_command("openssl crl -inform DER -in " + fx.f("dss-crl.der") + " -CAfile " + fx.f("root.pem") +
                         " -noout 2>&1");
  EXPECT_NE(crl.out.find("verify OK"), std::string::npos) << crl.out;
  auto ocsp = run_command("openssl ocsp -respin " + fx.f("dss-ocsp.der") + " -CAfile " + fx.f("root.pem") + " -issuer " +
                          fx.f("root.pem") + " -cert " + fx.f("leaf.pem") + " 2>&1");
  EXPECT_NE(ocsp.out.find("Response verify OK"), std::string::npos) << ocsp.out;
  EXPECT_NE(ocsp.out.find(fx.f("leaf.pem") + ": good"), std::string::npos) << ocsp.out;
  // The VRI key: SHA-1 of the second signature's /Contents string, by openssl.
  Bytes file = read_file(out);
  const auto& br = lt->byte_range;
  const std::string hex(file.begin() + static_cast<long>(br[1]) + 1, file.begin() + static_cast<long>(br[2]) - 1);
  write_file(fx.f("contents.bin"), hex_decode(hex).value());
  std::string key = openssl("dgst -sha1 -r " + fx.f("contents.bin")).out.substr(0, 40);
  for (auto& ch : key) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_NE(d.dss_text.find("/" + key), std::string::npos) << key << "\n" << d.dss_text;

  // Our verifier: the second is B-LT, good by the embedded data; the first still valid (the same
  // signer: the store's CRL, current at its time stamp, serves it too).
  auto reports = verify_pdf(out, {p.root});
  ASSERT_TRUE(reports.ok()) << reports.error().cause;
  ASSERT_EQ(reports->size(), 2u);
  const auto& first = (*reports)[0];
  const auto& second = (*reports)[1];
  EXPECT_TRUE(first.ok()) << first.problem << " " << first.later_changes;
  EXPECT_EQ(first.level, "B-LT") << first.revocation_problem;
  EXPECT_EQ(first.revocation_source, "ocsp+crl");  // the answers are about its certificate, from after its time
  EXPECT_TRUE(second.ok()) << second.problem << " " << second.later_changes;
  EXPECT_EQ(second.level, "B-LT") << second.revocation_problem;
  EXPECT_TRUE(second.dss_present);
  EXPECT_TRUE(second.vri_present);
  EXPECT_EQ(second.revocation_status, "good");
  EXPECT_EQ(second.revocation_source, "ocsp+crl");
  EXPECT_EQ(second.revocation_problem, "");
  EXPECT_FALSE(second.covers_whole_file);  // the DSS came after it
  EXPECT_TRUE(second.later_changes_allowed) << second.later_changes;
}

// The attacker appends a DSS of their own to a B-T signature (as the holder of a revoked certificate
// would, to have it called long-term valid): a CRL of another CA, which does not list it, and a CRL
// in this CA's name signed by another key. Neither is used: the signature is not called B-LT.
TEST(PdfVerifyLongTerm, ACrlOfAnotherCaIsNotTrusted) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng), other = make_pki(crypto::KeyType::kEcP256, rng);
  ASSERT_TRUE(sign(p, make_pdf(fx, "in.pdf", 1), fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}).ok());
  Bytes contents;
  {
    auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
    ASSERT_TRUE(reports.ok());
    EXPECT_EQ((*reports)[0].level, "B-T");
  }
  // Same issuer name, another key: a CRL "of" this CA that is not its.
  TestPki impostor = make_pki(crypto::KeyType::kEcP256, rng);
  ValidationData forged;
  forged.certs = {p.root};
  forged.crls = {test_crl(other.root_key, pki::name_der({{"CN", "Other CA"}}).value(), {}),
                 test_crl(impostor.root_key, p.root_name, {})};
  QPDF q;
  q.processFile(fx.f("s.pdf").c_str());
  QPDFObjectHandle v = q.getRoot().getKey("/AcroForm").getKey("/Fields").getArrayItem(0).getKey("/V");
  contents = to_bytes(v.getKey("/Contents").getStringValue());
  ASSERT_TRUE(append_dss(fx.f("s.pdf"), contents, forged, std::chrono::system_clock::now()).ok());
  EXPECT_TRUE(qpdf_ok(fx.f("s.pdf")));
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  const auto& r = (*reports)[0];
  EXPECT_TRUE(r.dss_present);
  EXPECT_TRUE(r.vri_present);
  EXPECT_EQ(r.level, "B-T");
  EXPECT_EQ(r.revocation_status, "");
  EXPECT_NE(r.revocation_problem.find("a CRL from another issuer"), std::string::npos) << r.revocation_problem;
  EXPECT_NE(r.revocation_problem.find("signature does not verify"), std::string::npos) << r.revocation_problem;
  EXPECT_TRUE(r.later_changes_allowed) << r.later_changes;  // a DSS is an allowed change
}

// OCSP answers that must not count: one (genuine) about another certificate of the same CA, and
// one the subscriber signed with its own key (a certificate of the CA, but without OCSPSigning).
TEST(PdfVerifyLongTerm, AnOcspAnswerForAnotherCertificateOrFromANonResponderIsNotTrusted) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kEcP256, rng);
  TestRevocation rev = make_revocation(p, rng);
  ASSERT_TRUE(sign(p, make_pdf(fx, "in.pdf", 1), fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}).ok());
  ValidationData forged;
  forged.certs = {p.root, rev.ocsp_cert};
  forged.ocsps = {test_ocsp(p, p.tsa, rev.ocsp_key, rev.ocsp_cert, {}),   // another certificate
                  test_ocsp(p, p.leaf, p.leaf_key, p.leaf, {})};          // signed by the subscriber
  QPDF q;
  q.processFile(fx.f("s.pdf").c_str());
  QPDFObjectHandle v = q.getRoot().getKey("/AcroForm").getKey("/Fields").getArrayItem(0).getKey("/V");
  ASSERT_TRUE(append_dss(fx.f("s.pdf"), to_bytes(v.getKey("/Contents").getStringValue()), forged,
                         std::chrono::system_clock::now()).ok());
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  const auto& r = (*reports)[0];
  EXPECT_EQ(r.level, "B-T");
  EXPECT_EQ(r.revocation_status, "");
  EXPECT_NE(r.revocation_problem.find("about another certificate"), std::string::npos) << r.revocation_problem;
  EXPECT_NE(r.revocation_problem.find("not signed by the issuer or a responder it authorised"), std::string::npos)
      << r.revocation_problem;
  EXPECT_TRUE(r.ok()) << r.problem;  // still a valid B-T signature
}

// Honest embedded data that says the certificate was revoked before the time stamp: not valid.
TEST(PdfVerifyLongTerm, EmbeddedRevocationBeforeTheTimeStampMakesTheSignatureInvalid) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kRsa2048, rng);
  TestRevocation rev = make_revocation(p, rng);
  rev.revoked.push_back({pki::read_certificate(p.leaf).value().serial,
                         std::chrono::system_clock::now() - std::chrono::minutes(10), pki::RevocationReason::kKeyCompromise});
  ASSERT_TRUE(sign_lt(p, rev, make_pdf(fx, "in.pdf", 1), fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}).ok());
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  const auto& r = (*reports)[0];
  EXPECT_EQ(r.revocation_status, "revoked");
  EXPECT_TRUE(r.revoked_at.has_value());
  EXPECT_FALSE(r.certificate_valid_then);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.level, "B-LT");
  EXPECT_EQ(r.problem, "the embedded revocation data says the certificate was revoked at that time");
}

TEST(PdfSignSm2, LongTermDssIsReadByOurVerifierAndATamperedOneIsNot) {
  SystemRng rng;
  Fixture fx;
  TestPki p = make_pki(crypto::KeyType::kSm2, rng), other = make_pki(crypto::KeyType::kSm2, rng);
  TestRevocation rev = make_revocation(p, rng);
  const std::string in = make_pdf(fx, "in.pdf", 1);
  ASSERT_TRUE(sign_lt(p, rev, in, fx.f("s.pdf"), {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""}).ok());
  EXPECT_TRUE(qpdf_ok(fx.f("s.pdf")));
  auto reports = verify_pdf(fx.f("s.pdf"), {p.root});
  ASSERT_TRUE(reports.ok());
  EXPECT_TRUE((*reports)[0].ok()) << (*reports)[0].problem;
  EXPECT_EQ((*reports)[0].alg, pki::SigAlg::kSm2Sm3);
  EXPECT_EQ((*reports)[0].level, "B-LT") << (*reports)[0].revocation_problem;
  EXPECT_EQ((*reports)[0].revocation_source, "ocsp+crl");
  // Tampered: the same signature with the other CA's CRL and an answer about the TSA's certificate.
  ValidationFunction forged = [&](BytesView) -> Result<ValidationData> {
    ValidationData d;
    d.certs = {p.root, rev.ocsp_cert};
    d.crls = {test_crl(other.root_key, other.root_name, {})};
    d.ocsps = {test_ocsp(p, p.tsa, rev.ocsp_key, rev.ocsp_cert, {})};
    return d;
  };
  PdfSignRequest req;
  req.in_path = in;
  req.out_path = fx.f("t.pdf");
  req.placement = {SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""};
  req.seal_png = seal_png();
  req.alg = pki::SigAlg::kSm2Sm3;
  req.signer_cert = p.leaf;
  req.chain = {p.root};
  req.signing_time = std::chrono::system_clock::now();
  auto signer = std::make_shared<pki::LocalSigner>(p.leaf_key);
  SignFunction fn = [signer](BytesView attrs) { return signer->sign(attrs); };
  TsaFunction tsa = tsa_for(p);
  ASSERT_TRUE(sign_pdf(req, fn, &tsa, &forged).ok());
  auto bad = verify_pdf(fx.f("t.pdf"), {p.root});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ((*bad)[0].level, "B-T");
  EXPECT_NE((*bad)[0].revocation_problem.find("another"), std::string::npos) << (*bad)[0].revocation_problem;
  // B-LT needs the time stamp.
  EXPECT_EQ(sign_pdf(req, fn, nullptr, &forged).error().code, "bad_level");
}

}  // namespace
}  // namespace certseal::docsign
