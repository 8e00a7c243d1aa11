// C2SP tlog-tiles storage: tile coordinates, their URL paths, and reading hashes out of the tiles
// stored in ledger_tiles (docs/LEDGER.md "Tiles").
//
// A level-l tile n holds up to 256 hashes; hash i is MTH of the 256^l leaves starting at
// (n*256 + i) * 256^l. Stored rows keep each tile's newest contents; a partial tile of width W
// is the first W hashes of the row, because a hash once written never changes.
//
//   TileReader r(tx);
//   CS_ASSIGN(auto proof, crypto::merkle::inclusion_proof(i, size, r.subtree_fn()));
//
// Any complete subtree comes from one tile (a level-l tile spans 8 tree levels), so a proof
// reads at most one tile per tile level: O(log n) reads.
// Contract: TileReader belongs to the one transaction it reads in (not thread-safe). Errors:
// "bad_tile_path" (tlog-tiles path syntax), "tile_not_found", "ledger_corrupt" (a stored tile
// shorter than the tree needs).
#pragma once

#include <cstdint>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/merkle.h"
#include "store/db.h"

namespace certseal::service::ledger {

using crypto::merkle::Hash;
inline constexpr int kTileHeight = 8;
inline constexpr std::uint64_t kTileWidth = 256;

struct TileRef {
  bool entries = false;  // an entry bundle (tile/entries/...) instead of a hash tile
  int level = 0;         // 0..63 (0 for bundles)
  std::uint64_t index = 0;
  int width = 0;         // 1..255 for a partial tile, 0 for a full one
};

// "0/x001/x234/067.p/7", "entries/000" (the part after <prefix>/tile/). Refuses leading zeros in
// the level and width, missing zero padding, an 'x' on the last element, and widths outside 1..255.
Result<TileRef> parse_tile_path(std::string_view path);
std::string tile_path(const TileRef& t);

// Full tiles never change, so their subtrees can be kept: every node of the 8-level subtree a
// full tile spans (256 + 128 + ... + 1 hashes), computed once. Bounded (the oldest tiles put in
// are dropped first). Thread-safe (one mutex).
class TileCache {
 public:
  struct FullTile {
    std::array<std::vector<Hash>, kTileHeight + 1> nodes;  // nodes[h][i]: subtree of 2^h hashes
  };
  explicit TileCache(std::size_t max_tiles = 1024) : max_(max_tiles) {}
  std::shared_ptr<const FullTile> get(int level, std::uint64_t index) const;
  // REQUIRES: hashes.size() == kTileWidth.
  std::shared_ptr<const FullTile> put(int level, std::uint64_t index, const std::vector<Hash>& hashes);

 private:
  mutable std::mutex mu_;
  std::size_t max_;
  std::map<std::pair<int, std::uint64_t>, std::shared_ptr<const FullTile>> tiles_;
  std::deque<std::pair<int, std::uint64_t>> order_;
};

class TileReader {
 public:
  // cache: optional, shared between readers (full tiles only).
  explicit TileReader(store::Tx& tx, TileCache* cache = nullptr) : tx_(tx), shared_(cache) {}
  // The stored hashes of one tile (empty when none is stored).
  Result<const std::vector<Hash>*> tile(int level, std::uint64_t index);
  // Hash of the complete subtree of 2^height leaves starting at leaf index * 2^height.
  Result<Hash> subtree(int height, std::uint64_t index);
  crypto::merkle::SubtreeFn subtree_fn() {
    return [this](int h, std::uint64_t i) { return subtree(h, i); };
  }
  // Puts a tile into the cache (the sequencer's fresh tiles, before or instead of a read).
  void put(int level, std::uint64_t index, std::vector<Hash> hashes) { cache_[{level, index}] = std::move(hashes); }

 private:
  store::Tx& tx_;
  TileCache* shared_;
  std::map<std::pair<int, std::uint64_t>, std::vector<Hash>> cache_;
};

std::vector<Hash> hashes_from_blob(BytesView b);
Bytes blob_from_hashes(std::span<const Hash> hashes);

}  // namespace certseal::service::ledger
