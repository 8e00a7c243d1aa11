// At the end of the unit-test run, release the process-wide font caches that Pango and Cairo keep
// (the default font map and cairo's static font-face data), so that LeakSanitizer reports only
// real leaks. fontconfig's own caches are suppressed in tests/lsan.supp. Test-only code.
#include <cairo.h>
#include <gtest/gtest.h>
#include <pango/pangocairo.h>

namespace {

class FontCacheCleanup final : public ::testing::Environment {
 public:
  void TearDown() override {
    pango_cairo_font_map_set_default(nullptr);
    cairo_debug_reset_static_data();
  }
};

[[maybe_unused]] ::testing::Environment* const kCleanup =
    ::testing::AddGlobalTestEnvironment(new FontCacheCleanup);

}  // namespace
