#include "service/ledger/audit.h"

#include <vector>

#include "crypto/checkpoint.h"
#include "crypto/signed_note.h"
#include "service/ledger/tiles.h"

namespace certseal::service::ledger {
namespace {

constexpr std::int64_t kPage = 10000;

struct StoredCheckpoint {
  std::uint64_t size;
  Bytes root;
  std::string note;
};

}  // namespace

Result<AuditReport> audit_log(store::Database& db, const LogKeys& keys) {
  AuditReport rep;
  std::vector<StoredCheckpoint> cps;
  CS_TRY(db.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto st, tx.query_one("SELECT size FROM ledger_state WHERE id = 1"));
    rep.size = st ? static_cast<std::uint64_t>(st->integer("size")) : 0;
    CS_ASSIGN(auto rows, tx.query("SELECT size, root, note FROM ledger_checkpoints ORDER BY size"));
    for (auto& r : rows) cps.push_back({static_cast<std::uint64_t>(r.integer("size")), r.blob("root"), r.text("note")});
    return {};
  }));

  crypto::merkle::CompactRange range;
  std::size_t next_cp = 0;
  auto check_checkpoints = [&]() -> bool {
    while (next_cp < cps.size() && cps[next_cp].size == range.size()) {
      const auto& c = cps[next_cp];
      auto root = range.root();
      auto fail = [&](std::string why) {
        rep.bad_checkpoint = c.size;
        rep.problem = "checkpoint of size " + std::to_string(c.size) + ": " + why;
        return false;
      };
      if (Bytes(root.begin(), root.end()) != c.root) return fail("its root differs from the tree of the stored entries");
      auto text = crypto::open_note_ed25519(c.note, keys.origin(), keys.ed25519_public());
      if (!text) return fail("its Ed25519 signature does not verify (" + text.error().code + ")");
      if (!verify_sm2_line(c.note, keys.origin(), keys.sm2_public_spki())) return fail("its SM2 signature does not verify");
      auto parsed = crypto::parse_checkpoint_text(*text);
      if (!parsed || parsed->origin != keys.origin() || parsed->size != c.size || parsed->root != root) {
        return fail("its signed text does not state this origin, size and root");
      }
      ++rep.checkpoints_checked;
      ++next_cp;
    }
    if (next_cp < cps.size() && cps[next_cp].size < range.size()) {
      rep.bad_checkpoint = cps[next_cp].size;
      rep.problem = "checkpoint of size " + std::to_string(cps[next_cp].size) + " out of order";
      return false;
    }
    return true;
  };

  if (!check_checkpoints()) return rep;
  std::vector<Hash> tile;
  std::uint64_t tile_index = UINT64_MAX;
  while (range.size() < rep.size) {
    const std::uint64_t from = range.size();
    store::Rows rows;
    CS_TRY(db.read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(rows, tx.query("SELECT idx, data FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?",
                               {static_cast<std::int64_t>(from), kPage}));
      return {};
    }));
    if (rows.empty()) {
      rep.bad_entry = from;
      rep.problem = "entry " + std::to_string(from) + " is missing (the log's size is " + std::to_string(rep.size) + ")";
      return rep;
    }
    for (auto& r : rows) {
      std::uint64_t idx = static_cast<std::uint64_t>(r.integer("idx"));
      if (idx >= rep.size) break;
      if (idx != range.size()) {
        rep.bad_entry = range.size();
        rep.problem = "entry " + std::to_string(range.size()) + " is missing";
        return rep;
      }
      if (idx / kTileWidth != tile_index) {
        tile_index = idx / kTileWidth;
        CS_TRY(db.read([&](store::Tx& tx) -> Status {
          CS_ASSIGN(auto t, tx.query_one("SELECT hashes FROM ledger_tiles WHERE level = 0 AND idx = ?",
                                         {static_cast<std::int64_t>(tile_index)}));
          tile = t ? hashes_from_blob(t->blob("hashes")) : std::vector<Hash>{};
          return {};
        }));
      }
      Hash leaf = crypto::merkle::leaf_hash(r.blob("data"));
      if (idx % kTileWidth >= tile.size() || tile[idx % kTileWidth] != leaf) {
        rep.bad_entry = idx;
        rep.problem = "entry " + std::to_string(idx) + " differs from the hash the log published for it";
        return rep;
      }
      range.append(leaf);
      ++rep.entries_checked;
      if (!check_checkpoints()) {
        // A root mismatch with matching tiles means the tiles were rewritten too: the entry
        // range since the last good checkpoint holds the change.
        return rep;
      }
    }
  }
  if (next_cp < cps.size()) {
    rep.bad_checkpoint = cps[next_cp].size;
    rep.problem = "checkpoint of size " + std::to_string(cps[next_cp].size) + " is beyond the sequenced entries";
  }
  return rep;
}

}  // namespace certseal::service::ledger
