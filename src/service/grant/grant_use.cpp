// GrantService: the check at the moment of use (GrantGate), the pairing a grant allows, the
// deletion of shares of ended grants, and what scenes need of grants (grant_service.h).
#include "service/grant/grant_service.h"

#include "base/encoding.h"
#include "service/grant/grant_internal.h"

namespace certseal::service {
using namespace grant_internal;

namespace {

// "scene <code> <request id>"
struct ScenePurpose {
  std::string code, request_id;
};
std::optional<ScenePurpose> parse_purpose(const std::string& p) {
  if (p.rfind("scene ", 0) != 0) return std::nullopt;
  const std::size_t sp = p.find(' ', 6);
  if (sp == std::string::npos || sp == 6 || sp + 1 >= p.size()) return std::nullopt;
  ScenePurpose s{p.substr(6, sp - 6), p.substr(sp + 1)};
  if (s.request_id.find(' ') != std::string::npos) return std::nullopt;
  return s;
}

constexpr const char* kActiveMemberSql =
    "EXISTS (SELECT 1 FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.org_id = grants.org_id AND "
    "m.account_id = grants.account_id AND m.status = 'active' AND o.status = 'verified')";

}  // namespace

Status GrantService::use(store::Tx& tx, const GrantedStep& s) {
  const std::int64_t now = clock_.now_unix();
  const std::string now_text = format_rfc3339_ms(clock_.now());
  CS_ASSIGN(auto g, tx.query_one("SELECT * FROM grants WHERE id = ?", {s.grant_id}));
  if (!g || g->text("account_id") != s.account_id || g->text("key_id") != s.key_id) {
    return permission_denied("grant_not_live", "this device serves no grant of yours for this key");
  }
  if (s.operation != "sign" && s.operation != "decrypt") {
    return permission_denied("grant_operation_not_allowed", "a granted device only signs and decrypts for scenes");
  }
  const std::string digest = s.digest.empty() ? std::string() : hex_encode(s.digest);
  std::string scene_code, scene_request;
  // Records a use or a refused attempt, with its transparency-log entry.
  auto record = [&](const std::string& result) -> Status {
    CS_TRY(tx.exec("INSERT INTO grant_uses (id, grant_id, org_id, certificate_id, seal_id, account_id, device_id, "
                   "platform_id, scene, scene_request_id, operation, digest, result, at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {new_id(), s.grant_id, g->text("org_id"), g->text("certificate_id"),
                    g->is_null("seal_id") ? store::Value() : store::Value(g->text("seal_id")), s.account_id,
                    s.device_id, g->text("platform_id"),
                    scene_code.empty() ? store::Value() : store::Value(scene_code),
                    scene_request.empty() ? store::Value() : store::Value(scene_request), s.operation,
                    digest.empty() ? store::Value() : store::Value(digest), result, now_text}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("grant.use")
                                           .by(s.account_id)
                                           .of(s.account_id)
                                           .on(s.grant_id)
                                           .cert(g->text("certificate_id"))
                                           .at_platform(g->text("platform_id"))
                                           .in_scene(scene_request)
                                           .doc(digest)
                                           .outcome(result)
                                           .with("org", g->text("org_id"))
                                           .with("device", s.device_id)
                                           .with("operation", s.operation));
  };
  auto refuse = [&](Error e, bool ended) -> Status {
    if (ended) CS_TRY(drop_shares(tx, s.grant_id, now_text));
    CS_TRY(record(e.code));
    return e;
  };

  // A use names the scene it serves: one claimed by the employee, open, of the grant's platform.
  auto purpose = parse_purpose(s.purpose);
  if (!purpose) {
    return refuse(permission_denied("grant_use_needs_scene", "a granted certificate is used only to answer a scene request"),
                  false);
  }
  scene_code = purpose->code;
  CS_ASSIGN(auto scene, tx.query_one("SELECT platform_id, scene, status, claimed_by, expires_at FROM scene_requests "
                                     "WHERE id = ?",
                                     {purpose->request_id}));
  if (!scene || scene->text("claimed_by") != s.account_id || scene->text("status") != "claimed" ||
      scene->integer("expires_at") <= now || scene->text("scene") != purpose->code ||
      !(purpose->code == "06" || purpose->code == "13" || purpose->code == "14" || purpose->code == "20")) {
    return refuse(permission_denied("grant_scene_invalid", "the step names no open scene request of yours"), false);
  }
  scene_request = purpose->request_id;
  if (scene->text("platform_id") != g->text("platform_id")) {
    return refuse(permission_denied("grant_platform_mismatch", "this grant is for another trading platform"), false);
  }
  CS_ASSIGN(auto spent, tx.query_one("SELECT id FROM grant_uses WHERE scene_request_id = ? AND result IN ('counted', "
                                     "'ok')",
                                     {scene_request}));
  if (spent) return refuse(conflict("grant_scene_used", "this scene request has used the grant already"), false);

  // The check and the count in one statement: a concurrent use of the same grant (on another
  // connection or process) waits for this row and then sees the new count.
  const std::string now_s = std::to_string(now);
  CS_ASSIGN(auto counted,
            tx.exec("UPDATE grants SET uses_made = uses_made + 1, uses_left = CASE WHEN uses_left IS NULL THEN NULL "
                    "ELSE uses_left - 1 END WHERE id = ? AND status = 'approved' AND not_before <= ? AND not_after > ? "
                    "AND (uses_left IS NULL OR uses_left > 0) AND " +
                        std::string(kActiveMemberSql) + " AND " +
                        enabled_for_platform_sql("grants.certificate_id", "grants.platform_id", now_s),
                    {s.grant_id, now, now}));
  if (counted == 0) {
    // Why not: read again (the row may have changed since the first read).
    CS_ASSIGN(auto why, tx.query_one("SELECT status, not_before, not_after, uses_left, CASE WHEN " +
                                         std::string(kActiveMemberSql) +
                                         " THEN 1 ELSE 0 END AS member, CASE WHEN EXISTS (SELECT 1 FROM "
                                         "pki_certificate c WHERE c.id = grants.certificate_id AND c.status = 'valid' "
                                         "AND c.not_after > " +
                                         now_s + ") THEN 1 ELSE 0 END AS cert_ok FROM grants WHERE id = ?",
                                     {s.grant_id}));
    if (!why) return internal_error("grant vanished");
    if (why->text("status") == "revoked") {
      return refuse(permission_denied("grant_revoked", "the admin has taken this grant back"), true);
    }
    if (why->text("status") != "approved") {
      return refuse(permission_denied("grant_not_live", "this grant is not approved"), true);
    }
    if (why->integer("member") == 0) {
      return refuse(permission_denied("not_an_active_member", "you are no longer a member of the organisation"), true);
    }
    if (why->integer("cert_ok") == 0) {
      return refuse(permission_denied("certificate_not_valid", "the organisation's certificate is no longer valid"), true);
    }
    if (why->integer("not_after") <= now) {
      return refuse(permission_denied("grant_expired", "this grant's window has ended"), true);
    }
    if (!why->is_null("uses_left") && why->integer("uses_left") <= 0) {
      return refuse(permission_denied("grant_used_up", "this grant's uses are spent"), true);
    }
    if (why->integer("not_before") > now) {
      return refuse(permission_denied("grant_not_started", "this grant's window has not started yet"), false);
    }
    return refuse(permission_denied("certificate_not_enabled_for_platform",
                                    "the certificate is no longer enabled for this grant's platform"),
                  false);
  }
  CS_TRY(record("counted"));
  // The last use: the device's server share goes now, with this step's commit.
  CS_ASSIGN(auto left, tx.query_one("SELECT uses_left FROM grants WHERE id = ?", {s.grant_id}));
  if (left && !left->is_null("uses_left") && left->integer("uses_left") <= 0) {
    CS_TRY(drop_shares(tx, s.grant_id, now_text));
  }
  return {};
}

Result<GrantPairingTarget> GrantService::pairing_target(store::Tx& tx, const std::string& grant_id) {
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto g, tx.query_one("SELECT g.*, k.account_id AS holder FROM grants g JOIN shield_keys k ON k.id = "
                                 "g.key_id WHERE g.id = ?",
                                 {grant_id}));
  if (!g) return grant_not_found();
  const bool uses_left = g->is_null("uses_left") || g->integer("uses_left") > 0;
  if (g->text("kind") != "certificate" || g->text("status") != "approved" || g->integer("not_after") <= now ||
      !uses_left) {
    return conflict("grant_not_live", "this grant is not approved or has ended");
  }
  return GrantPairingTarget{grant_id, g->text("key_id"), g->text("certificate_id"), g->text("holder"),
                            g->text("account_id")};
}

Status GrantService::drop_dead_shares(store::Tx& tx, const std::string& account_id) {
  const std::int64_t now = clock_.now_unix();
  const std::string now_s = std::to_string(now);
  CS_ASSIGN(auto dead, tx.query("SELECT DISTINCT d.grant_id FROM shield_devices d JOIN grants ON grants.id = d.grant_id "
                                "WHERE d.status <> 'removed' AND (? = '' OR d.account_id = ?) AND NOT (grants.status = "
                                "'approved' AND grants.not_after > " +
                                    now_s + " AND (grants.uses_left IS NULL OR grants.uses_left > 0) AND " +
                                    kActiveMemberSql +
                                    " AND EXISTS (SELECT 1 FROM pki_certificate c WHERE c.id = grants.certificate_id "
                                    "AND c.status = 'valid' AND c.not_after > " +
                                    now_s + "))",
                                {account_id, account_id}));
  const std::string now_text = format_rfc3339_ms(clock_.now());
  for (const auto& r : dead) {
    CS_ASSIGN(auto n, drop_shares(tx, r.text("grant_id"), now_text));
    if (n > 0) log_.info("grant ended: device shares deleted", {{"grant_id", r.text("grant_id")}, {"devices", n}});
  }
  return {};
}

Result<std::vector<GrantedCertificate>> GrantService::granted_certificates(store::Tx& tx, const std::string& account_id,
                                                                           const std::string& platform_id) {
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto rows, tx.query("SELECT g.id, g.certificate_id, g.key_id, g.org_id, g.platform_id, c.serial, c.subject, "
                                "c.der FROM grants g JOIN pki_certificate c ON c.id = g.certificate_id WHERE "
                                "g.account_id = ? AND g.platform_id = ? AND g.kind = 'certificate' AND g.status = 'approved' AND g.not_before <= ? "
                                "AND g.not_after > ? AND (g.uses_left IS NULL OR g.uses_left > 0) AND c.status = 'valid' "
                                "AND c.not_after > ? ORDER BY g.created_at DESC",
                                {account_id, platform_id, now, now, now}));
  std::vector<GrantedCertificate> out;
  for (const auto& r : rows) {
    out.push_back({r.text("id"), r.text("certificate_id"), r.text("key_id"), r.text("org_id"), r.text("serial"),
                   r.text("subject"), r.text("platform_id"), r.blob("der")});
  }
  return out;
}

Result<GrantedCertificate> GrantService::scene_use(store::Tx& tx, const std::string& account_id,
                                                   const std::string& scene_request_id,
                                                   const std::string& certificate_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT g.id, g.certificate_id, g.key_id, g.org_id, g.platform_id, c.serial, c.subject, "
                                 "c.der FROM grant_uses u JOIN grants g ON g.id = u.grant_id JOIN pki_certificate c ON "
                                 "c.id = g.certificate_id WHERE u.scene_request_id = ? AND u.account_id = ? AND "
                                 "u.certificate_id = ? AND u.result = 'counted'",
                                 {scene_request_id, account_id, certificate_id}));
  if (!r) {
    return permission_denied("grant_use_missing", "no granted use of this certificate was made for this request");
  }
  return GrantedCertificate{r->text("id"), r->text("certificate_id"), r->text("key_id"), r->text("org_id"),
                            r->text("serial"), r->text("subject"), r->text("platform_id"), r->blob("der")};
}

Status GrantService::finish_scene_use(store::Tx& tx, const std::string& scene_request_id,
                                      const std::string& document_hash, const std::string& result) {
  CS_TRY(tx.exec("UPDATE grant_uses SET document_hash = ?, result = ? WHERE scene_request_id = ? AND result = 'counted'",
                 {document_hash.empty() ? store::Value() : store::Value(document_hash), result, scene_request_id}));
  return {};
}

}  // namespace certseal::service
