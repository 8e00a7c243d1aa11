// docsign_sign: signs and seals one PDF in process, the whole-process peer of `podofosign` in
// bench/docsign.sh (same file, same RSA-2048 key, a seal picture as the appearance). The key is
// local here: the two-party round trip is not part of what this measures. Prints the in-process
// time of the first signature and the median of WARM_RUNS (default 9) later ones in the same
// process (warm); WARM_RUNS 0 signs once (the whole-process comparison).
//
// usage: docsign_sign IN.pdf OUT.pdf CERT.pem KEY.pem SEAL.png [ROOT.pem [WARM_RUNS]]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "base/encoding.h"
#include "crypto/pkey.h"
#include "docsign/pdf_signer.h"
#include "pki/signer.h"

using namespace certseal;

static std::string slurp(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: docsign_sign IN.pdf OUT.pdf CERT.pem KEY.pem SEAL.png [ROOT.pem]\n";
    return 2;
  }
  auto certs = pem_decode_all(slurp(argv[3]));
  auto key = crypto::PrivateKey::from_pem(slurp(argv[4]));
  if (!certs || certs->empty() || !key) {
    std::cerr << "docsign_sign: bad certificate or key\n";
    return 2;
  }
  docsign::PdfSignRequest req;
  req.in_path = argv[1];
  req.out_path = argv[2];
  req.placement = {docsign::SealPlacement::Kind::kPosition, 1, 20, 20, 40, ""};
  req.seal_png = to_bytes(slurp(argv[5]));
  req.alg = pki::sig_alg_for(key->type());
  req.signer_cert = (*certs)[0].der;
  if (argc > 6) {
    if (auto root = pem_decode_all(slurp(argv[6])); root && !root->empty()) req.chain.push_back((*root)[0].der);
  }
  req.signing_time = std::chrono::system_clock::now();
  req.reason = "bench";
  pki::LocalSigner signer(*key);
  // The first signature pays for loading: qpdf, the picture code and OpenSSL warm up. certseald
  // signs in a long-running process, so the in-process figure is the median of the next runs.
  const int runs = argc > 7 ? std::max(0, std::atoi(argv[7])) : 9;
  std::vector<double> ms;
  for (int i = 0; i <= runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = docsign::sign_pdf(req, [&](BytesView attrs) { return signer.sign(attrs); });
    const auto t1 = std::chrono::steady_clock::now();
    if (!r) {
      std::cerr << "docsign_sign: " << r.error().code << " " << r.error().cause << "\n";
      return 1;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double first = ms.front();
  ms.erase(ms.begin());
  std::sort(ms.begin(), ms.end());
  std::cout << "in-process sign+seal: " << first << " ms (the first signature of the process)\n";
  // What certseald pays per document once OpenSSL's random generator and the key's blinding are
  // set up and the seal picture has been converted (docsign/seal_image.h keeps it).
  if (!ms.empty()) {
    std::cout << "warm-process sign+seal: " << ms[ms.size() / 2] << " ms (median of " << runs << " later signatures)\n";
  }
  return 0;
}
