// `certseal ledger verify` (docs/CLI.md, docs/LEDGER.md "Checking your records"): checks the
// user's own records in the platform's transparency log.
//
// 1. The log's key: --key (a sumdb/note verifier key obtained out of band), else the one in the
//    state file from an earlier run, else the server's /api/v1/ledger/keys (trust on first use,
//    said so on standard error).
// 2. The current checkpoint (/ledger/checkpoint) must carry a valid Ed25519 signature of that key.
// 3. With a state file holding an earlier checkpoint: the consistency proof from it to the current
//    one must verify (otherwise the log was rewritten since), and every record it covers must be
//    included in it too.
// 4. Every record of the account (/api/v1/account/ledger-entries) must be included in the current
//    checkpoint: its exact bytes hash to the leaf the inclusion proof leads from.
// 5. The state file is updated to the current checkpoint (only when everything verified).
//
// Errors: "ledger_record_fails" (names the record: index, type, time), "ledger_rewritten",
// "ledger_bad_checkpoint", "ledger_key_changed" (state file key differs from --key), plus the
// HTTP client's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "client/http.h"

namespace certseal::client {

struct LedgerVerifyArgs {
  std::string state_file;  // "" = none (no earlier checkpoint, nothing saved)
  std::string key;         // "" = from the state file or the server
};

struct LedgerVerifyReport {
  std::uint64_t size = 0;        // the current checkpoint's size
  std::uint64_t old_size = 0;    // the saved checkpoint's size (0 = none)
  std::uint64_t records = 0;     // the account's records checked
  bool key_from_server = false;  // trusted on first use
  nlohmann::json to_json() const;
};

Result<LedgerVerifyReport> verify_ledger(Http& http, const LedgerVerifyArgs& args);

}  // namespace certseal::client
