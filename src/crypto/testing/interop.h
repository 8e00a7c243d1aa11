// Test-only helpers (included by *_test.cpp only): run the independent tools (the openssl CLI,
// node with sm-crypto) for real and exchange data with them through files and stdout.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/bytes.h"

namespace certseal::crypto::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout only; stderr goes to the test log
};

inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int st = pclose(f);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

inline void write_file(const std::string& path, BytesView data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline Bytes read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return Bytes(s.begin(), s.end());
}

inline std::string interop_dir() { return std::string(CERTSEAL_SOURCE_DIR) + "/tests/interop"; }

// Runs `node tests/interop/sm2.js ARGS`; fails the test (not skips) when sm-crypto is missing.
inline std::string sm_crypto(const std::string& args) {
  if (!std::filesystem::exists(interop_dir() + "/node_modules/sm-crypto")) {
    ADD_FAILURE() << "sm-crypto is not installed: run scripts/setup (it runs `npm ci` in tests/interop)";
    return {};
  }
  CommandResult r = run_command("node " + interop_dir() + "/sm2.js " + args);
  EXPECT_EQ(r.exit_code, 0) << "node sm2.js " << args;
  return trim(r.out);
}

// Runs the openssl CLI; returns stdout and expects exit code `want_exit` (0 unless given).
inline CommandResult openssl(const std::string& args) { return run_command("openssl " + args); }

}  // namespace certseal::crypto::testing
