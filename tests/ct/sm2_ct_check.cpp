// Constant-time check of the SM2 engine ("ctgrind"): the secrets (private key, two-party shares,
// every byte the RNG returns — hence nonces and blinding factors) are marked as undefined memory
// with Valgrind's client requests, then signing, the two-party steps and decryption run under
// memcheck. Memcheck reports any conditional jump, table index or memory address that depends on
// undefined data, i.e. on a secret. Values that become public by design (r and s, messages sent
// to the peer, a retry or refusal decision) are declassified by the engine (sm2::ct_declassify).
//
// Usage: valgrind --error-exitcode=1 sm2_ct_check            (expects no report)
//        valgrind --error-exitcode=1 sm2_ct_check --planted  (branches on a secret on purpose:
//                                                            memcheck must report it)
#include <valgrind/memcheck.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "crypto/cosign.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "crypto/sm2_engine.h"

using namespace certseal;
using namespace certseal::crypto;

namespace {

void poison(const void* p, std::size_t n) { (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n); }
void unpoison(const void* p, std::size_t n) { (void)VALGRIND_MAKE_MEM_DEFINED(p, n); }

// Every byte it returns is secret.
class SecretRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override {
    inner_.fill(out);
    poison(out.data(), out.size());
  }

 private:
  SystemRng inner_;
};

int fail(const char* what, const Error& e) {
  std::fprintf(stderr, "sm2_ct_check: %s failed: %s %s\n", what, e.code.c_str(), e.cause.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  SystemRng plain;
  SecretRng rng;
  const bool planted = argc > 1 && std::strcmp(argv[1], "--planted") == 0;

  // ---- ordinary SM2 key: sign, decrypt ----
  auto key = PrivateKey::generate(KeyType::kSm2, plain);
  if (!key.ok()) return fail("keygen", key.error());
  poison(key->sm2_scalar().data(), 32);
  if (planted) {
    // A deliberate secret-dependent branch and table index: the harness must catch them.
    static volatile int table[256];
    volatile int sink = table[key->sm2_scalar()[0]];
    if (key->sm2_scalar()[1] & 1) std::puts("odd");
    (void)sink;
  }
  Bytes e(32, 0x5a);
  for (int i = 0; i < 4; ++i) {
    auto sig = sm2_sign_digest(key->sm2_scalar(), e, rng);
    if (!sig.ok()) return fail("sign", sig.error());
    unpoison(sig->data(), sig->size());
    if (!sm2_verify_digest(key->sm2_point(), e, *sig).ok()) return 3;
  }
  auto der = sign(*key, SignScheme::kSm2Sm3, to_bytes("message"), kSm2DefaultId, rng);
  if (!der.ok()) return fail("sign (pkey)", der.error());
  auto c = sm2_encrypt_to_point(key->sm2_point(), to_bytes("a sealed bid, 32 bytes or so...."), rng);
  if (!c.ok()) return fail("encrypt", c.error());
  unpoison(c->data(), c->size());
  auto m = sm2_decrypt_with_scalar(key->sm2_scalar(), *c);
  if (!m.ok()) return fail("decrypt", m.error());
  unpoison(m->data(), m->size());
  if (to_string(Bytes(m->begin(), m->end())) != "a sealed bid, 32 bytes or so....") return 4;
  // Key generation's arithmetic: d from secret RNG bytes, P = d·G. (Wrapping d into an OpenSSL
  // key object — BN_bin2bn, EVP_PKEY_fromdata, PKCS#8 — is OpenSSL's code and not checked here.)
  sm2::Point pub_key = sm2::mul_base(sm2::Scalar::random(rng));
  Bytes pub_bytes = pub_key.bytes();
  unpoison(pub_bytes.data(), pub_bytes.size());
  if (!sm2::Point::parse(pub_bytes, "P").ok()) return 6;

  // ---- two-party keygen, sign, decrypt with secret shares and nonces ----
  auto start = cosign::device_keygen_start(rng);
  auto server = cosign::server_keygen(start.request, rng);
  if (!server.ok()) return fail("server_keygen", server.error());
  auto device = cosign::device_keygen_finish(std::move(start.state), server->response);
  if (!device.ok()) return fail("device_keygen_finish", device.error());
  poison(device->scalar().data(), 32);
  poison(server->share.scalar().data(), 32);
  Bytes msg = to_bytes("contract");
  for (int i = 0; i < 2; ++i) {
    auto s1 = cosign::device_sign_start(*device, msg, kSm2DefaultId, rng);
    if (!s1.ok()) return fail("device_sign_start", s1.error());
    auto s2 = cosign::server_sign(server->share, s1->request, rng);
    if (!s2.ok()) return fail("server_sign", s2.error());
    auto sig = cosign::device_sign_finish(*device, std::move(s1->state), *s2, msg, kSm2DefaultId);
    if (!sig.ok()) return fail("device_sign_finish", sig.error());
  }
  auto pub = PublicKey::sm2_from_point(device->public_key());
  if (!pub.ok()) return fail("public key", pub.error());
  auto c2 = sm2_encrypt_to_point(device->public_key(), to_bytes("two-party plaintext"), plain);
  if (!c2.ok()) return fail("encrypt", c2.error());
  auto d1 = cosign::device_decrypt_start(*device, *c2, Sm2CipherOrder::kC1C3C2, rng);
  if (!d1.ok()) return fail("device_decrypt_start", d1.error());
  auto d2 = cosign::server_decrypt(server->share, d1->request);
  if (!d2.ok()) return fail("server_decrypt", d2.error());
  auto plain2 = cosign::device_decrypt_finish(*device, std::move(d1->state), *d2);
  if (!plain2.ok()) return fail("device_decrypt_finish", plain2.error());
  unpoison(plain2->data(), plain2->size());
  if (to_string(Bytes(plain2->begin(), plain2->end())) != "two-party plaintext") return 5;
  auto refresh = cosign::device_refresh_start(*device, rng);
  auto srv2 = cosign::server_refresh(server->share, refresh.request);
  if (!srv2.ok()) return fail("server_refresh", srv2.error());
  std::printf("sm2_ct_check: %s done\n", sm2::engine_is_openssl() ? "OpenSSL engine"
                                         : sm2::fe_have_adx()        ? "CertSeal engine, BMI2/ADX field products"
                                                                     : "CertSeal engine, portable field products");
  return 0;
}
