// Whether this test binary runs under a sanitizer (GCC's __SANITIZE_*__ macros, clang's
// __has_feature). Tests use it to run fewer repetitions of what the debug run already covers in
// full, or to skip timing assertions that a sanitizer's slowdown (every malloc unwinds its stack in
// scripts/test's ASan run) makes meaningless. Memory-safety coverage stays: the code paths run.
#pragma once

namespace certseal::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kUnderSanitizer = true;
#else
inline constexpr bool kUnderSanitizer = false;
#endif
#else
inline constexpr bool kUnderSanitizer = false;
#endif

}  // namespace certseal::testing
