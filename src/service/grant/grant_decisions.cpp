// GrantService: the admin approves with a window and optional uses, refuses with a reason, or
// takes a grant back (grant_service.h).
#include "service/grant/grant_service.h"

#include "service/grant/grant_internal.h"

namespace certseal::service {
using namespace grant_internal;

namespace {
constexpr std::int64_t kMaxWindowS = 5LL * 366 * 86400;
constexpr std::int64_t kMaxUses = 1000000;

Error field(const std::string& name, const std::string& code, const std::string& msg) {
  return invalid_argument("invalid_field", msg).with_field(name, code, msg);
}
}  // namespace

Result<GrantView> GrantService::approve(const std::string& admin_id, const std::string& org_id,
                                        const std::string& grant_id, const GrantApproval& a) {
  const std::int64_t now = clock_.now_unix();
  if (a.not_after <= a.not_before)
    return field("not_after", "window_empty", "the window must end after it starts");
  if (a.not_after <= now)
    return field("not_after", "in_the_past", "the window must end in the future");
  if (a.not_after - a.not_before > kMaxWindowS)
    return field("not_after", "too_long", "a window is at most five years");
  if (a.uses && (*a.uses < 1 || *a.uses > kMaxUses))
    return field("uses", "out_of_range", "1 to 1,000,000 uses");
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, admin_id, org_id));
    CS_ASSIGN(auto g, load(tx, org_id, grant_id, now));
    if (g.kind == "seal" && g.status == "requested" &&
        (a.not_before < g.asked_from || a.not_after > g.asked_until)) {
      // 单位印章授权: the admin may shorten the window asked for, not widen it.
      return field("not_after", "outside_request",
                   "the window must lie inside the one the employee asked for");
    }
    const std::string now_text = format_rfc3339(clock_.now());
    CS_ASSIGN(
        auto n,
        tx.exec(
            "UPDATE grants SET status = 'approved', not_before = ?, not_after = ?, uses_total = ?, "
            "uses_left = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'requested'",
            {a.not_before, a.not_after, a.uses, a.uses, admin_id, now_text, grant_id}));
    if (n != 1) return conflict("grant_closed", "this grant has been decided already");
    CS_TRY(
        tx.exec("UPDATE tasks SET status = 'approved', decided_by = ?, decided_at = ? WHERE id = ? "
                "AND status = 'open'",
                {admin_id, now_text, g.task_id}));
    auto e = decision_event("grant.approve", admin_id, g)
                 .with("not_before", a.not_before)
                 .with("not_after", a.not_after);
    if (a.uses) e.with("uses", *a.uses);
    return ledger::record(ledger_, tx, e);
  }));
  return get(admin_id, org_id, grant_id);
}

Result<GrantView> GrantService::refuse(const std::string& admin_id, const std::string& org_id,
                                       const std::string& grant_id, const std::string& reason) {
  if (reason.empty()) {
    return invalid_argument("reason_required", "a refusal needs a reason")
        .with_field("reason", "required", "the employee will see it");
  }
  if (reason.size() > 500) return field("reason", "too_long", "at most 500 bytes");
  const std::int64_t now = clock_.now_unix();
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, admin_id, org_id));
    CS_ASSIGN(auto g, load(tx, org_id, grant_id, now));
    const std::string now_text = format_rfc3339(clock_.now());
    CS_ASSIGN(
        auto n,
        tx.exec("UPDATE grants SET status = 'refused', reason = ?, decided_by = ?, decided_at = ? "
                "WHERE id = ? AND status = 'requested'",
                {reason, admin_id, now_text, grant_id}));
    if (n != 1) return conflict("grant_closed", "this grant has been decided already");
    CS_TRY(
        tx.exec("UPDATE tasks SET status = 'refused', reason = ?, decided_by = ?, decided_at = ? "
                "WHERE id = ? AND "
                "status = 'open'",
                {reason, admin_id, now_text, g.task_id}));
    return ledger::record(ledger_, tx,
                          decision_event("grant.refuse", admin_id, g).with("reason", reason));
  }));
  return get(admin_id, org_id, grant_id);
}

Result<GrantView> GrantService::revoke(const std::string& admin_id, const std::string& org_id,
                                       const std::string& grant_id, const std::string& reason) {
  if (reason.size() > 500) return field("reason", "too_long", "at most 500 bytes");
  const std::int64_t now = clock_.now_unix();
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, admin_id, org_id));
    CS_ASSIGN(auto g, load(tx, org_id, grant_id, now));
    const std::string now_text = format_rfc3339_ms(clock_.now());
    // The status changes first: a use running now either counted before this (and is in the
    // records) or finds the grant taken back; no use can count after this commits.
    CS_ASSIGN(auto n,
              tx.exec("UPDATE grants SET status = 'revoked', revoked_by = ?, revoked_at = ?, "
                      "reason = COALESCE(?, reason) WHERE id = ? AND status = 'approved'",
                      {admin_id, now_text, reason.empty() ? store::Value() : store::Value(reason),
                       grant_id}));
    if (n != 1) return conflict("grant_closed", "only an approved grant can be taken back");
    CS_ASSIGN(auto dropped, drop_shares(tx, grant_id, now_text));
    return ledger::record(
        ledger_, tx, decision_event("grant.revoke", admin_id, g).with("shares_deleted", dropped));
  }));
  return get(admin_id, org_id, grant_id);
}

}  // namespace certseal::service
