// Arithmetic in GF(p) for the SM2 prime p = 2^256 − 2^224 − 2^96 + 2^64 − 1 (GB/T 32918.5),
// elements in Montgomery form (x·2^256 mod p) on four 64-bit limbs, always fully reduced.
// Because p ≡ −1 (mod 2^64), the Montgomery factor −p^-1 mod 2^64 is 1: each reduction step
// multiplies by the low limb itself.
//
// Two implementations of the products: portable C++ (fe_*_portable) and, on x86-64 CPUs with
// BMI2 + ADX, inline assembly (fe_*_adx); fe_mul/fe_sqr pick one by a flag set once at start-up
// (fe_have_adx). fe_add/fe_sub are adc/sbb/cmov assembly on x86-64.
//
// Constant time: every function in this header, including fe_inv (a^(p−2) by a fixed addition
// chain) and fe_from_bytes (which reports a value ≥ p through its mask, without branching); the
// only branch in fe_mul/fe_sqr is on the CPU flag, which is public.
// Thread-safety: pure functions.
#pragma once

#include "crypto/sm2_limbs.h"

// The BMI2/ADX inline-assembly multiplication (x86-64 with GCC or clang; off with
// -DCERTSEAL_SM2_NO_ASM, and at run time on CPUs without BMI2/ADX or with CERTSEAL_SM2_PORTABLE=1).
// Sanitizer builds use the portable C: the squaring needs 13 general registers, which ASan's
// instrumentation and frame pointer do not leave, and the sanitizers cannot look inside assembly
// anyway (the assembly is checked against the C and BIGNUM in normal builds and under Valgrind).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CERTSEAL_SM2_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define CERTSEAL_SM2_SANITIZED 1
#endif
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(CERTSEAL_SM2_NO_ASM) && !defined(CERTSEAL_SM2_SANITIZED)
#define CERTSEAL_SM2_ADX 1
#else
#define CERTSEAL_SM2_ADX 0
#endif

namespace certseal::crypto::sm2 {

struct Fe {
  u64 v[4];
};

inline constexpr Limbs kP = limbs_from_hex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF");
inline constexpr u64 kPN0 = mont_n0(kP.v[0]);
static_assert(kPN0 == 1, "p = -1 mod 2^64");
inline constexpr Limbs kPR2 = mont_r2(kP.v);

CERTSEAL_SM2_INLINE void fe_add_portable(Fe& r, const Fe& a, const Fe& b) { mod_add(r.v, a.v, b.v, kP.v); }
CERTSEAL_SM2_INLINE void fe_sub_portable(Fe& r, const Fe& a, const Fe& b) { mod_sub(r.v, a.v, b.v, kP.v); }
// Montgomery product mod p, CIOS with the reduction step specialised to p's form: with
// q = t0, (t + q·p) / 2^64 = (t >> 64) + q·(2^192 − 2^160 − 2^32 + 1), shifts and subtractions
// instead of four multiplications. Portable C (any 64-bit target); fe_mul picks fe_mul_adx when
// the CPU has BMI2 and ADX.
CERTSEAL_SM2_INLINE void fe_mul_portable(Fe& r, const Fe& fa, const Fe& fb) {
  const u64* a = fa.v;
  const u64* b = fb.v;
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    u64 bi = b[i];
    u64 h0 = 0, h1 = 0, h2 = 0, h3 = 0;
    u64 l0 = mul_wide(a[0], bi, h0);
    u64 l1 = mul_wide(a[1], bi, h1);
    u64 l2 = mul_wide(a[2], bi, h2);
    u64 l3 = mul_wide(a[3], bi, h3);
    unsigned char c = adc(0, t0, l0, t0);
    c = adc(c, t1, l1, t1);
    c = adc(c, t2, l2, t2);
    c = adc(c, t3, l3, t3);
    c = adc(c, t4, 0, t4);
    t5 = c;
    c = adc(0, t1, h0, t1);
    c = adc(c, t2, h1, t2);
    c = adc(c, t3, h2, t3);
    c = adc(c, t4, h3, t4);
    t5 += c;
    const u64 q = t0;
    u64 v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    unsigned char bw = sbb(0, q, q << 32, v0);
    bw = sbb(bw, 0, q >> 32, v1);
    bw = sbb(bw, 0, q << 32, v2);
    (void)sbb(bw, q, q >> 32, v3);  // no borrow: V ≥ 0
    c = adc(0, t1, v0, t0);
    c = adc(c, t2, v1, t1);
    c = adc(c, t3, v2, t2);
    c = adc(c, t4, v3, t3);
    t4 = t5 + c;
  }
  const u64 t[4] = {t0, t1, t2, t3};
  reduce_once(r.v, t, t4, kP.v);
}
// Montgomery square mod p: the 512-bit square from 6 cross products (doubled) and 4 squares, then
// four reduction rounds of the same p-specific form as fe_mul. Portable C, as fe_mul_portable.
CERTSEAL_SM2_INLINE void fe_sqr_portable(Fe& r, const Fe& fa) {
  const u64* a = fa.v;
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
  u64 h01 = 0, h02 = 0, h03 = 0, h12 = 0, h13 = 0, h23 = 0;
  u64 l01 = mul_wide(a[0], a[1], h01);
  u64 l02 = mul_wide(a[0], a[2], h02);
  u64 l03 = mul_wide(a[0], a[3], h03);
  u64 l12 = mul_wide(a[1], a[2], h12);
  u64 l13 = mul_wide(a[1], a[3], h13);
  u64 l23 = mul_wide(a[2], a[3], h23);
  t1 = l01;
  unsigned char c = adc(0, h01, l02, t2);
  c = adc(c, h02, l03, t3);
  t4 = h03 + c;  // h03 ≤ 2^64 − 2
  c = adc(0, t3, l12, t3);
  c = adc(c, t4, l13, t4);
  t5 = c;
  c = adc(0, t4, h12, t4);
  c = adc(c, t5, h13, t5);
  t6 = c;
  c = adc(0, t5, l23, t5);
  c = adc(c, t6, h23, t6);
  t7 = c;
  t7 = (t7 << 1) | (t6 >> 63);
  t6 = (t6 << 1) | (t5 >> 63);
  t5 = (t5 << 1) | (t4 >> 63);
  t4 = (t4 << 1) | (t3 >> 63);
  t3 = (t3 << 1) | (t2 >> 63);
  t2 = (t2 << 1) | (t1 >> 63);
  t1 = t1 << 1;
  u64 h00 = 0, h11 = 0, h22 = 0, h33 = 0;
  t0 = mul_wide(a[0], a[0], h00);
  u64 l11 = mul_wide(a[1], a[1], h11);
  u64 l22 = mul_wide(a[2], a[2], h22);
  u64 l33 = mul_wide(a[3], a[3], h33);
  c = adc(0, t1, h00, t1);
  c = adc(c, t2, l11, t2);
  c = adc(c, t3, h11, t3);
  c = adc(c, t4, l22, t4);
  c = adc(c, t5, h22, t5);
  c = adc(c, t6, l33, t6);
  (void)adc(c, t7, h33, t7);
  u64 t[8] = {t0, t1, t2, t3, t4, t5, t6, t7};
  u64 top = 0;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const u64 q = t[i];
    u64 v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    unsigned char bw = sbb(0, q, q << 32, v0);
    bw = sbb(bw, 0, q >> 32, v1);
    bw = sbb(bw, 0, q << 32, v2);
    (void)sbb(bw, q, q >> 32, v3);
    c = adc(0, t[i + 1], v0, t[i + 1]);
    c = adc(c, t[i + 2], v1, t[i + 2]);
    c = adc(c, t[i + 3], v2, t[i + 3]);
    c = adc(c, t[i + 4], v3, t[i + 4]);
#pragma GCC unroll 4
    for (int j = i + 5; j < 8; ++j) c = adc(c, t[j], 0, t[j]);
    top += c;
  }
  reduce_once(r.v, t + 4, top, kP.v);
}
#if CERTSEAL_SM2_ADX
// The same products with MULX/ADCX/ADOX (BMI2 + ADX) in inline assembly: two independent carry
// chains for the partial products and p's shift-and-subtract reduction (no multiplication), about
// 1.45× the throughput of the C above with GCC 12. Only called when fe_have_adx() (cpuid); the
// unit tests (Sm2Field.*) compare them with the portable versions on random and edge inputs.
// No branch and no data-dependent address: constant time as the C versions.
#define CERTSEAL_SM2_MUL_ROUND(OFF, T0, T1, T2, T3, T4, T5) \
  "movq " OFF "(%[b]), %%rdx\n\t"                           \
  "xorl %k[z], %k[z]\n\t"                                   \
  "mulxq 0(%[a]), %[lo], %[hi]\n\t"                         \
  "adcxq %[lo], " T0 "\n\t"                                 \
  "adoxq %[hi], " T1 "\n\t"                                 \
  "mulxq 8(%[a]), %[lo], %[hi]\n\t"                         \
  "adcxq %[lo], " T1 "\n\t"                                 \
  "adoxq %[hi], " T2 "\n\t"                                 \
  "mulxq 16(%[a]), %[lo], %[hi]\n\t"                        \
  "adcxq %[lo], " T2 "\n\t"                                 \
  "adoxq %[hi], " T3 "\n\t"                                 \
  "mulxq 24(%[a]), %[lo], %[hi]\n\t"                        \
  "adcxq %[lo], " T3 "\n\t"                                 \
  "adoxq %[hi], " T4 "\n\t"                                 \
  "adcxq %[z], " T4 "\n\t"                                  \
  "adoxq %[z], " T5 "\n\t"                                  \
  "adcxq %[z], " T5 "\n\t"
// T1..T5 += T0·(p + 1)/2^64 = T0·(2^192 − 2^160 − 2^32 + 1), i.e. (T + T0·p)/2^64; T0 := 0.
// %[z] must hold 0.
#define CERTSEAL_SM2_RED_ROUND(T0, T1, T2, T3, T4, T5) \
  "movq " T0 ", %[lo]\n\t"                              \
  "shlq $32, %[lo]\n\t"                                 \
  "movq " T0 ", %[hi]\n\t"                              \
  "shrq $32, %[hi]\n\t"                                 \
  "addq " T0 ", " T1 "\n\t"                             \
  "adcq %[z], " T2 "\n\t"                               \
  "adcq %[z], " T3 "\n\t"                               \
  "adcq " T0 ", " T4 "\n\t"                             \
  "adcq %[z], " T5 "\n\t"                               \
  "subq %[lo], " T1 "\n\t"                              \
  "sbbq %[hi], " T2 "\n\t"                              \
  "sbbq %[lo], " T3 "\n\t"                              \
  "sbbq %[hi], " T4 "\n\t"                              \
  "sbbq %[z], " T5 "\n\t"                               \
  "xorq " T0 ", " T0 "\n\t"

// (R0..R3, TOP) < 2p, TOP in {0, 1}: R := R − p when that does not go below zero (cmov, no branch).
// S0..S3 are scratch; %[p1], %[p3] are p's limbs 1 and 3 (limbs 0 and 2 are all ones: imm −1).
#define CERTSEAL_SM2_FINAL(R0, R1, R2, R3, TOP, S0, S1, S2, S3) \
  "movq " R0 ", " S0 "\n\t"                                    \
  "movq " R1 ", " S1 "\n\t"                                    \
  "movq " R2 ", " S2 "\n\t"                                    \
  "movq " R3 ", " S3 "\n\t"                                    \
  "subq $-1, " S0 "\n\t"                                       \
  "sbbq %[p1], " S1 "\n\t"                                     \
  "sbbq $-1, " S2 "\n\t"                                       \
  "sbbq %[p3], " S3 "\n\t"                                     \
  "sbbq $0, " TOP "\n\t"                                       \
  "cmovncq " S0 ", " R0 "\n\t"                                 \
  "cmovncq " S1 ", " R1 "\n\t"                                 \
  "cmovncq " S2 ", " R2 "\n\t"                                 \
  "cmovncq " S3 ", " R3 "\n\t"

CERTSEAL_SM2_INLINE void fe_mul_adx(Fe& r, const Fe& fa, const Fe& fb) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, lo, hi, z;
  __asm__(CERTSEAL_SM2_MUL_ROUND("0", "%[t0]", "%[t1]", "%[t2]", "%[t3]", "%[t4]", "%[t5]")
          CERTSEAL_SM2_RED_ROUND("%[t0]", "%[t1]", "%[t2]", "%[t3]", "%[t4]", "%[t5]")
          CERTSEAL_SM2_MUL_ROUND("8", "%[t1]", "%[t2]", "%[t3]", "%[t4]", "%[t5]", "%[t0]")
          CERTSEAL_SM2_RED_ROUND("%[t1]", "%[t2]", "%[t3]", "%[t4]", "%[t5]", "%[t0]")
          CERTSEAL_SM2_MUL_ROUND("16", "%[t2]", "%[t3]", "%[t4]", "%[t5]", "%[t0]", "%[t1]")
          CERTSEAL_SM2_RED_ROUND("%[t2]", "%[t3]", "%[t4]", "%[t5]", "%[t0]", "%[t1]")
          CERTSEAL_SM2_MUL_ROUND("24", "%[t3]", "%[t4]", "%[t5]", "%[t0]", "%[t1]", "%[t2]")
          CERTSEAL_SM2_RED_ROUND("%[t3]", "%[t4]", "%[t5]", "%[t0]", "%[t1]", "%[t2]")
          CERTSEAL_SM2_FINAL("%[t4]", "%[t5]", "%[t0]", "%[t1]", "%[t2]", "%[t3]", "%[lo]", "%[hi]", "%[z]")
          : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [t5] "+&r"(t5),
            [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z)
          : [a] "r"(fa.v), [b] "r"(fb.v), "m"(fa), "m"(fb), [p1] "m"(kP.v[1]), [p3] "m"(kP.v[3])
          : "rdx", "cc");
  r.v[0] = t4;
  r.v[1] = t5;
  r.v[2] = t0;
  r.v[3] = t1;
}

CERTSEAL_SM2_INLINE void fe_sqr_adx(Fe& r, const Fe& fa) {
  // Cross products a_i·a_j (i < j) on two chains, doubled while the squares a_i² are added, then
  // four reduction rounds on the low half (into rdx and the register that held the pointer),
  // plus the high half.
  u64 t0, t1, t2, t3, t4, t5, t6, t7 = 0, lo, hi, z, d;
  u64 a = reinterpret_cast<std::uintptr_t>(fa.v);
  __asm__("xorl %k[z], %k[z]\n\t"
          "movq 0(%[a]), %%rdx\n\t"
          "mulxq 8(%[a]), %[t1], %[t2]\n\t"
          "mulxq 16(%[a]), %[lo], %[t3]\n\t"
          "adcxq %[lo], %[t2]\n\t"
          "mulxq 24(%[a]), %[lo], %[t4]\n\t"
          "adcxq %[lo], %[t3]\n\t"
          "movq 8(%[a]), %%rdx\n\t"
          "mulxq 24(%[a]), %[lo], %[t5]\n\t"
          "adcxq %[lo], %[t4]\n\t"
          "adcxq %[z], %[t5]\n\t"
          "mulxq 16(%[a]), %[lo], %[hi]\n\t"
          "adoxq %[lo], %[t3]\n\t"
          "adoxq %[hi], %[t4]\n\t"
          "movq 16(%[a]), %%rdx\n\t"
          "mulxq 24(%[a]), %[lo], %[t6]\n\t"
          "adoxq %[lo], %[t5]\n\t"
          "adoxq %[z], %[t6]\n\t"
          "xorl %k[z], %k[z]\n\t"
          "movq 0(%[a]), %%rdx\n\t"
          "mulxq %%rdx, %[t0], %[hi]\n\t"
          "adcxq %[t1], %[t1]\n\t"
          "adoxq %[hi], %[t1]\n\t"
          "movq 8(%[a]), %%rdx\n\t"
          "mulxq %%rdx, %[lo], %[hi]\n\t"
          "adcxq %[t2], %[t2]\n\t"
          "adoxq %[lo], %[t2]\n\t"
          "adcxq %[t3], %[t3]\n\t"
          "adoxq %[hi], %[t3]\n\t"
          "movq 16(%[a]), %%rdx\n\t"
          "mulxq %%rdx, %[lo], %[hi]\n\t"
          "adcxq %[t4], %[t4]\n\t"
          "adoxq %[lo], %[t4]\n\t"
          "adcxq %[t5], %[t5]\n\t"
          "adoxq %[hi], %[t5]\n\t"
          "movq 24(%[a]), %%rdx\n\t"
          "mulxq %%rdx, %[lo], %[hi]\n\t"
          "adcxq %[t6], %[t6]\n\t"
          "adoxq %[lo], %[t6]\n\t"
          "adcxq %[t7], %[t7]\n\t"
          "adoxq %[hi], %[t7]\n\t"
          "xorl %%edx, %%edx\n\t"
          "xorq %[a], %[a]\n\t"
          CERTSEAL_SM2_RED_ROUND("%[t0]", "%[t1]", "%[t2]", "%[t3]", "%%rdx", "%[a]")
          CERTSEAL_SM2_RED_ROUND("%[t1]", "%[t2]", "%[t3]", "%%rdx", "%[a]", "%[t0]")
          CERTSEAL_SM2_RED_ROUND("%[t2]", "%[t3]", "%%rdx", "%[a]", "%[t0]", "%[t1]")
          CERTSEAL_SM2_RED_ROUND("%[t3]", "%%rdx", "%[a]", "%[t0]", "%[t1]", "%[t2]")
          "addq %[t4], %%rdx\n\t"
          "adcq %[t5], %[a]\n\t"
          "adcq %[t6], %[t0]\n\t"
          "adcq %[t7], %[t1]\n\t"
          "adcq %[z], %[t2]\n\t"
          CERTSEAL_SM2_FINAL("%%rdx", "%[a]", "%[t0]", "%[t1]", "%[t2]", "%[t3]", "%[lo]", "%[hi]", "%[t4]")
          : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
            [t6] "=&r"(t6), [t7] "+&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z), [d] "=&d"(d), [a] "+&r"(a)
          : "m"(fa), [p1] "m"(kP.v[1]), [p3] "m"(kP.v[3])
          : "cc");
  r.v[0] = d;
  r.v[1] = a;
  r.v[2] = t0;
  r.v[3] = t1;
}

// a + b and a − b mod p (a, b < p) with adc/sbb chains and cmov (GCC 12 spills and re-derives
// carries with setc for the C versions). Base x86-64 instructions only.
CERTSEAL_SM2_INLINE void fe_add_asm(Fe& r, const Fe& a, const Fe& b) {
  u64 t0 = a.v[0], t1 = a.v[1], t2 = a.v[2], t3 = a.v[3], c, s0, s1, s2, s3;
  __asm__("addq %[b0], %[t0]\n\t"
          "adcq %[b1], %[t1]\n\t"
          "adcq %[b2], %[t2]\n\t"
          "adcq %[b3], %[t3]\n\t"
          "movl $0, %k[c]\n\t"
          "adcq $0, %[c]\n\t"
          CERTSEAL_SM2_FINAL("%[t0]", "%[t1]", "%[t2]", "%[t3]", "%[c]", "%[s0]", "%[s1]", "%[s2]", "%[s3]")
          : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [c] "=&r"(c), [s0] "=&r"(s0),
            [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3)
          : [b0] "rm"(b.v[0]), [b1] "rm"(b.v[1]), [b2] "rm"(b.v[2]), [b3] "rm"(b.v[3]), [p1] "m"(kP.v[1]),
            [p3] "m"(kP.v[3])
          : "cc");
  r.v[0] = t0;
  r.v[1] = t1;
  r.v[2] = t2;
  r.v[3] = t3;
}
CERTSEAL_SM2_INLINE void fe_sub_asm(Fe& r, const Fe& a, const Fe& b) {
  u64 t0 = a.v[0], t1 = a.v[1], t2 = a.v[2], t3 = a.v[3], m, m1, m3;
  __asm__("subq %[b0], %[t0]\n\t"
          "sbbq %[b1], %[t1]\n\t"
          "sbbq %[b2], %[t2]\n\t"
          "sbbq %[b3], %[t3]\n\t"
          "sbbq %[m], %[m]\n\t"  // all ones when a < b: add p back
          "movq %[m], %[m1]\n\t"
          "andq %[p1], %[m1]\n\t"
          "movq %[m], %[m3]\n\t"
          "andq %[p3], %[m3]\n\t"
          "addq %[m], %[t0]\n\t"
          "adcq %[m1], %[t1]\n\t"
          "adcq %[m], %[t2]\n\t"
          "adcq %[m3], %[t3]\n\t"
          : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [m] "=&r"(m), [m1] "=&r"(m1),
            [m3] "=&r"(m3)
          : [b0] "rm"(b.v[0]), [b1] "rm"(b.v[1]), [b2] "rm"(b.v[2]), [b3] "rm"(b.v[3]), [p1] "m"(kP.v[1]),
            [p3] "m"(kP.v[3])
          : "cc");
  r.v[0] = t0;
  r.v[1] = t1;
  r.v[2] = t2;
  r.v[3] = t3;
}
#undef CERTSEAL_SM2_MUL_ROUND
#undef CERTSEAL_SM2_RED_ROUND
#undef CERTSEAL_SM2_FINAL
#endif

// True when fe_mul/fe_sqr run the BMI2/ADX versions: the CPU has both (cpuid, read once at
// start-up) and CERTSEAL_SM2_PORTABLE=1 is not set in the environment (CERTSEAL_SM2_FORCE_ADX=1
// forces them, for Valgrind, which hides ADX from cpuid). A public fact: the branch on it is not
// secret-dependent.
bool fe_have_adx();
#if CERTSEAL_SM2_ADX
extern const bool g_fe_adx;
#endif

CERTSEAL_SM2_INLINE void fe_mul(Fe& r, const Fe& a, const Fe& b) {
#if CERTSEAL_SM2_ADX
  if (g_fe_adx) {
    fe_mul_adx(r, a, b);
    return;
  }
#endif
  fe_mul_portable(r, a, b);
}
CERTSEAL_SM2_INLINE void fe_sqr(Fe& r, const Fe& a) {
#if CERTSEAL_SM2_ADX
  if (g_fe_adx) {
    fe_sqr_adx(r, a);
    return;
  }
#endif
  fe_sqr_portable(r, a);
}

CERTSEAL_SM2_INLINE void fe_add(Fe& r, const Fe& a, const Fe& b) {
#if CERTSEAL_SM2_ADX
  fe_add_asm(r, a, b);
#else
  fe_add_portable(r, a, b);
#endif
}
CERTSEAL_SM2_INLINE void fe_sub(Fe& r, const Fe& a, const Fe& b) {
#if CERTSEAL_SM2_ADX
  fe_sub_asm(r, a, b);
#else
  fe_sub_portable(r, a, b);
#endif
}

CERTSEAL_SM2_INLINE void fe_neg(Fe& r, const Fe& a) {
  const Fe zero{};
  fe_sub(r, zero, a);
}
// r = mask ? a : r (mask all ones or zero).
CERTSEAL_SM2_INLINE void fe_cmov(Fe& r, const Fe& a, u64 mask) { limbs_cmov(r.v, a.v, mask); }
CERTSEAL_SM2_INLINE u64 fe_is_zero(const Fe& a) { return limbs_zero_mask(a.v); }
CERTSEAL_SM2_INLINE u64 fe_eq(const Fe& a, const Fe& b) {
  return mask_is_zero((a.v[0] ^ b.v[0]) | (a.v[1] ^ b.v[1]) | (a.v[2] ^ b.v[2]) | (a.v[3] ^ b.v[3]));
}

// 1 in Montgomery form (2^256 mod p = 2^256 − p).
inline constexpr Fe kFeOne{{1, 0xFFFFFFFFull, 0, 0x100000000ull}};
CERTSEAL_SM2_INLINE Fe fe_one() { return kFeOne; }
// The curve constant b in Montgomery form.
Fe fe_b();
// a^-1 = a^(p−2); 0 maps to 0.
void fe_inv(Fe& r, const Fe& a);
// 32 big-endian bytes to Montgomery form; returns all ones when the value is < p (else r is
// unspecified and the mask is 0).
u64 fe_from_bytes(Fe& r, const std::uint8_t* b32);
void fe_to_bytes(std::uint8_t* b32, const Fe& a);

}  // namespace certseal::crypto::sm2
