#include "service/ledger/ledger_service.h"

namespace certseal::service::ledger {
namespace {

Error tile_not_found() { return not_found("tile_not_found", "no such tile in the log"); }

Result<std::uint64_t> current_size(store::Tx& tx) {
  CS_ASSIGN(auto r, tx.query_one("SELECT size FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"));
  if (!r) return not_found("ledger_empty", "the log has no checkpoint yet");
  return static_cast<std::uint64_t>(r->integer("size"));
}

}  // namespace

Bytes entry_bundle(const std::vector<Bytes>& entries) {
  Bytes out;
  for (const auto& e : entries) {
    out.push_back(static_cast<std::uint8_t>(e.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(e.size()));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

Result<std::string> LedgerService::checkpoint() {
  return db_.read_value<std::string>([](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto r, tx.query_one("SELECT note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"));
    if (!r) return not_found("ledger_empty", "the log has no checkpoint yet");
    return r->text("note");
  });
}

Result<std::uint64_t> LedgerService::size() {
  return db_.read_value<std::uint64_t>([](store::Tx& tx) { return current_size(tx); });
}

Result<Bytes> LedgerService::tile(std::string_view path) {
  CS_ASSIGN(TileRef t, parse_tile_path(path));
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    const std::uint64_t width = t.width ? static_cast<std::uint64_t>(t.width) : kTileWidth;
    if (t.entries) {
      CS_ASSIGN(std::uint64_t size, current_size(tx));
      std::uint64_t start = t.index * kTileWidth;
      if (t.index > size / kTileWidth || start + width > size) return tile_not_found();
      CS_ASSIGN(auto rows, tx.query("SELECT idx, data FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                                    {static_cast<std::int64_t>(start), static_cast<std::int64_t>(start + width)}));
      if (rows.size() != width) return internal_error("ledger_corrupt: entries missing in bundle " + tile_path(t));
      std::vector<Bytes> entries;
      for (auto& r : rows) entries.push_back(r.blob("data"));
      return entry_bundle(entries);
    }
    TileReader reader(tx);
    CS_ASSIGN(auto hashes, reader.tile(t.level, t.index));
    if (hashes->size() < width) return tile_not_found();
    return blob_from_hashes(std::span<const Hash>(hashes->data(), width));
  });
}

Result<ProofView> LedgerService::inclusion(std::uint64_t index, std::optional<std::uint64_t> size) {
  return db_.read_value<ProofView>([&](store::Tx& tx) -> Result<ProofView> {
    CS_ASSIGN(std::uint64_t current, current_size(tx));
    std::uint64_t n = size.value_or(current);
    if (n > current) return invalid_argument("bad_proof_request", "the tree size is beyond the newest checkpoint");
    TileReader reader(tx, &cache_);
    CS_ASSIGN(auto hashes, crypto::merkle::inclusion_proof(index, n, reader.subtree_fn()));
    return ProofView{index, n, std::move(hashes)};
  });
}

Result<ProofView> LedgerService::consistency(std::uint64_t old_size, std::optional<std::uint64_t> new_size) {
  return db_.read_value<ProofView>([&](store::Tx& tx) -> Result<ProofView> {
    CS_ASSIGN(std::uint64_t current, current_size(tx));
    std::uint64_t n = new_size.value_or(current);
    if (n > current) return invalid_argument("bad_proof_request", "the tree size is beyond the newest checkpoint");
    TileReader reader(tx, &cache_);
    CS_ASSIGN(auto hashes, crypto::merkle::consistency_proof(old_size, n, reader.subtree_fn()));
    return ProofView{old_size, n, std::move(hashes)};
  });
}

Result<std::vector<EntryView>> LedgerService::entries_of(const std::string& account_id,
                                                         std::optional<std::uint64_t> after, int limit) {
  return db_.read_value<std::vector<EntryView>>([&](store::Tx& tx) -> Result<std::vector<EntryView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT idx, data, appended_at FROM ledger_entries WHERE owner = ? AND idx > ? "
                                  "ORDER BY idx LIMIT ?",
                                  {account_id, after ? static_cast<std::int64_t>(*after) : std::int64_t{-1}, limit}));
    std::vector<EntryView> out;
    for (auto& r : rows) {
      out.push_back({static_cast<std::uint64_t>(r.integer("idx")), r.text("data"),
                     format_rfc3339_ms(SysTime(std::chrono::milliseconds(r.integer("appended_at"))))});
    }
    return out;
  });
}

Result<std::string> LedgerService::sequence_now() {
  CS_TRY(sequencer_.run_until_idle());
  return checkpoint();
}

}  // namespace certseal::service::ledger
