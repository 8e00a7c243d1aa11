// The audit of the whole log (`certseald admin ledger audit`, docs/LEDGER.md "Audit"): recompute
// the tree from the stored entries and compare it with what the log published.
//
// Checks, in index order: every index from 0 to the sequenced size has an entry (a gap names the
// first missing index); every entry's leaf hash equals the hash in its level-0 tile (a mismatch
// names the entry); at every stored checkpoint's size, the root recomputed from the entries
// equals the checkpoint's root, and the checkpoint's note is the log's correctly signed
// checkpoint of that size and root (Ed25519 and SM2 lines). Stops at the first problem.
//
// Contract: reads in pages of 10,000 entries (each page its own read transaction; run it on a
// quiet log or accept that entries sequenced meanwhile are checked up to the size read first).
// Errors: only the database's; what it finds is in the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "service/ledger/log_keys.h"
#include "store/db.h"

namespace certseal::service::ledger {

struct AuditReport {
  std::uint64_t entries_checked = 0;
  std::uint64_t checkpoints_checked = 0;
  std::uint64_t size = 0;                   // the sequenced size the audit started from
  std::optional<std::uint64_t> bad_entry;   // the first entry that differs or is missing
  std::optional<std::uint64_t> bad_checkpoint;  // the size of the first checkpoint that fails
  std::string problem;                      // empty when the log is sound
  bool ok() const { return problem.empty(); }
};

Result<AuditReport> audit_log(store::Database& db, const LogKeys& keys);

}  // namespace certseal::service::ledger
