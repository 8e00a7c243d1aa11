#include "api/ledger_handlers.h"

#include <charconv>

#include "api/services.h"
#include "base/encoding.h"
#include "crypto/pkey.h"
#include "service/ledger/ledger_service.h"

namespace certseal::api {
namespace {

Result<service::ledger::LedgerService*> ledger(RequestContext& ctx) {
  auto* s = ctx.services().ledger;
  if (!s) return unavailable("ledger_unavailable", "the transparency log is not available");
  return s;
}

// A non-negative decimal query parameter; nullopt when absent.
Result<std::optional<std::uint64_t>> number(RequestContext& ctx, const char* name, bool required) {
  auto v = ctx.query(name);
  if (!v) {
    if (!required) return std::optional<std::uint64_t>();
    return invalid_argument("missing_field", std::string(name) + " is required")
        .with_field(name, "required", "a non-negative integer");
  }
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size()) {
    return invalid_argument("invalid_field", std::string(name) + " must be a non-negative integer")
        .with_field(name, "invalid", "a non-negative integer");
  }
  return std::optional<std::uint64_t>(n);
}

nlohmann::json proof_json(const service::ledger::ProofView& p, const char* first) {
  nlohmann::json hashes = nlohmann::json::array();
  for (const auto& h : p.hashes) hashes.push_back(base64_encode(h));
  return {{first, p.index}, {"size", p.size}, {"hashes", std::move(hashes)}};
}

}  // namespace

Result<Reply> get_ledger_checkpoint(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  CS_ASSIGN(auto note, s->checkpoint());
  Reply r = Reply::text(std::move(note), "text/plain; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "max-age=1");
  return r;
}

Result<Reply> get_ledger_tile(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  CS_ASSIGN(Bytes b, s->tile(ctx.param("path")));
  Reply r = Reply::text(std::string(as_chars(b)), "application/octet-stream");
  r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  return r;
}

Result<Reply> get_ledger_keys(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  const auto& k = s->keys();
  CS_ASSIGN(auto sm2, crypto::PublicKey::from_spki_der(k.sm2_public_spki()));
  char sm2_id[9];
  std::snprintf(sm2_id, sizeof sm2_id, "%08x", k.sm2_key_id());
  return Reply::json({{"origin", k.origin()},
                      {"ed25519_verifier_key", k.verifier_key()},
                      {"ed25519_public_key", base64_encode(k.ed25519_public())},
                      {"sm2_public_key", sm2.pem()},
                      {"sm2_key_id", sm2_id}});
}

Result<Reply> get_ledger_inclusion(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  CS_ASSIGN(auto index, number(ctx, "index", true));
  CS_ASSIGN(auto size, number(ctx, "size", false));
  CS_ASSIGN(auto p, s->inclusion(*index, size));
  return Reply::json(proof_json(p, "index"));
}

Result<Reply> get_ledger_consistency(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  CS_ASSIGN(auto old_size, number(ctx, "old", true));
  CS_ASSIGN(auto new_size, number(ctx, "new", false));
  CS_ASSIGN(auto p, s->consistency(*old_size, new_size));
  return Reply::json(proof_json(p, "old"));
}

Result<Reply> get_account_ledger_entries(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  CS_ASSIGN(auto after, number(ctx, "after", false));
  CS_ASSIGN(auto limit, number(ctx, "limit", false));
  if (limit && (*limit < 1 || *limit > 1000)) {
    return invalid_argument("bad_limit", "limit must be an integer from 1 to 1000")
        .with_field("limit", "out_of_range", "an integer from 1 to 1000");
  }
  const int n = limit ? static_cast<int>(*limit) : 100;
  CS_ASSIGN(auto entries, s->entries_of(ctx.principal()->account_id, after, n));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : entries) {
    items.push_back({{"index", e.index}, {"entry", e.entry}, {"appended_at", e.appended_at}});
  }
  nlohmann::json next;
  if (static_cast<int>(entries.size()) == n) next = std::to_string(entries.back().index);
  return Reply::json({{"items", std::move(items)}, {"next", next}});
}

Result<Reply> op_post_ledger_checkpoint(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ledger(ctx));
  CS_ASSIGN(auto note, s->sequence_now());
  Reply r = Reply::text(std::move(note), "text/plain; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace certseal::api
