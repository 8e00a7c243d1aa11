// PKI kernels: certificates issued per second through the whole CaService path (profile pipeline,
// random serial, signing with the issuing key in the software key manager, storing the certificate
// and its event and request id in SQLite), for the SM2 and the international (P-256) CA; the bare
// certificate assembly + signature (pki/ only); and one OCSP answer signed in process.
// Run by bench/pki.sh, which also measures OCSP over HTTP next to `openssl ocsp -port`.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "base/log.h"
#include "keystore/software_key_manager.h"
#include "pki/certificate.h"
#include "pki/profile.h"
#include "service/ca/ca_service.h"
#include "store/migrate.h"

namespace {

using namespace certseal;

template <class T>
T must(Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "bench setup failed: %s %s %s\n", r.error().code.c_str(), r.error().message.c_str(),
                 r.error().cause.c_str());
    std::abort();
  }
  return std::move(r).value();
}

struct Env {
  std::string dir;
  SystemClock clock;
  SystemRng rng;
  MemoryLogger log;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<keystore::SoftwareKeyManager> km;
  std::unique_ptr<service::ca::CaService> ca;
  Env() {
    char tmpl[] = "/tmp/certseal-pki-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    db = must(store::open_sqlite({dir + "/b.db"}));
    (void)must(store::migrate(*db, store::schema_migrations(), clock));
    km = must(keystore::SoftwareKeyManager::open(dir + "/keys", SecretBytes(32, 1), rng));
    service::ca::CaServiceOptions o;
    o.cas = {{"sm2", "Bench SM2 CA", "sm2"}, {"intl", "Bench International CA", "ec-p256"}};
    o.public_url = "http://127.0.0.1:8080";
    ca = must(service::ca::CaService::open(*db, *km, clock, rng, log, o));
  }
  ~Env() { std::filesystem::remove_all(dir); }
};

Env& env() {
  static Env e;
  return e;
}

void issue(benchmark::State& state, const char* ca_id, crypto::KeyType type) {
  Env& e = env();
  std::string pem = must(crypto::PrivateKey::generate(type, e.rng)).public_key().pem();
  static std::atomic<std::int64_t> n{0};
  for (auto _ : state) {
    service::ca::IssueInput in;
    in.request_id = std::string("bench-") + ca_id + "-" + std::to_string(n++);
    in.ca_id = ca_id;
    in.profile = "personal_sign";
    in.subject.common_name = "张三";
    in.subject.identity_code = "11010519491231002X";
    in.public_key = pem;
    benchmark::DoNotOptimize(must(e.ca->issue(in)));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IssueSm2(benchmark::State& state) { issue(state, "sm2", crypto::KeyType::kSm2); }
void BM_IssueP256(benchmark::State& state) { issue(state, "intl", crypto::KeyType::kEcP256); }
BENCHMARK(BM_IssueSm2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IssueP256)->Unit(benchmark::kMicrosecond);

// Certificate assembly and signature alone (in-memory key, no storage).
void assemble(benchmark::State& state, crypto::KeyType type) {
  SystemRng rng;
  auto ca_key = must(crypto::PrivateKey::generate(type, rng));
  auto leaf = must(crypto::PrivateKey::generate(type, rng));
  pki::LocalSigner signer(ca_key);
  pki::IssuanceContext in;
  in.subject.common_name = "张三";
  in.subject.identity_code = "11010519491231002X";
  in.spki = leaf.public_key().spki_der();
  in.key_type = in.ca_key_type = type;
  Bytes issuer = must(pki::name_der({{"C", "CN"}, {"CN", "Bench CA"}}));
  Bytes aki = must(pki::key_identifier(ca_key.public_key().spki_der()));
  for (auto _ : state) {
    pki::CertTemplate t;
    (void)pki::apply_profile(*pki::find_profile("personal_sign"), in, t);
    t.serial = rng.bytes(16);
    t.serial[0] = 0x41;
    t.not_before = std::chrono::system_clock::now();
    t.not_after = t.not_before + std::chrono::hours(24 * 365);
    t.issuer = issuer;
    t.authority_key_id = aki;
    t.crl_url = "http://127.0.0.1/ca/x/crl";
    t.ocsp_url = "http://127.0.0.1/ocsp/x";
    benchmark::DoNotOptimize(must(pki::issue_certificate(t, signer)));
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_AssembleSm2(benchmark::State& state) { assemble(state, crypto::KeyType::kSm2); }
void BM_AssembleP256(benchmark::State& state) { assemble(state, crypto::KeyType::kEcP256); }
BENCHMARK(BM_AssembleSm2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AssembleP256)->Unit(benchmark::kMicrosecond);

}  // namespace
