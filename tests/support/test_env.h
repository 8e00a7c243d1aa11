// Test environment helpers shared by unit and integration tests.
#pragma once

#include <optional>
#include <string>

namespace certseal::testing {

// The URL of the throw-away PostgreSQL server started by ctest (tests/pg/pg_test_server.sh),
// read from the file named by CERTSEAL_TEST_PG_URL_FILE, or CERTSEAL_TEST_PG_URL itself.
std::optional<std::string> postgres_url();
// True when CERTSEAL_REQUIRE_PG=1: a missing PostgreSQL server is then a failure, not a skip.
bool postgres_required();

// Runs a shell command and returns what it printed on standard output.
std::string run_command(const std::string& cmd);

// prefix (17 characters) followed by its GB 32100 check character: a unified social credit code
// that validates. Computed here, independently of the code under test.
std::string uscc_for(const std::string& prefix);

// A fresh empty directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace certseal::testing
