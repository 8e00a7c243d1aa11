#include "support/test_env.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace certseal::testing {

std::optional<std::string> postgres_url() {
  if (const char* u = std::getenv("CERTSEAL_TEST_PG_URL"); u && *u) return std::string(u);
  const char* f = std::getenv("CERTSEAL_TEST_PG_URL_FILE");
  if (!f || !*f) return std::nullopt;
  std::ifstream in(f);
  std::string url;
  if (!std::getline(in, url) || url.empty()) return std::nullopt;
  return url;
}

bool postgres_required() {
  const char* r = std::getenv("CERTSEAL_REQUIRE_PG");
  return r && std::string(r) == "1";
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "certseal-test.XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  if (p == nullptr) std::abort();
  path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string uscc_for(const std::string& prefix) {
  static const std::string kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static const int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (std::size_t i = 0; i < 17 && i < prefix.size(); ++i) {
    sum += static_cast<int>(kChars.find(prefix[i])) * kWeights[i];
  }
  return prefix + kChars[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

}  // namespace certseal::testing
