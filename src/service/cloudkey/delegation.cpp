// CloudKeyService: delegation between staff (授权管理) — asked by the delegate, decided and
// managed by the holder, checked and counted at the moment of use as the shield's GrantGate
// (cloudkey_service.h). The delegate's device joins the holder's key through the shield's
// authenticated pairing for a grant (ShieldService::create_grant_pairing, delivered by the
// holder's device), so its server share is bound to the delegation's id.
#include <chrono>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;
namespace {

Error delegation_not_found() { return not_found("delegation_not_found", "no such delegation"); }

constexpr const char* kSelect =
    "SELECT d.*, hs.staff_no AS holder_staff_no, hs.name AS holder_name, ds.staff_no AS delegate_staff_no, "
    "ds.name AS delegate_name FROM cloudkey_delegations d JOIN cloudkey_staff hs ON hs.id = d.holder_staff_id "
    "JOIN cloudkey_staff ds ON ds.id = d.delegate_staff_id ";

Status valid_terms(const DelegationTerms& t, std::int64_t now) {
  if (t.not_after <= now) return field_error("not_after", "a time in the future");
  if (t.uses && (*t.uses < 1 || *t.uses > 1000000)) return field_error("uses", "1 to 1000000");
  return {};
}

}  // namespace

namespace {
DelegationView delegation_from_row(const store::Row& r, std::int64_t now) {
  DelegationView v;
  v.id = r.text("id");
  v.tenant_id = r.text("tenant_id");
  v.certificate_id = r.text("certificate_id");
  v.key_id = r.text("key_id");
  v.holder_account_id = r.text("holder_account_id");
  v.holder_staff_no = r.text("holder_staff_no");
  v.holder_name = r.text("holder_name");
  v.delegate_account_id = r.text("delegate_account_id");
  v.delegate_staff_no = r.text("delegate_staff_no");
  v.delegate_name = r.text("delegate_name");
  v.statement = r.text("statement");
  v.status = r.text("status");
  v.created_at = r.text("created_at");
  v.decided_at = r.text("decided_at");
  v.frozen = r.integer("frozen") != 0;
  v.not_before = r.integer("not_before");
  v.not_after = r.integer("not_after");
  v.uses_made = r.integer("uses_made");
  if (!r.is_null("uses_total")) v.uses_total = r.integer("uses_total");
  if (!r.is_null("uses_left")) v.uses_left = r.integer("uses_left");
  v.live = v.status == "approved" && !v.frozen && v.not_before <= now && now < v.not_after &&
           (!v.uses_left || *v.uses_left > 0);
  return v;
}
}  // namespace

Result<DelegationView> CloudKeyService::request_delegation(const std::string& account_id, const std::string& tenant_id,
                                                           const std::string& holder_staff_no,
                                                           const std::string& statement) {
  if (statement.size() > 500) return field_error("statement", "at most 500 bytes");
  if (holder_staff_no.empty() || holder_staff_no.size() > 32) return field_error("holder_staff_no", "1 to 32 characters");
  const std::string id = new_id();
  std::string holder_phone, text;
  auto v = db_.write_value<DelegationView>([&](store::Tx& tx) -> Result<DelegationView> {
    CS_ASSIGN(auto t, tx.query_one("SELECT name FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
    if (!t) return tenant_not_found();
    CS_ASSIGN(auto phone, phone_of(tx, account_id));
    CS_ASSIGN(auto me, tx.query_one("SELECT id, name FROM cloudkey_staff WHERE tenant_id = ? AND phone = ? AND "
                                    "status = 'active' ORDER BY staff_no LIMIT 1",
                                    {tenant_id, phone}));
    if (!me) return staff_not_found();
    CS_ASSIGN(auto h, tx.query_one("SELECT s.id, c.certificate_id, c.key_id, c.account_id FROM cloudkey_staff s JOIN "
                                   "cloudkey_certificates c ON c.staff_id = s.id AND c.current = 1 WHERE "
                                   "s.tenant_id = ? AND s.staff_no = ? AND s.status = 'active'",
                                   {tenant_id, holder_staff_no}));
    if (!h) return not_found("staff_not_found", "no staff member of that number holds a cloud key certificate");
    if (h->text("account_id") == account_id) {
      return invalid_argument("delegation_to_self", "a certificate holder cannot ask themselves");
    }
    CS_ASSIGN(auto open, tx.query_one("SELECT id FROM cloudkey_delegations WHERE key_id = ? AND delegate_account_id = ? "
                                      "AND status = 'requested'",
                                      {h->text("key_id"), account_id}));
    if (open) return conflict("delegation_pending", "you asked this holder already; wait for the answer");
    const std::string now = format_rfc3339_ms(clock_.now());
    CS_TRY(tx.exec("INSERT INTO cloudkey_delegations (id, tenant_id, certificate_id, key_id, holder_account_id, "
                   "holder_staff_id, delegate_account_id, delegate_staff_id, statement, status, frozen, not_before, "
                   "not_after, uses_made, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'requested', 0, "
                   "0, 0, 0, ?, ?)",
                   {id, tenant_id, h->text("certificate_id"), h->text("key_id"), h->text("account_id"), h->text("id"),
                    account_id, me->text("id"), statement, now, now}));
    CS_ASSIGN(holder_phone, phone_of(tx, h->text("account_id")));
    text = "【CertSeal】" + me->text("name") + " 请求使用您的云密钥证书，请在客户端处理（授权管理）。";
    CS_ASSIGN(auto r, tx.query_one(std::string(kSelect) + "WHERE d.id = ?", {id}));
    return delegation_from_row(*r, clock_.now_unix());
  });
  if (v && sms_) (void)sms_->send({holder_phone, "cloudkey_delegation_request", {}, text});
  return v;
}

Result<std::vector<DelegationView>> CloudKeyService::delegations(const std::string& account_id) {
  return db_.read_value<std::vector<DelegationView>>([&](store::Tx& tx) -> Result<std::vector<DelegationView>> {
    CS_ASSIGN(auto rows, tx.query(std::string(kSelect) + "WHERE d.holder_account_id = ? OR d.delegate_account_id = ? "
                                                         "ORDER BY d.id DESC LIMIT 500",
                                  {account_id, account_id}));
    std::vector<DelegationView> out;
    for (const auto& r : rows) out.push_back(delegation_from_row(r, clock_.now_unix()));
    return out;
  });
}

Result<DelegationView> CloudKeyService::approve_delegation(const std::string& holder_id, const std::string& id,
                                                           const DelegationTerms& t) {
  const std::int64_t now = clock_.now_unix();
  CS_TRY(valid_terms(t, now));
  std::string phone, text;
  auto v = db_.write_value<DelegationView>([&](store::Tx& tx) -> Result<DelegationView> {
    CS_ASSIGN(auto d, tx.query_one("SELECT * FROM cloudkey_delegations WHERE id = ? AND holder_account_id = ?",
                                   {id, holder_id}));
    if (!d) return delegation_not_found();
    const std::string now_text = format_rfc3339_ms(clock_.now());
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET status = 'approved', not_before = ?, not_after = ?, "
                              "uses_total = ?, uses_left = ?, decided_at = ?, updated_at = ? WHERE id = ? AND "
                              "status = 'requested'",
                              {now, t.not_after, t.uses ? store::Value(*t.uses) : store::Value(),
                               t.uses ? store::Value(*t.uses) : store::Value(), now_text, now_text, id}));
    if (n == 0) return conflict("delegation_closed", "this request was decided already");
    CS_ASSIGN(phone, phone_of(tx, d->text("delegate_account_id")));
    text = "【CertSeal】您的云密钥授权申请已通过" +
           (t.uses ? "，可使用 " + std::to_string(*t.uses) + " 次" : std::string()) + "，有效期至 " +
           format_rfc3339(sys_time_from_unix(t.not_after)) + "。";
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.delegation.approve")
                                           .by(holder_id)
                                           .of(holder_id)
                                           .on(id)
                                           .cert(d->text("certificate_id"))
                                           .with("delegate", d->text("delegate_account_id"))));
    CS_ASSIGN(auto r, tx.query_one(std::string(kSelect) + "WHERE d.id = ?", {id}));
    return delegation_from_row(*r, now);
  });
  if (v && sms_) (void)sms_->send({phone, "cloudkey_delegation_approved", {}, text});
  return v;
}

Result<DelegationView> CloudKeyService::refuse_delegation(const std::string& holder_id, const std::string& id) {
  return db_.write_value<DelegationView>([&](store::Tx& tx) -> Result<DelegationView> {
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET status = 'refused', decided_at = ?, updated_at = ? "
                              "WHERE id = ? AND holder_account_id = ? AND status = 'requested'",
                              {format_rfc3339_ms(clock_.now()), format_rfc3339_ms(clock_.now()), id, holder_id}));
    CS_ASSIGN(auto r, tx.query_one(std::string(kSelect) + "WHERE d.id = ? AND d.holder_account_id = ?", {id, holder_id}));
    if (!r) return delegation_not_found();
    if (n == 0) return conflict("delegation_closed", "this request was decided already");
    return delegation_from_row(*r, clock_.now_unix());
  });
}

Result<DelegationView> CloudKeyService::freeze_delegation(const std::string& holder_id, const std::string& id,
                                                          bool frozen) {
  return db_.write_value<DelegationView>([&](store::Tx& tx) -> Result<DelegationView> {
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET frozen = ?, updated_at = ? WHERE id = ? AND "
                              "holder_account_id = ? AND status = 'approved'",
                              {frozen ? 1 : 0, format_rfc3339_ms(clock_.now()), id, holder_id}));
    CS_ASSIGN(auto r, tx.query_one(std::string(kSelect) + "WHERE d.id = ? AND d.holder_account_id = ?", {id, holder_id}));
    if (!r) return delegation_not_found();
    if (n == 0) return conflict("delegation_not_approved", "only an approved delegation is frozen or unfrozen");
    return delegation_from_row(*r, clock_.now_unix());
  });
}

Result<DelegationView> CloudKeyService::change_delegation(const std::string& holder_id, const std::string& id,
                                                          const DelegationTerms& t) {
  const std::int64_t now = clock_.now_unix();
  CS_TRY(valid_terms(t, now));
  return db_.write_value<DelegationView>([&](store::Tx& tx) -> Result<DelegationView> {
    // The window restarts now when it had ended (续期); the uses count from here.
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET not_before = CASE WHEN not_after <= ? THEN ? ELSE "
                              "not_before END, not_after = ?, uses_total = ?, uses_left = ?, updated_at = ? WHERE "
                              "id = ? AND holder_account_id = ? AND status = 'approved'",
                              {now, now, t.not_after, t.uses ? store::Value(*t.uses) : store::Value(),
                               t.uses ? store::Value(*t.uses) : store::Value(), format_rfc3339_ms(clock_.now()), id,
                               holder_id}));
    CS_ASSIGN(auto r, tx.query_one(std::string(kSelect) + "WHERE d.id = ? AND d.holder_account_id = ?", {id, holder_id}));
    if (!r) return delegation_not_found();
    if (n == 0) return conflict("delegation_not_approved", "only an approved delegation is changed");
    return delegation_from_row(*r, now);
  });
}

Result<DelegationView> CloudKeyService::delete_delegation(const std::string& holder_id, const std::string& id) {
  return db_.write_value<DelegationView>([&](store::Tx& tx) -> Result<DelegationView> {
    const std::string now = format_rfc3339_ms(clock_.now());
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET status = 'deleted', updated_at = ? WHERE id = ? AND "
                              "holder_account_id = ? AND status <> 'deleted'",
                              {now, id, holder_id}));
    CS_ASSIGN(auto r, tx.query_one(std::string(kSelect) + "WHERE d.id = ? AND d.holder_account_id = ?", {id, holder_id}));
    if (!r) return delegation_not_found();
    if (n == 0) return conflict("delegation_deleted", "this delegation was deleted already");
    // The delegate's device shares go with it: useless at once.
    CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                   "recovery_key_enc = NULL, removed_at = ? WHERE grant_id = ? AND status <> 'removed'",
                   {now, id}));
    return delegation_from_row(*r, clock_.now_unix());
  });
}

Result<std::vector<DelegationUse>> CloudKeyService::delegation_uses(const std::string& account_id,
                                                                   const std::string& id) {
  return db_.read_value<std::vector<DelegationUse>>([&](store::Tx& tx) -> Result<std::vector<DelegationUse>> {
    CS_ASSIGN(auto d, tx.query_one("SELECT holder_account_id, delegate_account_id FROM cloudkey_delegations WHERE id = ?",
                                   {id}));
    if (!d || (d->text("holder_account_id") != account_id && d->text("delegate_account_id") != account_id)) {
      return delegation_not_found();
    }
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM cloudkey_delegation_uses WHERE delegation_id = ? ORDER BY id DESC "
                                  "LIMIT 5000",
                                  {id}));
    std::vector<DelegationUse> out;
    for (const auto& r : rows) {
      out.push_back({r.text("id"), r.text("delegation_id"), r.text("device_id"), r.text("operation"), r.text("digest"),
                     r.text("result"), r.text("at")});
    }
    return out;
  });
}

namespace {
std::string reset_hash(const std::string& id, const std::string& password) {
  return hex_encode(crypto::sha256(as_bytes(id + ":" + password)));
}
}  // namespace

Status CloudKeyService::reset_delegate_password(const std::string& holder_id, const std::string& id) {
  std::string password;
  {
    std::lock_guard lock(rng_mu_);
    const Bytes r = rng_.bytes(8);
    for (auto b : r) password += static_cast<char>('0' + b % 10);
  }
  std::string phone;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto d, tx.query_one("SELECT status, delegate_account_id FROM cloudkey_delegations WHERE id = ? AND "
                                   "holder_account_id = ?",
                                   {id, holder_id}));
    if (!d) return delegation_not_found();
    if (d->text("status") == "deleted") return conflict("delegation_deleted", "this delegation was deleted");
    CS_TRY(tx.exec("UPDATE cloudkey_delegations SET reset_hash = ?, reset_until = ?, updated_at = ? WHERE id = ?",
                   {reset_hash(id, password), clock_.now_unix() + 1800, format_rfc3339_ms(clock_.now()), id}));
    CS_ASSIGN(phone, phone_of(tx, d->text("delegate_account_id")));
    return {};
  }));
  if (sms_ == nullptr) return unavailable("sms_unavailable", "no SMS sender to deliver the new password");
  return sms_->send({phone, "cloudkey_delegation_password", {{"password", password}},
                     "【CertSeal】您的云密钥授权使用密码已重置为 " + password + "，30分钟内在客户端启用，请勿告诉他人。"});
}

Result<RecoveryResult> CloudKeyService::apply_password_reset(const std::string& delegate_id, const std::string& id,
                                                             const std::string& device_id, const std::string& password,
                                                             BytesView auth_key, BytesView salt) {
  if (password.empty() || password.size() > 32) return field_error("reset_password", "the password from the SMS");
  struct Target {
    std::string key_id;
    std::optional<Error> refusal;
  };
  CS_ASSIGN(auto t, db_.write_value<Target>([&](store::Tx& tx) -> Result<Target> {
    CS_ASSIGN(auto d, tx.query_one("SELECT key_id, reset_hash, reset_until FROM cloudkey_delegations WHERE id = ? AND "
                                   "delegate_account_id = ? AND status <> 'deleted'",
                                   {id, delegate_id}));
    if (!d) return delegation_not_found();
    Target out{d->text("key_id"), std::nullopt};
    // One try: the reset is spent whatever the answer, so a guess costs the holder's new reset.
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET reset_hash = NULL, reset_until = 0 WHERE id = ? AND "
                              "reset_hash IS NOT NULL",
                              {id}));
    if (n == 0 || d->is_null("reset_hash")) {
      out.refusal = conflict("reset_expired", "no password reset is waiting: ask the holder for one");
    } else if (d->integer("reset_until") < clock_.now_unix()) {
      out.refusal = conflict("reset_expired", "the reset password has expired: ask the holder for a new one");
    } else if (d->text("reset_hash") != reset_hash(id, password)) {
      out.refusal = permission_denied("reset_password_wrong", "the reset password is wrong; ask the holder for a new one");
    }
    return out;
  }));
  if (t.refusal) return *t.refusal;
  return shield_.reset_granted_device(delegate_id, t.key_id, device_id, id, auth_key, salt);
}

// ---- GrantGate ----

Status CloudKeyService::use(store::Tx& tx, const GrantedStep& s) {
  CS_ASSIGN(auto d, tx.query_one("SELECT * FROM cloudkey_delegations WHERE id = ?", {s.grant_id}));
  if (!d) {
    if (fallback_ != nullptr) return fallback_->use(tx, s);
    return permission_denied("grant_not_live", "this device serves no grant");
  }
  if (d->text("delegate_account_id") != s.account_id || d->text("key_id") != s.key_id) {
    return permission_denied("delegation_not_live", "this device serves no delegation of yours for this key");
  }
  const std::int64_t now = clock_.now_unix();
  const std::string now_text = format_rfc3339_ms(clock_.now());
  const std::string digest = s.digest.empty() ? std::string() : hex_encode(s.digest);
  // Recorded against both: the holder's and the delegate's account, with its ledger entry.
  auto record = [&](const std::string& result) -> Status {
    CS_TRY(tx.exec("INSERT INTO cloudkey_delegation_uses (id, delegation_id, holder_account_id, delegate_account_id, "
                   "key_id, device_id, operation, digest, result, at, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {new_id(), s.grant_id, d->text("holder_account_id"), s.account_id, s.key_id, s.device_id,
                    s.operation, digest.empty() ? store::Value() : store::Value(digest), result, now_text,
                    s.purpose.empty() ? store::Value() : store::Value(s.purpose)}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.delegation.use")
                                           .by(s.account_id)
                                           .of(d->text("holder_account_id"))
                                           .on(s.grant_id)
                                           .cert(d->text("certificate_id"))
                                           .doc(digest)
                                           .outcome(result)
                                           .with("device", s.device_id)
                                           .with("operation", s.operation));
  };
  auto refuse = [&](Error e) -> Status {
    CS_TRY(record(e.code));
    return e;
  };
  if (s.operation != "sign" && s.operation != "decrypt") {
    return refuse(permission_denied("delegation_operation_not_allowed", "a delegate's device only signs and decrypts"));
  }
  // The check and the count in one statement: approved, not frozen, inside the window, uses
  // left, the holder's certificate still current, the delegate still an active staff member.
  CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_delegations SET uses_left = CASE WHEN uses_left IS NULL THEN NULL ELSE "
                            "uses_left - 1 END, uses_made = uses_made + 1, updated_at = ? WHERE id = ? AND "
                            "status = 'approved' AND frozen = 0 AND not_before <= ? AND not_after > ? AND "
                            "(uses_left IS NULL OR uses_left > 0) AND EXISTS (SELECT 1 FROM cloudkey_certificates c "
                            "WHERE c.key_id = cloudkey_delegations.key_id AND c.current = 1) AND EXISTS (SELECT 1 "
                            "FROM cloudkey_staff st WHERE st.id = cloudkey_delegations.delegate_staff_id AND "
                            "st.status = 'active')",
                            {now_text, s.grant_id, now, now}));
  if (n == 1) return record("ok");
  if (d->text("status") != "approved") {
    return refuse(permission_denied("delegation_not_live", "this delegation was deleted or never approved"));
  }
  if (d->integer("frozen") != 0) return refuse(permission_denied("delegation_frozen", "the holder froze this delegation"));
  if (d->integer("not_after") <= now || d->integer("not_before") > now) {
    return refuse(permission_denied("delegation_expired", "this delegation is outside its validity"));
  }
  if (!d->is_null("uses_left") && d->integer("uses_left") <= 0) {
    return refuse(permission_denied("delegation_used_up", "every use of this delegation is spent"));
  }
  return refuse(permission_denied("delegation_not_live", "the holder's certificate or the delegate's record ended"));
}

Result<GrantPairingTarget> CloudKeyService::pairing_target(store::Tx& tx, const std::string& grant_id) {
  CS_ASSIGN(auto d, tx.query_one("SELECT * FROM cloudkey_delegations WHERE id = ?", {grant_id}));
  if (!d) {
    if (fallback_ != nullptr) return fallback_->pairing_target(tx, grant_id);
    return not_found("grant_not_found", "no such grant");
  }
  const DelegationView v = [&] {
    DelegationView x;
    x.status = d->text("status");
    x.frozen = d->integer("frozen") != 0;
    const std::int64_t now = clock_.now_unix();
    x.live = x.status == "approved" && !x.frozen && d->integer("not_before") <= now && now < d->integer("not_after") &&
             (d->is_null("uses_left") || d->integer("uses_left") > 0);
    return x;
  }();
  if (!v.live) return failed_precondition("grant_not_live", "this delegation is not usable now");
  return GrantPairingTarget{grant_id, d->text("key_id"), d->text("certificate_id"), d->text("holder_account_id"),
                            d->text("delegate_account_id")};
}

Status CloudKeyService::drop_dead_shares(store::Tx& tx, const std::string& account_id) {
  if (fallback_ != nullptr) CS_TRY(fallback_->drop_dead_shares(tx, account_id));
  const std::string now = format_rfc3339_ms(clock_.now());
  // Frozen, spent and expired delegations keep their shares (the holder may unfreeze or renew);
  // deleted ones do not.
  if (account_id.empty()) {
    CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                   "recovery_key_enc = NULL, removed_at = ? WHERE status <> 'removed' AND grant_id IN (SELECT id FROM "
                   "cloudkey_delegations WHERE status = 'deleted')",
                   {now}));
  } else {
    CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                   "recovery_key_enc = NULL, removed_at = ? WHERE status <> 'removed' AND grant_id IN (SELECT id FROM "
                   "cloudkey_delegations WHERE status = 'deleted' AND delegate_account_id = ?)",
                   {now, account_id}));
  }
  return {};
}

}  // namespace certseal::service
