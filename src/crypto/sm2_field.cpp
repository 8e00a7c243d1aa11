#include "crypto/sm2_field.h"

#include <cstdlib>
#include <cstring>
#if CERTSEAL_SM2_ADX
#include <cpuid.h>
#endif

namespace certseal::crypto::sm2 {

#if CERTSEAL_SM2_ADX
namespace {
bool env_is_1(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

bool detect_adx() {
  if (env_is_1("CERTSEAL_SM2_PORTABLE")) return false;
  // For the constant-time check: Valgrind hides ADX from cpuid but runs ADCX/ADOX, so
  // tests/ct/run_memcheck.sh forces the assembly on a CPU that has it (SIGILL on one that has not).
  if (env_is_1("CERTSEAL_SM2_FORCE_ADX")) return true;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  constexpr unsigned kBmi2 = 1u << 8, kAdx = 1u << 19;  // CPUID.(EAX=7,ECX=0):EBX
  return (b & kBmi2) != 0 && (b & kAdx) != 0;
}
}  // namespace
// Zero-initialised (portable path) until dynamic initialisation runs; an engine call from another
// translation unit's static initialiser before that would only be slower, never wrong.
const bool g_fe_adx = detect_adx();
bool fe_have_adx() { return g_fe_adx; }
#else
bool fe_have_adx() { return false; }
#endif

namespace {

void to_mont(Fe& r, const u64 a[4]) { mont_mul(r.v, a, kPR2.v, kP.v, 1); }

void sqr_n(Fe& r, const Fe& a, int n) {
  r = a;
  for (int i = 0; i < n; ++i) fe_sqr(r, r);
}

}  // namespace

Fe fe_b() {
  static const Fe b = [] {
    static constexpr Limbs v = limbs_from_hex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
    Fe r;
    to_mont(r, v.v);
    return r;
  }();
  return b;
}

void fe_inv(Fe& r, const Fe& a) {
  // p − 2 = 1^31 0 1^128 0^32 1^62 0 1 (bits from the top).
  Fe x1 = a, x2, x3, x6, x12, x24, x30, x31, x32, x62, x64, x128, t;
  sqr_n(t, x1, 1);
  fe_mul(x2, t, x1);
  sqr_n(t, x2, 1);
  fe_mul(x3, t, x1);
  sqr_n(t, x3, 3);
  fe_mul(x6, t, x3);
  sqr_n(t, x6, 6);
  fe_mul(x12, t, x6);
  sqr_n(t, x12, 12);
  fe_mul(x24, t, x12);
  sqr_n(t, x24, 6);
  fe_mul(x30, t, x6);
  sqr_n(t, x30, 1);
  fe_mul(x31, t, x1);
  sqr_n(t, x31, 1);
  fe_mul(x32, t, x1);
  sqr_n(t, x31, 31);
  fe_mul(x62, t, x31);
  sqr_n(t, x32, 32);
  fe_mul(x64, t, x32);
  sqr_n(t, x64, 64);
  fe_mul(x128, t, x64);
  sqr_n(t, x31, 1);      // 1^31 0
  sqr_n(t, t, 128);
  fe_mul(t, t, x128);    // 1^31 0 1^128
  sqr_n(t, t, 32);       // 0^32
  sqr_n(t, t, 62);
  fe_mul(t, t, x62);     // 1^62
  sqr_n(t, t, 2);
  fe_mul(r, t, x1);      // 0 1
}

u64 fe_from_bytes(Fe& r, const std::uint8_t* b32) {
  u64 a[4];
  limbs_from_be(a, b32);
  u64 ok = mask_less(a, kP.v);
  to_mont(r, a);
  return ok;
}

void fe_to_bytes(std::uint8_t* b32, const Fe& a) {
  static constexpr u64 one[4] = {1, 0, 0, 0};
  u64 t[4];
  mont_mul(t, a.v, one, kP.v, 1);
  limbs_to_be(b32, t);
}

}  // namespace certseal::crypto::sm2
