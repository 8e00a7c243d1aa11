#include "service/ledger/tiles.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace certseal::service::ledger {
namespace {

Error bad_path(std::string why) {
  return invalid_argument("bad_tile_path", "not a tlog-tiles path: <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]")
      .with_cause(std::move(why));
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<TileRef> parse_tile_path(std::string_view path) {
  const std::string_view original = path;
  TileRef t;
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return bad_path("no index");
  std::string_view head = path.substr(0, slash);
  path.remove_prefix(slash + 1);
  if (head == "entries") {
    t.entries = true;
  } else {
    std::uint64_t l = 0;
    if (!parse_decimal(head, l) || l > 63) return bad_path("bad level");
    t.level = static_cast<int>(l);
  }
  // The width suffix.
  auto dotp = path.find(".p/");
  if (dotp != std::string_view::npos) {
    std::uint64_t w = 0;
    if (!parse_decimal(path.substr(dotp + 3), w) || w < 1 || w > 255) return bad_path("bad width");
    t.width = static_cast<int>(w);
    path = path.substr(0, dotp);
  }
  // Index elements: x### / x### / ###.
  std::uint64_t index = 0;
  while (true) {
    auto s = path.find('/');
    std::string_view el = path.substr(0, s);
    bool last = s == std::string_view::npos;
    if (!last) {
      if (el.size() != 4 || el[0] != 'x') return bad_path("a non-final element must be x###");
      el.remove_prefix(1);
    } else if (el.size() != 3) {
      return bad_path("the final element must be ###");
    }
    for (char c : el) {
      if (c < '0' || c > '9') return bad_path("non-digit in the index");
    }
    if (index > (UINT64_MAX - 999) / 1000) return bad_path("index too large");
    index = index * 1000 + static_cast<std::uint64_t>((el[0] - '0') * 100 + (el[1] - '0') * 10 + (el[2] - '0'));
    if (last) break;
    path.remove_prefix(s + 1);
  }
  t.index = index;
  if (tile_path(t) != original) return bad_path("not the canonical encoding of the index");
  return t;
}

std::string tile_path(const TileRef& t) {
  std::string out = t.entries ? "entries" : std::to_string(t.level);
  std::vector<std::string> els;
  std::uint64_t n = t.index;
  do {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(n % 1000));
    els.insert(els.begin(), buf);
    n /= 1000;
  } while (n > 0);
  for (std::size_t i = 0; i < els.size(); ++i) out += (i + 1 < els.size() ? "/x" : "/") + els[i];
  if (t.width) out += ".p/" + std::to_string(t.width);
  return out;
}

std::vector<Hash> hashes_from_blob(BytesView b) {
  std::vector<Hash> out(b.size() / 32);
  for (std::size_t i = 0; i < out.size(); ++i) std::memcpy(out[i].data(), b.data() + 32 * i, 32);
  return out;
}

Bytes blob_from_hashes(std::span<const Hash> hashes) {
  Bytes out(hashes.size() * 32);
  for (std::size_t i = 0; i < hashes.size(); ++i) std::memcpy(out.data() + 32 * i, hashes[i].data(), 32);
  return out;
}

Result<const std::vector<Hash>*> TileReader::tile(int level, std::uint64_t index) {
  auto key = std::pair{level, index};
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    CS_ASSIGN(auto row, tx_.query_one("SELECT hashes FROM ledger_tiles WHERE level = ? AND idx = ?",
                                      {level, static_cast<std::int64_t>(index)}));
    it = cache_.emplace(key, row ? hashes_from_blob(row->blob("hashes")) : std::vector<Hash>{}).first;
  }
  return &it->second;
}

std::shared_ptr<const TileCache::FullTile> TileCache::get(int level, std::uint64_t index) const {
  std::lock_guard lock(mu_);
  auto it = tiles_.find({level, index});
  return it == tiles_.end() ? nullptr : it->second;
}

std::shared_ptr<const TileCache::FullTile> TileCache::put(int level, std::uint64_t index,
                                                         const std::vector<Hash>& hashes) {
  auto t = std::make_shared<FullTile>();
  t->nodes[0] = hashes;
  for (int h = 1; h <= kTileHeight; ++h) {
    const auto& below = t->nodes[h - 1];
    auto& here = t->nodes[h];
    here.resize(below.size() / 2);
    for (std::size_t i = 0; i < here.size(); ++i) here[i] = crypto::merkle::node_hash(below[2 * i], below[2 * i + 1]);
  }
  std::lock_guard lock(mu_);
  auto [it, fresh] = tiles_.emplace(std::pair{level, index}, t);
  if (fresh) {
    order_.push_back({level, index});
    while (order_.size() > max_) {
      tiles_.erase(order_.front());
      order_.pop_front();
    }
  }
  return it->second;
}

Result<Hash> TileReader::subtree(int height, std::uint64_t index) {
  int level = height / kTileHeight;
  int rest = height % kTileHeight;
  std::uint64_t count = std::uint64_t{1} << rest;
  std::uint64_t first = index << rest;  // first hash at `level`
  std::uint64_t pos = first % kTileWidth;
  if (shared_) {
    // A full tile (cached, or read now and cached): the node is precomputed.
    auto full = shared_->get(level, first / kTileWidth);
    if (!full) {
      CS_ASSIGN(auto stored, tile(level, first / kTileWidth));
      if (stored->size() == kTileWidth) full = shared_->put(level, first / kTileWidth, *stored);
    }
    if (full) return full->nodes[static_cast<std::size_t>(rest)][pos >> rest];
  }
  CS_ASSIGN(auto t, tile(level, first / kTileWidth));
  if (t->size() < pos + count) {
    return internal_error("ledger_corrupt: tile " + std::to_string(level) + "/" + std::to_string(first / kTileWidth) +
                          " holds " + std::to_string(t->size()) + " hashes, the tree needs " +
                          std::to_string(pos + count));
  }
  return crypto::merkle::root_of(std::span<const Hash>(t->data() + pos, count));
}

}  // namespace certseal::service::ledger
