// fuzz_seeds OUT_DIR SM2_KEY_PEM SM2_CERT_DER [API_BODIES_JSON] — writes the seed inputs our own code makes into
// OUT_DIR/<target>/ (fuzz/make_corpus.sh runs it after making the key and certificate with the
// openssl CLI, and adds the seeds independent tools make). API_BODIES_JSON (fuzz/api_bodies.py
// writes it from docs/openapi.yaml) maps "METHOD /pattern" to a request body for that route. Each seed carries the selector bytes
// its target reads first (see each *_fuzz.cpp).
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "base/rng.h"
#include "crypto/checkpoint.h"
#include "crypto/cosign.h"
#include "crypto/ed25519.h"
#include "crypto/pkey.h"
#include "crypto/signed_note.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"
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
void put(const std::string& target, const std::string& name, BytesView prefix, std::string_view body) {
  put(target, name, prefix, as_bytes(body));
}

Bytes read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return to_bytes(ss.str());
}

int fail(const char* what, const Error& e) {
  std::fprintf(stderr, "fuzz_seeds: %s: %s\n", what, e.message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR SM2_KEY_PEM SM2_CERT_DER [API_BODIES_JSON]\n");
    return 2;
  }
  out_dir = argv[1];
  const Bytes key_pem = read_all(argv[2]);
  const Bytes cert = read_all(argv[3]);
  auto key = crypto::PrivateKey::from_pem(as_chars(key_pem));
  if (!key) return fail("key", key.error());
  SeededRng rng(1);
  const SysTime when{std::chrono::seconds(1'780'000'000)};

  // CMS SignedData (both forms, enclosed and detached) and EnvelopedData, made by pki/cms_*.
  const Bytes content = to_bytes("bid document 2026-118");
  for (auto form : {pki::cms::Form::kRfc5652, pki::cms::Form::kGmt0010}) {
    const std::string fname(pki::cms::form_name(form));
    for (bool detached : {false, true}) {
      const Bytes attrs = pki::cms::signed_attributes(form, crypto::HashAlg::kSm3, content, when);
      auto sig = crypto::sign(*key, crypto::SignScheme::kSm2Sm3, attrs);
      if (!sig) return fail("sign", sig.error());
      auto der = pki::cms::signed_data({form, pki::SigAlg::kSm2Sm3, cert, content, detached, when, *sig, std::nullopt});
      if (!der) return fail("signed_data", der.error());
      Bytes prefix = {static_cast<std::uint8_t>(detached ? 2 : 0), static_cast<std::uint8_t>(content.size())};
      prefix.insert(prefix.end(), content.begin(), content.end());
      put("cms", "signed-" + fname + (detached ? "-detached" : ""), prefix, *der);
    }
    auto env = pki::cms::enveloped_data(form, cert, content, rng);
    if (!env) return fail("enveloped_data", env.error());
    Bytes prefix = {1, 16};
    prefix.resize(prefix.size() + 16, 0x5a);
    put("cms", "enveloped-" + fname, prefix, *env);
  }

  // GB/T 38540 seal data, v4, signed by the maker key.
  seal::SealInfo info;
  info.vendor_id = "CERTSEAL";
  info.seal_id = "11010800000001";
  info.name = "某某科技有限公司合同专用章";
  info.certificates = {cert};
  info.created = info.valid_from = when;
  info.valid_to = when + std::chrono::hours(24 * 365);
  info.picture = to_bytes("\x89PNG\r\n\x1a\n");
  info.picture_width_mm = info.picture_height_mm = 40;
  auto seseal = seal::build_seseal_v4(info, cert, [&](BytesView tbs) {
    return crypto::sign(*key, crypto::SignScheme::kSm2Sm3, tbs);
  });
  if (!seseal) return fail("seseal", seseal.error());
  put("seseal", "v4", {}, *seseal);

  // Two-party messages from one real run of each step (prefix: the case in cosign_fuzz.cpp).
  namespace cs = crypto::cosign;
  auto ks = cs::device_keygen_start(rng);
  put("cosign", "keygen-request", Bytes{0}, ks.request.encode());
  auto sk = cs::server_keygen(ks.request, rng);
  if (!sk) return fail("keygen", sk.error());
  put("cosign", "keygen-response", Bytes{1}, sk->response.encode());
  auto dev = cs::device_keygen_finish(std::move(ks.state), sk->response);
  if (!dev) return fail("keygen finish", dev.error());
  auto ss = cs::device_sign_start(*dev, content, crypto::kSm2DefaultId, rng);
  if (!ss) return fail("sign start", ss.error());
  put("cosign", "sign-request", Bytes{2}, ss->request.encode());
  auto sr = cs::server_sign(sk->share, ss->request, rng);
  if (!sr) return fail("server sign", sr.error());
  put("cosign", "sign-response", Bytes{3}, sr->encode());
  auto refresh = cs::device_refresh_start(*dev, rng);
  put("cosign", "refresh", Bytes{6}, refresh.request.encode());
  put("cosign", "shares", Bytes{8}, dev->export_bytes());

  // The log's texts: a checkpoint signed as a note, its verifier key, tile paths.
  const Bytes seed(32, 7);
  auto pub = crypto::ed25519_public_key(seed);
  if (!pub) return fail("ed25519", pub.error());
  crypto::Checkpoint cp{"log.example/ledger", 12345, {}};
  cp.root.fill(0x42);
  const std::string text = crypto::checkpoint_text(cp);
  auto sig = crypto::ed25519_sign(seed, as_bytes(text));
  if (!sig) return fail("ed25519 sign", sig.error());
  const std::string note =
      text + "\n" + crypto::note_signature_line("log.example/ledger", crypto::note_ed25519_key_id("log.example/ledger", *pub), *sig);
  put("log", "note", Bytes{0}, note);
  put("log", "checkpoint", Bytes{1}, text);
  put("log", "vkey", Bytes{2}, crypto::note_ed25519_verifier_key("log.example/ledger", *pub));
  put("log", "tile", Bytes{3}, std::string_view("tile/0/x001/234"));
  put("log", "tile-partial", Bytes{3}, std::string_view("tile/1/005.p/17"));
  put("log", "bundle", Bytes{3}, std::string_view("tile/entries/x001/234.p/8"));

  // One seed per API route: the route's index, a 4-character word for each path parameter, then
  // for GET a list query and no body, for the others no query and the body docs/openapi.yaml's
  // request schema describes (api_bodies.py), or a small generic object where it names none.
  // Seeds are named after the route, not its index, so a new route does not rename them.
  nlohmann::json bodies = nlohmann::json::object();
  if (argc == 5) {
    const Bytes text = read_all(argv[4]);
    bodies = nlohmann::json::parse(as_chars(text), nullptr, false);
    if (!bodies.is_object()) {
      std::fprintf(stderr, "fuzz_seeds: %s is no JSON object\n", argv[4]);
      return 1;
    }
  }
  const auto routes = api::route_table();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto& r = routes[i];
    const bool get = r.method == "GET";
    if (!get && r.method != "POST" && r.method != "PUT" && r.method != "PATCH") continue;
    Bytes prefix = {static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i & 0xff)};
    for (char c : r.pattern) {
      if (c == '{') prefix.push_back(4);  // a 4-character path word
      if (c == '{') prefix.insert(prefix.end(), {'a', 'b', 'c', 'd'});
    }
    std::string name = "route-" + std::string(r.method);
    for (char c : r.pattern) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
    if (get) {
      const std::string_view query = "limit=2&after=x";
      prefix.push_back(static_cast<std::uint8_t>(query.size()));
      prefix.insert(prefix.end(), query.begin(), query.end());
      put("api", name, prefix, std::string_view());
      continue;
    }
    prefix.push_back(0);  // no query
    const std::string key = std::string(r.method) + " " + std::string(r.pattern);
    const std::string body = bodies.contains(key)
        ? bodies[key].dump()
        : std::string(R"({"phone":"13800000000","code":"123456","name":"张三","quantity":1,"id":"x"})");
    put("api", name, prefix, std::string_view(body));
  }
  std::printf("fuzz_seeds: %d seeds in %s\n", written, out_dir.c_str());
  return 0;
}
