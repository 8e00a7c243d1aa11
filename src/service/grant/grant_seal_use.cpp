// GrantService: an employee's use of an organisation seal under a seal grant (SealGrantGate,
// grant_service.h; docs/GRANTS.md "Seal grants").
#include "service/grant/grant_service.h"

#include <algorithm>

#include "service/grant/grant_internal.h"

namespace certseal::service {
using namespace grant_internal;

namespace {
constexpr const char* kSealMemberSql =
    "EXISTS (SELECT 1 FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.org_id = grants.org_id AND "
    "m.account_id = grants.account_id AND m.status = 'active' AND o.status = 'verified')";
}  // namespace

Result<std::optional<std::string>> GrantService::seal_holder(store::Tx& tx, const std::string& account_id,
                                                             const std::string& seal_id) {
  // Any grant that was approved once (also one taken back since), so that its refusal is told
  // and recorded; never a request still waiting or refused.
  CS_ASSIGN(auto r, tx.query_one("SELECT s.account_id FROM grants g JOIN seals s ON s.id = g.seal_id WHERE "
                                 "g.kind = 'seal' AND g.seal_id = ? AND g.account_id = ? AND g.status IN ('approved', "
                                 "'revoked') ORDER BY g.created_at DESC, g.id DESC LIMIT 1",
                                 {seal_id, account_id}));
  if (!r) return std::optional<std::string>();
  return std::optional<std::string>(r->text("account_id"));
}

Result<std::vector<GrantedSeal>> GrantService::granted_seals(store::Tx& tx, const std::string& account_id) {
  const std::int64_t now = clock_.now_unix();
  // No alias for grants: kSealMemberSql names it.
  CS_ASSIGN(auto rows,
            tx.query("SELECT grants.id, grants.seal_id, s.account_id AS holder, CASE WHEN grants.status = 'approved' "
                     "AND grants.not_before <= ? AND grants.not_after > ? AND (grants.uses_left IS NULL OR "
                     "grants.uses_left > 0) AND " +
                         std::string(kSealMemberSql) +
                         " THEN 1 ELSE 0 END AS live FROM grants JOIN seals s ON s.id = grants.seal_id WHERE "
                         "grants.kind = 'seal' AND grants.account_id = ? AND grants.status IN ('approved', 'revoked') "
                         "AND s.status <> 'deleted' ORDER BY grants.created_at DESC, grants.id DESC",
                     {now, now, account_id}));
  std::vector<GrantedSeal> out;
  for (const auto& r : rows) {
    auto known = std::find_if(out.begin(), out.end(), [&](const GrantedSeal& g) { return g.seal_id == r.text("seal_id"); });
    if (known != out.end()) {
      // Several grants of one seal: it is live when any of them is.
      known->live = known->live || r.integer("live") == 1;
      continue;
    }
    out.push_back({r.text("id"), r.text("seal_id"), r.text("holder"), r.integer("live") == 1});
  }
  return out;
}

Status GrantService::use_seal(store::Tx& tx, const std::string& account_id, const std::string& seal_id,
                              const std::string& purpose) {
  const std::int64_t now = clock_.now_unix();
  const std::string now_s = std::to_string(now), now_text = format_rfc3339_ms(clock_.now());
  CS_ASSIGN(auto grants, tx.query("SELECT * FROM grants WHERE kind = 'seal' AND seal_id = ? AND account_id = ? AND "
                                  "status IN ('approved', 'revoked') ORDER BY created_at DESC, id DESC",
                                  {seal_id, account_id}));
  if (grants.empty()) return grant_not_found();
  auto record = [&](const store::Row& g, const std::string& result) -> Status {
    CS_TRY(tx.exec("INSERT INTO grant_uses (id, grant_id, org_id, certificate_id, seal_id, account_id, device_id, "
                   "platform_id, operation, purpose, result, at) VALUES (?, ?, ?, ?, ?, ?, '', ?, 'seal_use', ?, ?, ?)",
                   {new_id(), g.text("id"), g.text("org_id"), g.text("certificate_id"), seal_id, account_id,
                    g.text("platform_id"), purpose, result, now_text}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("grant.use")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(g.text("id"))
                                           .cert(g.text("certificate_id"))
                                           .outcome(result)
                                           .with("org", g.text("org_id"))
                                           .with("seal", seal_id)
                                           .with("operation", "seal_use")
                                           .with("purpose", purpose));
  };
  // The check and the count in one statement per grant (several may be live: the first that
  // counts is used).
  for (const auto& g : grants) {
    CS_ASSIGN(auto counted,
              tx.exec("UPDATE grants SET uses_made = uses_made + 1, uses_left = CASE WHEN uses_left IS NULL THEN NULL "
                      "ELSE uses_left - 1 END WHERE id = ? AND status = 'approved' AND not_before <= ? AND "
                      "not_after > ? AND (uses_left IS NULL OR uses_left > 0) AND " +
                          std::string(kSealMemberSql) +
                          " AND EXISTS (SELECT 1 FROM pki_certificate c WHERE c.id = grants.certificate_id AND "
                          "c.status = 'valid' AND c.not_after > " +
                          now_s + ")",
                      {g.text("id"), now, now}));
    if (counted == 1) return record(g, "ok");
  }
  // Why not, told from the newest grant.
  const store::Row& g = grants.front();
  CS_ASSIGN(auto why, tx.query_one("SELECT status, not_before, not_after, uses_left, CASE WHEN " +
                                       std::string(kSealMemberSql) + " THEN 1 ELSE 0 END AS member FROM grants WHERE id = ?",
                                   {g.text("id")}));
  if (!why) return internal_error("grant vanished");
  Error e = permission_denied("grant_not_live", "no live grant of this seal");
  if (why->text("status") == "revoked") {
    e = permission_denied("grant_revoked", "the admin has taken this grant back");
  } else if (why->integer("member") == 0) {
    e = permission_denied("not_an_active_member", "you are no longer a member of the organisation");
  } else if (why->integer("not_after") <= now) {
    e = permission_denied("grant_expired", "this grant's window has ended");
  } else if (!why->is_null("uses_left") && why->integer("uses_left") <= 0) {
    e = permission_denied("grant_used_up", "this grant's uses are spent");
  } else if (why->integer("not_before") > now) {
    e = permission_denied("grant_not_started", "this grant's window has not started yet");
  } else {
    e = permission_denied("certificate_not_valid", "the organisation's certificate is no longer valid");
  }
  CS_TRY(record(g, e.code));
  return e;
}

}  // namespace certseal::service
