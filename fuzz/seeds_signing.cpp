// fuzz_seeds_signing OUT_DIR SM2_KEY_PEM SM2_CERT_DER [FILE.pdf | P256_CERT.der ...] — the seeds
// our own code makes for the targets over signing code (fuzz/make_corpus.sh runs it after making
// the keys and certificates with the openssl CLI): two-party P-256 messages for ecdsa_split
// (answers to the target's own key, fuzz/ecdsa_split_keys.h), PDFs signed by our signer for pdf,
// OFD packages made and signed by our code for ofd
// (the PDFs given were made by hand and by qpdf), and an EnvelopedData with key agreement to each
// P-256 certificate given for cms. It links only the layers up to docsign, not the whole server as
// fuzz_seeds does, so it builds in minutes. Each seed carries the selector bytes its target reads
// first (see each *_fuzz.cpp).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "base/rng.h"
#include "crypto/ecdsa_split.h"
#include "crypto/ossl.h"
#include "crypto/pkey.h"
#include "docsign/ofd_package.h"
#include "docsign/ofd_sample.h"
#include "docsign/ofd_signer.h"
#include "docsign/pdf_signer.h"
#include "fuzz/ecdsa_split_keys.h"
#include "pki/certificate.h"
#include "pki/cms_enveloped.h"
#include "pki/der.h"
#include "pki/signer.h"
#include "pki/tsp.h"
#include "seal/seal_picture.h"
#include "seal/seseal.h"

using namespace certseal;

namespace {

std::string out_dir;
int written = 0;

void put(const std::string& target, const std::string& name, BytesView prefix, BytesView body) {
  std::filesystem::create_directories(out_dir + "/" + target);
  std::ofstream f(out_dir + "/" + target + "/seed-" + name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(prefix.data()), static_cast<std::streamsize>(prefix.size()));
  f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
  ++written;
}

Bytes read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return to_bytes(ss.str());
}

int fail(const char* what, const Error& e) {
  std::fprintf(stderr, "fuzz_seeds_signing: %s: %s\n", what, e.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: fuzz_seeds_signing OUT_DIR SM2_KEY_PEM SM2_CERT_DER [FILE.pdf | P256_CERT.der ...]\n");
    return 2;
  }
  out_dir = argv[1];
  const Bytes key_pem = read_all(argv[2]);
  const Bytes cert = read_all(argv[3]);
  auto key = crypto::PrivateKey::from_pem(as_chars(key_pem));
  if (!key) return fail("key", key.error());
  SeededRng rng(1);
  const SysTime when{std::chrono::seconds(1'780'000'000)};
  const Bytes content = to_bytes("bid document 2026-118");

  // Two-party P-256 (prefix: the case in ecdsa_split_fuzz.cpp), answers to the target's own key.
  // The device steps draw their randomness from SeededRng(input size) first, so the answers are
  // made for exactly that draw.
  {
    namespace es = crypto::ecdsa_split;
    const fuzz::EcdsaKeys k = fuzz::make_ecdsa_keys();
    put("ecdsa_split", "enrolment", Bytes{0}, k.start.request.encode());
    put("ecdsa_split", "keygen-q", Bytes{1}, k.accepted.public_point);
    const Bytes digest(32, 0x5a);
    auto probe = es::device_sign_start(k.device, digest, rng);
    if (!probe) return fail("ecdsa sign start", probe.error());
    put("ecdsa_split", "sign-request", Bytes{2}, probe->request.encode());
    auto probe_answer = es::server_sign(k.accepted.share, probe->request, rng);
    if (!probe_answer) return fail("ecdsa server sign", probe_answer.error());
    SeededRng device_rng(1 + probe_answer->encode().size());
    auto start = es::device_sign_start(k.device, digest, device_rng);
    auto answer = es::server_sign(k.accepted.share, start->request, rng);
    if (!answer) return fail("ecdsa server sign", answer.error());
    put("ecdsa_split", "sign-response", Bytes{3}, answer->encode());
    const Bytes& peer = k.start.request.q1;  // some P-256 point
    auto ecdh_probe = es::device_ecdh_start(k.device, peer, rng);
    if (!ecdh_probe) return fail("ecdh start", ecdh_probe.error());
    put("ecdsa_split", "ecdh-request", Bytes{4}, ecdh_probe->request.encode());
    auto ecdh_probe_answer = es::server_ecdh(k.accepted.share, ecdh_probe->request);
    if (!ecdh_probe_answer) return fail("ecdh server", ecdh_probe_answer.error());
    SeededRng ecdh_rng(1 + peer.size() + ecdh_probe_answer->encode().size());
    auto ecdh = es::device_ecdh_start(k.device, peer, ecdh_rng);
    auto ecdh_answer = es::server_ecdh(k.accepted.share, ecdh->request);
    Bytes prefix = {5};
    prefix.insert(prefix.end(), peer.begin(), peer.end());
    put("ecdsa_split", "ecdh-response", prefix, ecdh_answer->encode());
    const SecretBytes share = k.accepted.share.export_bytes();
    put("ecdsa_split", "server-share", Bytes{6}, BytesView(share.data(), share.size()));
    put("ecdsa_split", "paillier-decrypt", Bytes{7, 0, 0}, k.accepted.share.ckey());
    const Bytes& n = k.accepted.share.modulus();
    Bytes pk_prefix = {7, 1, static_cast<std::uint8_t>(n.size() / 4)};
    pk_prefix.insert(pk_prefix.end(), n.begin(), n.end());
    put("ecdsa_split", "paillier-modulus", pk_prefix, k.accepted.share.ckey());
  }

  // PDF signatures made by our signer (B-T with a time stamp over the signature, then a second
  // signature on top) over the PDFs given, and the CMS of each alone. Prefix: the mode (0: PDF,
  // 1: CMS), then the trusted root (the self-signed certificate) with a 16-bit length.
  std::vector<std::string> pdfs;
  // A P-256 certificate (NAME.der, its key beside it as NAME.key): our EnvelopedData (CBC) and
  // AuthEnvelopedData (AES-GCM) to it; an envelope made elsewhere (NAME.cms) to the last such key. The key field of each seed is the
  // real Z, so kari_unwrap and open_content run to the end.
  std::optional<crypto::PrivateKey> recipient;
  auto ends = [](const std::string& a, const char* suffix) {
    const std::string s(suffix);
    return a.size() > s.size() && a.compare(a.size() - s.size(), s.size(), s) == 0;
  };
  for (int i = 4; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string stem = std::filesystem::path(arg).stem().string();
    if (ends(arg, ".pdf")) {
      pdfs.push_back(arg);
      continue;
    }
    std::vector<std::pair<std::string, Bytes>> envs;  // (seed name, envelope)
    if (ends(arg, ".der")) {
      const Bytes key_pem_r = read_all(arg.substr(0, arg.size() - 4) + ".key");
      auto k = crypto::PrivateKey::from_pem(as_chars(key_pem_r));
      if (!k) return fail("P-256 key", k.error());
      recipient = std::move(k).value();
      // The CBC EnvelopedData (on request) and the default AES-GCM AuthEnvelopedData.
      auto made = pki::cms::enveloped_data(pki::cms::Form::kRfc5652, read_all(arg), content, rng,
                                           pki::cms::ContentEncryption::kAesCbc);
      if (!made) return fail("enveloped_data (key agreement)", made.error());
      envs.emplace_back(stem, std::move(made).value());
      auto gcm = pki::cms::enveloped_data(pki::cms::Form::kRfc5652, read_all(arg), content, rng);
      if (!gcm) return fail("enveloped_data (key agreement, GCM)", gcm.error());
      envs.emplace_back(stem + "-gcm", std::move(gcm).value());
    } else {
      envs.emplace_back(stem, read_all(arg));
    }
    if (!recipient) return fail("kari", invalid_argument("usage", "a .cms comes after its recipient's .der"));
    for (const auto& [name, env] : envs) {
      auto parsed = pki::cms::parse_enveloped(env);
      if (!parsed) return fail("parse_enveloped", parsed.error());
      auto peer = crypto::PublicKey::ec_from_point(crypto::KeyType::kEcP256, parsed->originator_point);
      if (!peer) return fail("originator point", peer.error());
      crypto::EvpPkeyCtx dctx(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient->get(), nullptr));
      Bytes z(32);
      std::size_t zlen = z.size();
      if (!dctx || EVP_PKEY_derive_init(dctx.get()) != 1 || EVP_PKEY_derive_set_peer(dctx.get(), peer->get()) != 1 ||
          EVP_PKEY_derive(dctx.get(), z.data(), &zlen) != 1 || zlen != 32) {
        return fail("ECDH", invalid_argument("ecdh", "EVP_PKEY_derive"));
      }
      auto cek = pki::cms::kari_unwrap(*parsed, z);
      if (!cek) return fail("kari_unwrap", cek.error());
      auto opened = pki::cms::open_content(*parsed, BytesView(cek->data(), cek->size()));
      if (!opened) return fail("open_content", opened.error());
      Bytes prefix = {1, 32};
      prefix.insert(prefix.end(), z.begin(), z.end());
      put("cms", "enveloped-kari-" + name, prefix, env);
    }
  }
  if (!pdfs.empty()) {
    Bytes root_prefix = {0, static_cast<std::uint8_t>(cert.size() >> 8), static_cast<std::uint8_t>(cert.size() & 0xff)};
    root_prefix.insert(root_prefix.end(), cert.begin(), cert.end());
    Bytes cms_prefix = root_prefix;
    cms_prefix[0] = 1;
    seal::SealTemplate st;
    st.name = "FUZZ";
    auto picture = seal::render_seal(st, 72);
    if (!picture) return fail("seal picture", picture.error());
    auto local = std::make_shared<pki::LocalSigner>(*key);
    docsign::SignFunction sign_fn = [local](BytesView attrs) { return local->sign(attrs); };
    auto cert_facts = pki::read_certificate(cert);
    if (!cert_facts) return fail("certificate", cert_facts.error());
    docsign::TsaFunction tsa = [&](BytesView req_der) -> Result<Bytes> {
      CS_ASSIGN(auto req, pki::parse_ts_request(req_der, "1.3.6.1.4.1.61234.1.9"));
      pki::TsTemplate t{"1.3.6.1.4.1.61234.1.9", {0x05, 0x07}, when, cert, cert_facts->issuer, cert_facts->serial, {}};
      return pki::sign_timestamp(req, t, *local);
    };
    for (const std::string& in : pdfs) {
      const std::string stem = std::filesystem::path(in).stem().string();
      const std::string once = in + ".signed1.pdf", twice = in + ".signed2.pdf";
      docsign::PdfSignRequest req;
      req.in_path = in;
      req.out_path = once;
      req.seal_png = picture->png;
      req.seseal = to_bytes("SESeal");
      req.alg = pki::SigAlg::kSm2Sm3;
      req.signer_cert = cert;
      req.signing_time = when;
      req.signer_name = "fuzz";
      req.reason = "seed";
      auto first = docsign::sign_pdf(req, sign_fn, &tsa);
      if (!first) return fail("sign_pdf", first.error());
      req.in_path = once;
      req.out_path = twice;
      req.placement.x_mm = 80;
      auto second = docsign::sign_pdf(req, sign_fn, nullptr);
      if (!second) return fail("sign_pdf (second)", second.error());
      put("pdf", stem + "-signed-bt", root_prefix, read_all(once));
      put("pdf", stem + "-signed-twice", root_prefix, read_all(twice));
      // The CMS alone, as read from the first file's /Contents.
      const Bytes signed_once = read_all(once);
      const std::size_t at = static_cast<std::size_t>(first->contents_offset);
      Bytes hex_der;
      for (std::size_t j = at; j + 1 < signed_once.size() && signed_once[j] != '>'; j += 2) {
        hex_der.push_back(static_cast<std::uint8_t>(std::stoi(std::string{static_cast<char>(signed_once[j]),
                                                                          static_cast<char>(signed_once[j + 1])},
                                                              nullptr, 16)));
      }
      auto tlv = pki::der::read_tlv(hex_der);
      if (!tlv) return fail("the CMS in /Contents", tlv.error());
      hex_der.resize(tlv->total());
      put("pdf", stem + "-cms-bt", cms_prefix, hex_der);
      std::filesystem::remove(once);
      std::filesystem::remove(twice);
    }
  }
  // OFD (ofd_fuzz.cpp, no prefix): our sample package, signed once and twice by our signer with a
  // seal made by the same key, and a signed one with a page changed afterwards.
  {
    seal::SealInfo info;
    info.vendor_id = "CERTSEAL";
    info.seal_id = "11010800000009";
    info.name = "测试合同专用章";
    info.certificates = {cert};
    info.created = info.valid_from = std::chrono::system_clock::now();
    info.valid_to = info.valid_from + std::chrono::hours(24 * 365);
    info.picture = to_bytes("\x89PNG\r\n\x1a\n");
    info.picture_width_mm = info.picture_height_mm = 40;
    auto seseal = seal::build_seseal_v4(info, cert, [&](BytesView tbs) {
      return crypto::sign(*key, crypto::SignScheme::kSm2Sm3, tbs);
    });
    if (!seseal) return fail("seseal", seseal.error());
    auto sample = docsign::make_sample_ofd({"第一页", "page two & <more>"});
    if (!sample) return fail("ofd sample", sample.error());
    put("ofd", "sample", {}, *sample);
    auto sign = [&](const Bytes& ofd, int page) {
      docsign::OfdSignRequest r;
      r.ofd = ofd;
      r.page = page;
      r.seseal = *seseal;
      r.signer_cert = cert;
      r.signing_time = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
      return docsign::sign_ofd(r, [&](BytesView tbs) { return crypto::sign(*key, crypto::SignScheme::kSm2Sm3, tbs); });
    };
    auto once = sign(*sample, 1);
    if (!once) return fail("ofd sign", once.error());
    put("ofd", "signed", {}, *once);
    auto twice = sign(*once, 2);
    if (!twice) return fail("ofd sign twice", twice.error());
    put("ofd", "signed-twice", {}, *twice);
    auto pkg = docsign::read_ofd(*once);
    if (!pkg) return fail("ofd read", pkg.error());
    pkg->put("Doc_0/Pages/Page_0/Content.xml", to_bytes("<ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"/>"));
    pkg->put("Doc_0/Res/added.png", to_bytes("\x89PNG"));
    auto changed = docsign::write_ofd(*pkg);
    if (!changed) return fail("ofd write", changed.error());
    put("ofd", "signed-changed", {}, *changed);
    // The same signed package as parts (ofd_fuzz.cpp's second form): its files joined by the split.
    auto signed_pkg = docsign::read_ofd(*once);
    if (!signed_pkg) return fail("ofd read", signed_pkg.error());
    std::string parts;
    for (const char* name : {"OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml",
                             "Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/Signature.xml",
                             "Doc_0/Signs/Sign_0/SignedValue.dat", "Doc_0/Signs/Sign_0/Seal.esl"}) {
      const Bytes* f = signed_pkg->find(name);
      if (!parts.empty()) parts += "\n--8<--\n";
      if (f != nullptr) parts += std::string(f->begin(), f->end());
    }
    put("ofd", "signed-parts", {}, as_bytes(parts));
  }

  std::printf("fuzz_seeds_signing: %d seeds in %s\n", written, out_dir.c_str());
  return 0;
}
