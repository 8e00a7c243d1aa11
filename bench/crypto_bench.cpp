// Crypto kernels: SM2 through pkey.h/sm2.h (our SM2 engine, or OpenSSL's EC code in a build with
// CERTSEAL_SM2_OPENSSL=ON), the engine's own multiplications, two-party SM2 (our cosign, device
// and server halves timed separately), ECDSA P-256 (OpenSSL). Run by bench/crypto.sh next to
// `openssl speed sm2 ecdsap256` and `botan speed`. items_per_second is operations per second.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>

#include "crypto/cosign.h"
#include "crypto/ecdsa_split.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "crypto/sm2_engine.h"

namespace {

using namespace certseal;
using namespace certseal::crypto;

template <class T>
T must(Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "bench setup failed: %s %s\n", r.error().code.c_str(), r.error().cause.c_str());
    std::abort();
  }
  return std::move(r).value();
}

const Bytes kMsg(32, 0x5a);

void BM_Sm2Sign(benchmark::State& state) {
  SystemRng rng;
  PrivateKey key = must(PrivateKey::generate(KeyType::kSm2, rng));
  for (auto _ : state) benchmark::DoNotOptimize(sign(key, SignScheme::kSm2Sm3, kMsg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2Sign);

void BM_Sm2Verify(benchmark::State& state) {
  SystemRng rng;
  PrivateKey key = must(PrivateKey::generate(KeyType::kSm2, rng));
  PublicKey pub = key.public_key();
  Bytes sig = must(sign(key, SignScheme::kSm2Sm3, kMsg));
  for (auto _ : state) {
    if (!verify(pub, SignScheme::kSm2Sm3, kMsg, sig).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2Verify);

void BM_Sm2Encrypt(benchmark::State& state) {
  SystemRng rng;
  PrivateKey key = must(PrivateKey::generate(KeyType::kSm2, rng));
  PublicKey pub = key.public_key();
  for (auto _ : state) benchmark::DoNotOptimize(sm2_encrypt(pub, kMsg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2Encrypt);

void BM_Sm2Decrypt(benchmark::State& state) {
  SystemRng rng;
  PrivateKey key = must(PrivateKey::generate(KeyType::kSm2, rng));
  Bytes c = must(sm2_encrypt(key.public_key(), kMsg));
  for (auto _ : state) benchmark::DoNotOptimize(sm2_decrypt(key, c));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2Decrypt);

// Raw primitives of the engine: k·G (comb), k·P (fixed windows), s·G + t·P (verification).
void BM_Sm2EngineMulBase(benchmark::State& state) {
  SystemRng rng;
  sm2::Scalar k = sm2::Scalar::random(rng);
  for (auto _ : state) benchmark::DoNotOptimize(sm2::mul_base(k));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2EngineMulBase);

void BM_Sm2EngineMulPoint(benchmark::State& state) {
  SystemRng rng;
  sm2::Scalar k = sm2::Scalar::random(rng);
  sm2::Point p = sm2::mul_base(sm2::Scalar::random(rng));
  for (auto _ : state) benchmark::DoNotOptimize(sm2::mul(p, k));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2EngineMulPoint);

void BM_Sm2EngineMulAddPublic(benchmark::State& state) {
  SystemRng rng;
  sm2::Scalar s = sm2::Scalar::random(rng);
  sm2::Scalar t = sm2::Scalar::random(rng);
  sm2::Point p = sm2::mul_base(sm2::Scalar::random(rng));
  for (auto _ : state) benchmark::DoNotOptimize(sm2::mul_add_public(s, p, t));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2EngineMulAddPublic);

void BM_Sm2FieldMul(benchmark::State& state) {
  sm2::Fe a = sm2::fe_one(), b = sm2::fe_b();
  for (auto _ : state) {
    sm2::fe_mul(a, a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sm2FieldMul);

struct CosignPair {
  cosign::DeviceShare device;
  cosign::ServerShare server;
};

CosignPair make_pair(Rng& rng) {
  cosign::DeviceKeygenStart start = cosign::device_keygen_start(rng);
  cosign::ServerKeygenResult server = must(cosign::server_keygen(start.request, rng));
  cosign::DeviceShare device = must(cosign::device_keygen_finish(std::move(start.state), server.response));
  return CosignPair{std::move(device), std::move(server.share)};
}

// Device half of a two-party signature: start (e, k1·G) + finish (s, and the SM2 verification of
// the result). The server's part runs in between but is not timed.
void BM_CosignSignDevice(benchmark::State& state) {
  SystemRng rng;
  CosignPair p = make_pair(rng);
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    auto t0 = Clock::now();
    cosign::DeviceSignStart start = must(cosign::device_sign_start(p.device, kMsg, kSm2DefaultId, rng));
    auto t1 = Clock::now();
    cosign::SignResponse resp = must(cosign::server_sign(p.server, start.request, rng));
    auto t2 = Clock::now();
    Bytes sig = must(cosign::device_sign_finish(p.device, std::move(start.state), resp, kMsg, kSm2DefaultId));
    auto t3 = Clock::now();
    benchmark::DoNotOptimize(sig);
    state.SetIterationTime(std::chrono::duration<double>((t1 - t0) + (t3 - t2)).count());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CosignSignDevice)->UseManualTime();

void BM_CosignSignServer(benchmark::State& state) {
  SystemRng rng;
  CosignPair p = make_pair(rng);
  cosign::DeviceSignStart start = must(cosign::device_sign_start(p.device, kMsg, kSm2DefaultId, rng));
  for (auto _ : state) benchmark::DoNotOptimize(cosign::server_sign(p.server, start.request, rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CosignSignServer);

// Whole two-party decryption (device start + server + device finish), in one process.
void BM_CosignDecrypt(benchmark::State& state) {
  SystemRng rng;
  CosignPair p = make_pair(rng);
  PublicKey pub = must(PublicKey::sm2_from_point(p.device.public_key()));
  Bytes c = must(sm2_encrypt(pub, kMsg));
  for (auto _ : state) {
    cosign::DeviceDecryptStart start = must(cosign::device_decrypt_start(p.device, c, Sm2CipherOrder::kC1C3C2, rng));
    cosign::DecryptResponse resp = must(cosign::server_decrypt(p.server, start.request));
    benchmark::DoNotOptimize(must(cosign::device_decrypt_finish(p.device, std::move(start.state), resp)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CosignDecrypt);

void BM_CosignDecryptServer(benchmark::State& state) {
  SystemRng rng;
  CosignPair p = make_pair(rng);
  PublicKey pub = must(PublicKey::sm2_from_point(p.device.public_key()));
  Bytes c = must(sm2_encrypt(pub, kMsg));
  cosign::DeviceDecryptStart start = must(cosign::device_decrypt_start(p.device, c, Sm2CipherOrder::kC1C3C2, rng));
  for (auto _ : state) benchmark::DoNotOptimize(cosign::server_decrypt(p.server, start.request));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CosignDecryptServer);

void BM_EcdsaP256Sign(benchmark::State& state) {
  SystemRng rng;
  PrivateKey key = must(PrivateKey::generate(KeyType::kEcP256, rng));
  for (auto _ : state) benchmark::DoNotOptimize(sign(key, SignScheme::kEcdsaSha256, kMsg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaP256Sign);

void BM_EcdsaP256Verify(benchmark::State& state) {
  SystemRng rng;
  PrivateKey key = must(PrivateKey::generate(KeyType::kEcP256, rng));
  PublicKey pub = key.public_key();
  Bytes sig = must(sign(key, SignScheme::kEcdsaSha256, kMsg));
  for (auto _ : state) {
    if (!verify(pub, SignScheme::kEcdsaSha256, kMsg, sig).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaP256Verify);

// ---- two-party ECDSA P-256 (crypto/ecdsa_split.h) ----
struct EcdsaSplitPair {
  ecdsa_split::DeviceShare device;
  ecdsa_split::ServerShare server;
};
const EcdsaSplitPair& ecdsa_split_pair() {
  static const EcdsaSplitPair p = [] {
    SystemRng rng;
    auto start = must(ecdsa_split::device_keygen_start("bench-device", rng));
    auto acc = must(ecdsa_split::server_accept(start.request, "bench-device", rng));
    auto dev = must(ecdsa_split::device_keygen_finish(start.state, acc.public_point));
    return EcdsaSplitPair{std::move(dev), std::move(acc.share)};
  }();
  return p;
}

// Device half of a two-party ECDSA signature: start (k1, R1) + finish (the Paillier key from its
// seed, Dec(c3), s, the OpenSSL verification). The server's part runs in between, untimed.
void BM_EcdsaSplitSignDevice(benchmark::State& state) {
  SystemRng rng;
  const EcdsaSplitPair& p = ecdsa_split_pair();
  const Bytes digest = sha256(kMsg);
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    auto t0 = Clock::now();
    auto start = must(ecdsa_split::device_sign_start(p.device, digest, rng));
    auto t1 = Clock::now();
    auto resp = must(ecdsa_split::server_sign(p.server, start.request, rng));
    auto t2 = Clock::now();
    Bytes sig = must(ecdsa_split::device_sign_finish(p.device, start.state, resp));
    auto t3 = Clock::now();
    benchmark::DoNotOptimize(sig);
    state.SetIterationTime(std::chrono::duration<double>((t1 - t0) + (t3 - t2)).count());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaSplitSignDevice)->UseManualTime()->Unit(benchmark::kMillisecond);

// Server half: k2, R, ρ, c3 = Enc(ρq + k2⁻¹e)·ckey^(k2⁻¹rx2).
void BM_EcdsaSplitSignServer(benchmark::State& state) {
  SystemRng rng;
  const EcdsaSplitPair& p = ecdsa_split_pair();
  auto start = must(ecdsa_split::device_sign_start(p.device, sha256(kMsg), rng));
  for (auto _ : state) benchmark::DoNotOptimize(ecdsa_split::server_sign(p.server, start.request, rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaSplitSignServer)->Unit(benchmark::kMillisecond);

// Key generation: the device's half (Paillier key, both proofs) and the server's checks.
void BM_EcdsaSplitKeygenDevice(benchmark::State& state) {
  SystemRng rng;
  for (auto _ : state) benchmark::DoNotOptimize(ecdsa_split::device_keygen_start("bench-device", rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaSplitKeygenDevice)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_EcdsaSplitKeygenServer(benchmark::State& state) {
  SystemRng rng;
  auto start = must(ecdsa_split::device_keygen_start("bench-device", rng));
  for (auto _ : state) benchmark::DoNotOptimize(ecdsa_split::server_accept(start.request, "bench-device", rng));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdsaSplitKeygenServer)->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
