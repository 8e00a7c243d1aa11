// Row mapping, loading and the share deletion shared by the files that implement GrantService
// (grant_requests.cpp, grant_decisions.cpp, grant_use.cpp). Internal to src/service/grant.
#pragma once

#include <string>

#include "service/grant/grant_service.h"

namespace certseal::service::grant_internal {

// Grants with the organisation's and platform's names and the member's phone and verified name.
inline constexpr const char* kGrantSelect =
    "SELECT g.*, o.name AS org_name, t.name AS platform_name, a.phone AS member_phone, "
    "(SELECT pv.name FROM person_verifications pv WHERE pv.account_id = g.account_id AND pv.status = 'verified' "
    "ORDER BY pv.created_at DESC LIMIT 1) AS member_name "
    "FROM grants g JOIN organisations o ON o.id = g.org_id JOIN accounts a ON a.id = g.account_id "
    "LEFT JOIN trading_platforms t ON t.id = g.platform_id ";

GrantView grant_from_row(const store::Row& r, std::int64_t now);

// The grant of org_id; grant_not_found for no grant or another organisation's.
Result<GrantView> load(store::Tx& tx, const std::string& org_id, const std::string& grant_id, std::int64_t now);

// The role of account_id's active membership of the verified organisation org_id, or "" when
// it has none; org_not_found when there is no verified organisation.
Result<std::string> role_in(store::Tx& tx, const std::string& account_id, const std::string& org_id);
bool is_admin_role(const std::string& role);
// permission_denied unless account_id is an active admin or legal representative of org_id.
Status require_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id);

// Makes every device share serving grant_id unusable at once: its server share, unlock key and
// recovery key are deleted and the device is marked removed. Returns how many devices changed.
Result<std::int64_t> drop_shares(store::Tx& tx, const std::string& grant_id, const std::string& now_text);

// Whether the certificate is current, valid, unexpired and enabled for platform_id (bought for
// it, or a live mutual-recognition package): the same rule as OrderService::enabled_for, inside
// the caller's transaction.
inline constexpr const char* kEnabledForPlatformSql =
    "EXISTS (SELECT 1 FROM account_certificates eac JOIN pki_certificate ec ON ec.id = eac.certificate_id "
    "WHERE eac.certificate_id = {cert} AND eac.current = 1 AND ec.status = 'valid' AND ec.not_after > {now} AND "
    "(eac.platform_id = {platform} OR EXISTS (SELECT 1 FROM certificate_platforms ecp WHERE "
    "ecp.certificate_id = eac.certificate_id AND ecp.platform_id = {platform} AND ecp.cancelled_at IS NULL AND "
    "ecp.enabled_until > {now})))";
// kEnabledForPlatformSql with its placeholders replaced by SQL expressions.
std::string enabled_for_platform_sql(const std::string& cert, const std::string& platform, const std::string& now);

Error grant_not_found();

// The log entry of an admin's decision `kind` (grant.approve, .refuse, .revoke) on grant g.
ledger::LedgerEvent decision_event(const char* kind, const std::string& admin_id, const GrantView& g);

// Appends to `sql` (which ends in a WHERE clause) the conditions RecordFilter f asks for on the
// table aliased `t`: its status column, the time column (with its text format: milliseconds or
// not) against f.from/f.to, and, for a member who is not an admin, only viewer_id's own rows.
struct FilteredTable {
  const char* alias;
  const char* status_column;
  const char* time_column;
  bool time_in_ms;
};
void add_record_filter(std::string& sql, store::Params& p, const FilteredTable& t, bool own_rows_only,
                       const std::string& viewer_id, const RecordFilter& f);

}  // namespace certseal::service::grant_internal
