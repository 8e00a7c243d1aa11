// LedgerService: the read side of the transparency log (docs/LEDGER.md): the latest checkpoint,
// tiles and entry bundles exactly as C2SP tlog-tiles serves them, inclusion and consistency
// proofs for clients that do not read tiles, an account's own entries, and on-demand sequencing.
//
// Contract: thread-safe (each call runs in its own read transaction; sequence_now in the
// sequencer's write transaction). Errors: "tile_not_found" (404: a tile or bundle beyond the
// tree, or a full tile that is still partial), "bad_tile_path", "bad_proof_request" (index or
// sizes beyond the current tree), "ledger_empty" (no checkpoint yet).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/merkle.h"
#include "service/ledger/log_keys.h"
#include "service/ledger/sequencer.h"
#include "service/ledger/tiles.h"
#include "store/db.h"

namespace certseal::service::ledger {

struct ProofView {
  std::uint64_t index = 0;  // inclusion: the leaf; consistency: the old size
  std::uint64_t size = 0;   // the tree size the proof leads to
  std::vector<Hash> hashes;
};

struct EntryView {
  std::uint64_t index = 0;
  std::string entry;  // the exact bytes (canonical JSON)
  std::string appended_at;
};

class LedgerService {
 public:
  LedgerService(store::Database& db, const LogKeys& keys, Sequencer& sequencer)
      : db_(db), keys_(keys), sequencer_(sequencer) {}

  const LogKeys& keys() const { return keys_; }
  // The newest signed checkpoint note.
  Result<std::string> checkpoint();
  Result<std::uint64_t> size();
  // A tile's or entry bundle's bytes for a path under <prefix>/tile/.
  Result<Bytes> tile(std::string_view path);
  Result<ProofView> inclusion(std::uint64_t index, std::optional<std::uint64_t> size);
  Result<ProofView> consistency(std::uint64_t old_size, std::optional<std::uint64_t> new_size);
  // Entries whose owner is account_id, by index; after = the last index seen.
  Result<std::vector<EntryView>> entries_of(const std::string& account_id, std::optional<std::uint64_t> after,
                                            int limit);
  // Sequences what waits and returns the newest checkpoint (the on-demand checkpoint).
  Result<std::string> sequence_now();

 private:
  store::Database& db_;
  const LogKeys& keys_;
  Sequencer& sequencer_;
  TileCache cache_;  // full tiles with their inner nodes, for proofs
};

// Entry bundle bytes: each entry as a big-endian uint16 length followed by the entry.
Bytes entry_bundle(const std::vector<Bytes>& entries);

}  // namespace certseal::service::ledger
