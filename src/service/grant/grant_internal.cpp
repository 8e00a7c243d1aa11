// Row mapping and shared checks of GrantService (grant_internal.h).
#include "service/grant/grant_internal.h"

namespace certseal::service::grant_internal {

GrantView grant_from_row(const store::Row& r, std::int64_t now) {
  GrantView g;
  g.id = r.text("id");
  g.kind = r.text("kind");
  g.org_id = r.text("org_id");
  g.org_name = r.text("org_name");
  g.certificate_id = r.text("certificate_id");
  g.seal_id = r.text("seal_id");
  g.key_id = r.text("key_id");
  g.platform_id = r.text("platform_id");
  g.platform_name = r.text("platform_name");
  g.account_id = r.text("account_id");
  g.member_phone = r.text("member_phone");
  g.member_name = r.text("member_name");
  g.task_id = r.text("task_id");
  g.statement = r.text("statement");
  g.status = r.text("status");
  g.decided_by = r.text("decided_by");
  g.decided_at = r.text("decided_at");
  g.reason = r.text("reason");
  g.revoked_by = r.text("revoked_by");
  g.revoked_at = r.text("revoked_at");
  g.created_at = r.text("created_at");
  g.not_before = r.integer("not_before");
  g.not_after = r.integer("not_after");
  g.asked_from = r.integer("asked_from");
  g.asked_until = r.integer("asked_until");
  if (!r.is_null("uses_total")) g.uses_total = r.integer("uses_total");
  if (!r.is_null("uses_left")) g.uses_left = r.integer("uses_left");
  g.uses_made = r.integer("uses_made");
  g.live = g.status == "approved" && g.not_before <= now && now < g.not_after &&
           (!g.uses_left || *g.uses_left > 0);
  return g;
}

Error grant_not_found() {
  return not_found("grant_not_found", "no such grant");
}

ledger::LedgerEvent decision_event(const char* kind, const std::string& admin_id,
                                   const GrantView& g) {
  return ledger::LedgerEvent(kind)
      .by(admin_id)
      .of(g.account_id)
      .on(g.id)
      .cert(g.certificate_id)
      .at_platform(g.platform_id)
      .with("org", g.org_id);
}

void add_record_filter(std::string& sql, store::Params& p, const FilteredTable& t,
                       bool own_rows_only, const std::string& viewer_id, const RecordFilter& f) {
  auto where = [&](const std::string& column, const char* op, const std::string& value) {
    if (value.empty()) return;
    sql += std::string(" AND ") + t.alias + "." + column + " " + op + " ?";
    p.emplace_back(value);
  };
  auto time_text = [&](std::int64_t unix) {
    const SysTime at = sys_time_from_unix(unix);
    return t.time_in_ms ? format_rfc3339_ms(at) : format_rfc3339(at);
  };
  if (own_rows_only) where("account_id", "=", viewer_id);
  where(t.status_column, "=", f.status);
  where("certificate_id", "=", f.certificate_id);
  where("seal_id", "=", f.seal_id);
  where("account_id", "=", f.member_account_id);
  where("platform_id", "=", f.platform_id);
  if (f.from > 0) where(t.time_column, ">=", time_text(f.from));
  if (f.to > 0) where(t.time_column, "<", time_text(f.to));
}

Result<GrantView> load(store::Tx& tx, const std::string& org_id, const std::string& grant_id,
                       std::int64_t now) {
  CS_ASSIGN(auto r, tx.query_one(std::string(kGrantSelect) + "WHERE g.id = ?", {grant_id}));
  if (!r || r->text("org_id") != org_id) return grant_not_found();
  return grant_from_row(*r, now);
}

Result<std::string> role_in(store::Tx& tx, const std::string& account_id,
                            const std::string& org_id) {
  CS_ASSIGN(auto o, tx.query_one("SELECT status FROM organisations WHERE id = ?", {org_id}));
  if (!o || o->text("status") != "verified")
    return not_found("org_not_found", "no such organisation");
  CS_ASSIGN(
      auto m,
      tx.query_one(
          "SELECT role FROM memberships WHERE org_id = ? AND account_id = ? AND status = 'active'",
          {org_id, account_id}));
  return m ? m->text("role") : std::string();
}

bool is_admin_role(const std::string& role) {
  return role == "admin" || role == "legal_representative";
}

Status require_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id) {
  CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
  if (!is_admin_role(role)) {
    return permission_denied("not_org_admin", "only an admin of the organisation decides grants");
  }
  return {};
}

Result<std::int64_t> drop_shares(store::Tx& tx, const std::string& grant_id,
                                 const std::string& now_text) {
  return tx.exec(
      "UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
      "recovery_key_enc = NULL, removed_at = ? WHERE grant_id = ? AND status <> 'removed'",
      {now_text, grant_id});
}

std::string enabled_for_platform_sql(const std::string& cert, const std::string& platform,
                                     const std::string& now) {
  std::string s = kEnabledForPlatformSql;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
  };
  replace_all("{cert}", cert);
  replace_all("{platform}", platform);
  replace_all("{now}", now);
  return s;
}

}  // namespace certseal::service::grant_internal
