#include "service/org/acting_identity.h"

namespace certseal::service {

namespace {
Error wrong_identity(bool as_admin) {
  return Error(ErrorKind::kPermissionDenied, "wrong_identity",
               as_admin ? "请先切换到该单位的管理员身份 (switch to your admin identity of this organisation first)"
                        : "请先切换到您在该单位的身份 (switch to your identity in this organisation first)");
}
}  // namespace

Result<ActingIdentity> acting_identity(store::Database& db, const std::string& account_id,
                                       const std::string& identity_id) {
  auto required = [] {
    return Error(ErrorKind::kPermissionDenied, "identity_required", "请先选择身份 (choose an identity first)");
  };
  if (identity_id.empty()) return required();
  return db.read_value<ActingIdentity>([&](store::Tx& tx) -> Result<ActingIdentity> {
    CS_ASSIGN(auto r, tx.query_one("SELECT id, kind, org_id FROM identities WHERE id = ? AND account_id = ? AND "
                                   "ended_at IS NULL",
                                   {identity_id, account_id}));
    if (!r) return required();
    return ActingIdentity{r->text("id"), r->text("kind"), r->is_null("org_id") ? "" : r->text("org_id")};
  });
}

Status require_acting_for(store::Database& db, const std::string& account_id, const std::string& identity_id,
                          const std::string& org_id, bool as_admin) {
  CS_ASSIGN(bool exists, db.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto r, tx.query_one("SELECT id FROM organisations WHERE id = ?", {org_id}));
    return r.has_value();
  }));
  if (!exists) return not_found("org_not_found", "no such organisation");
  CS_ASSIGN(auto who, acting_identity(db, account_id, identity_id));
  if (who.org_id != org_id || (as_admin && !who.is_org_admin())) return wrong_identity(as_admin);
  return {};
}

Status require_acting_for_verified(store::Database& db, const std::string& account_id,
                                   const std::string& identity_id, const std::string& org_id, bool as_admin) {
  CS_ASSIGN(bool verified, db.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto r, tx.query_one("SELECT status FROM organisations WHERE id = ?", {org_id}));
    return r && r->text("status") == "verified";
  }));
  if (!verified) return {};
  return require_acting_for(db, account_id, identity_id, org_id, as_admin);
}

Result<std::string> task_org_id(store::Database& db, const std::string& task_id) {
  return db.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto r, tx.query_one("SELECT org_id FROM tasks WHERE id = ?", {task_id}));
    return r ? r->text("org_id") : std::string();
  });
}

}  // namespace certseal::service
