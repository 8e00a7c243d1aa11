// GrantService: asking for a grant, what may be asked for, whom to ring, and reading grants
// (grant_service.h).
#include "service/grant/grant_service.h"

#include "base/id.h"
#include "service/account/validation.h"
#include "service/grant/grant_internal.h"

namespace certseal::service {
using namespace grant_internal;

namespace {
Error field(const std::string& name, const std::string& code, const std::string& msg) {
  return invalid_argument("invalid_field", msg).with_field(name, code, msg);
}
}  // namespace

std::string GrantService::new_id() {
  std::lock_guard lock(rng_mu_);
  return new_uuid_v7(clock_, rng_);
}

Result<GrantView> GrantService::request(const std::string& account_id, const std::string& org_id,
                                        const GrantRequest& in) {
  const bool seal = in.kind == "seal";
  if (in.kind != "certificate" && !seal)
    return field("kind", "unsupported", "kind is certificate or seal");
  CS_TRY(validate_name(in.statement, "statement", 500));
  if (seal) {
    if (in.seal_id.empty() || in.seal_id.size() > 64)
      return field("seal_id", "required", "name the seal");
    if (in.asked_from == 0 || in.asked_until == 0) {
      return field("not_after", "required",
                   "a seal grant asks for its window (not_before, not_after)");
    }
  } else {
    if (in.certificate_id.empty() || in.certificate_id.size() > 64) {
      return field("certificate_id", "required", "name the certificate");
    }
    if (in.platform_id.empty() || in.platform_id.size() > 64) {
      return field("platform_id", "required", "name the trading platform");
    }
  }
  if ((in.asked_from != 0 || in.asked_until != 0) && in.asked_until <= in.asked_from) {
    return field("not_after", "window_empty", "the window must end after it starts");
  }
  if (in.asked_until != 0 && in.asked_until <= clock_.now_unix()) {
    return field("not_after", "in_the_past", "the window must end in the future");
  }
  const std::string id = new_id(), task_id = new_id();
  const std::int64_t now = clock_.now_unix();
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
    if (role.empty())
      return permission_denied("not_an_active_member",
                               "only a member of the organisation asks for a grant");
    std::string certificate_id = in.certificate_id, platform_id = in.platform_id;
    std::optional<store::Row> c;
    if (seal) {
      CS_ASSIGN(
          c,
          tx.query_one(
              "SELECT ac.key_id, ac.account_id, s.certificate_id FROM seals s JOIN "
              "account_certificates ac ON ac.certificate_id = s.certificate_id JOIN "
              "pki_certificate c "
              "ON c.id = ac.certificate_id WHERE s.id = ? AND ac.org_id = ? AND ac.current = 1 AND "
              "s.status = 'active' AND c.status = 'valid' AND c.not_after > ?",
              {in.seal_id, org_id, now}));
      if (!c) return not_found("seal_not_found", "the organisation has no such usable seal");
      certificate_id = c->text("certificate_id");
    } else {
      CS_ASSIGN(
          c,
          tx.query_one(
              "SELECT ac.key_id, ac.account_id FROM account_certificates ac JOIN pki_certificate c "
              "ON c.id = ac.certificate_id WHERE ac.certificate_id = ? AND ac.org_id = ? AND "
              "ac.current = 1 AND c.status = 'valid' AND c.not_after > ?",
              {in.certificate_id, org_id, now}));
      if (!c)
        return not_found("certificate_not_found", "the organisation has no such valid certificate");
    }
    if (c->text("account_id") == account_id) {
      return failed_precondition("grant_not_needed", "you hold this certificate yourself");
    }
    if (!seal) {
      CS_ASSIGN(auto enabled,
                tx.query_one("SELECT 1 AS ok WHERE " +
                                 enabled_for_platform_sql("?", "?", std::to_string(now)),
                             {in.certificate_id, in.platform_id, in.platform_id}));
      if (!enabled) {
        return failed_precondition(
            "certificate_not_enabled_for_platform",
            "this certificate is not enabled for that platform (mutual recognition)");
      }
    }
    CS_ASSIGN(
        auto open,
        seal ? tx.query_one("SELECT id FROM grants WHERE account_id = ? AND seal_id = ? AND "
                            "status = 'requested'",
                            {account_id, in.seal_id})
             : tx.query_one("SELECT id FROM grants WHERE account_id = ? AND certificate_id = ? AND "
                            "platform_id = ? AND kind = 'certificate' AND status = 'requested'",
                            {account_id, in.certificate_id, in.platform_id}));
    if (open) return conflict("grant_pending", "your request is waiting for the admin");
    const std::string now_text = format_rfc3339(clock_.now());
    CS_TRY(
        tx.exec("INSERT INTO tasks (id, org_id, kind, status, requester_account_id, statement, "
                "payload, created_at) "
                "VALUES (?, ?, ?, 'open', ?, ?, ?, ?)",
                {task_id, org_id, seal ? "seal_grant" : "certificate_grant", account_id,
                 in.statement, nlohmann::json({{"grant_id", id}}).dump(), now_text}));
    CS_TRY(tx.exec(
        "INSERT INTO grants (id, kind, org_id, certificate_id, seal_id, key_id, platform_id, "
        "account_id, "
        "task_id, statement, asked_from, asked_until, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?)",
        {id, in.kind, org_id, certificate_id, seal ? store::Value(in.seal_id) : store::Value(),
         c->text("key_id"), platform_id, account_id, task_id, in.statement,
         in.asked_from == 0 ? store::Value() : store::Value(in.asked_from),
         in.asked_until == 0 ? store::Value() : store::Value(in.asked_until), now_text}));
    auto e = ledger::LedgerEvent("grant.request")
                 .by(account_id)
                 .of(account_id)
                 .on(id)
                 .cert(certificate_id)
                 .at_platform(platform_id)
                 .with("org", org_id)
                 .with("kind", in.kind);
    if (seal) e.with("seal", in.seal_id);
    return ledger::record(ledger_, tx, e);
  }));
  return get(account_id, org_id, id);
}

Result<std::vector<GrantableCertificate>> GrantService::grantable(const std::string& account_id,
                                                                  const std::string& org_id,
                                                                  const std::string& platform_id) {
  const std::int64_t now = clock_.now_unix();
  return db_.read_value<std::vector<GrantableCertificate>>(
      [&](store::Tx& tx) -> Result<std::vector<GrantableCertificate>> {
        CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
        if (role.empty())
          return permission_denied("not_an_active_member",
                                   "only members see the organisation's certificates");
        CS_ASSIGN(
            auto rows,
            tx.query("SELECT c.id, c.subject, c.serial, c.not_after FROM account_certificates ac "
                     "JOIN pki_certificate c ON c.id = ac.certificate_id WHERE ac.org_id = ? AND " +
                         enabled_for_platform_sql("ac.certificate_id", "?", std::to_string(now)) +
                         " ORDER BY ac.created_at",
                     {org_id, platform_id, platform_id}));
        std::vector<GrantableCertificate> out;
        for (const auto& r : rows) {
          out.push_back({r.text("id"), r.text("subject"), r.text("serial"),
                         format_rfc3339(sys_time_from_unix(r.integer("not_after")))});
        }
        return out;
      });
}

Result<std::vector<GrantableSeal>> GrantService::grantable_seals(const std::string& account_id,
                                                                const std::string& org_id) {
  const std::int64_t now = clock_.now_unix();
  return db_.read_value<std::vector<GrantableSeal>>([&](store::Tx& tx) -> Result<std::vector<GrantableSeal>> {
    CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
    if (role.empty()) return permission_denied("not_an_active_member", "only members see the organisation's seals");
    // The same rule as request() for kind "seal".
    CS_ASSIGN(auto rows, tx.query("SELECT s.id, s.name, s.kind, s.certificate_id FROM seals s JOIN account_certificates "
                                  "ac ON ac.certificate_id = s.certificate_id JOIN pki_certificate c ON c.id = "
                                  "ac.certificate_id WHERE ac.org_id = ? AND ac.current = 1 AND s.status = 'active' "
                                  "AND c.status = 'valid' AND c.not_after > ? ORDER BY s.created_at",
                                  {org_id, now}));
    std::vector<GrantableSeal> out;
    for (const auto& r : rows) out.push_back({r.text("id"), r.text("name"), r.text("kind"), r.text("certificate_id")});
    return out;
  });
}

Result<std::vector<AdminContact>> GrantService::admin_contacts(const std::string& account_id, const std::string& org_id) {
  return db_.read_value<std::vector<AdminContact>>([&](store::Tx& tx) -> Result<std::vector<AdminContact>> {
    CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
    if (role.empty())
      return permission_denied("not_an_active_member", "only members see whom to contact");
    CS_ASSIGN(
        auto rows,
        tx.query(
            "SELECT m.role, a.phone, (SELECT pv.name FROM person_verifications pv WHERE "
            "pv.account_id = m.account_id AND pv.status = 'verified' ORDER BY pv.created_at DESC "
            "LIMIT 1) AS real_name FROM memberships m JOIN accounts a ON a.id = m.account_id "
            "WHERE m.org_id = ? AND m.status = 'active' AND m.role IN ('admin', "
            "'legal_representative') ORDER BY m.role, m.created_at",
            {org_id}));
    std::vector<AdminContact> out;
    for (const auto& r : rows)
      out.push_back({r.text("real_name"), r.text("phone"), r.text("role")});
    return out;
  });
}

Result<std::vector<GrantView>> GrantService::list(const std::string& account_id,
                                                  const std::string& org_id,
                                                  const RecordFilter& f) {
  const std::int64_t now = clock_.now_unix();
  return db_.read_value<std::vector<GrantView>>(
      [&](store::Tx& tx) -> Result<std::vector<GrantView>> {
        CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
        if (role.empty())
          return permission_denied("not_an_active_member", "only members see grants");
        std::string sql = std::string(kGrantSelect) + "WHERE g.org_id = ?";
        store::Params p{org_id};
        add_record_filter(sql, p, {"g", "status", "created_at", false}, !is_admin_role(role),
                          account_id, f);
        sql += " ORDER BY g.created_at DESC, g.id DESC LIMIT 5000";
        CS_ASSIGN(auto rows, tx.query(sql, p));
        std::vector<GrantView> out;
        for (const auto& r : rows) out.push_back(grant_from_row(r, now));
        return out;
      });
}

Result<GrantView> GrantService::get(const std::string& account_id, const std::string& org_id,
                                    const std::string& grant_id) {
  const std::int64_t now = clock_.now_unix();
  return db_.read_value<GrantView>([&](store::Tx& tx) -> Result<GrantView> {
    CS_ASSIGN(auto role, role_in(tx, account_id, org_id));
    if (role.empty()) return permission_denied("not_an_active_member", "only members see grants");
    CS_ASSIGN(auto g, load(tx, org_id, grant_id, now));
    if (!is_admin_role(role) && g.account_id != account_id) return grant_not_found();
    return g;
  });
}

Result<std::vector<GrantView>> GrantService::mine(const std::string& account_id) {
  const std::int64_t now = clock_.now_unix();
  return db_.read_value<std::vector<GrantView>>(
      [&](store::Tx& tx) -> Result<std::vector<GrantView>> {
        CS_ASSIGN(auto rows,
                  tx.query(std::string(kGrantSelect) +
                               "WHERE g.account_id = ? ORDER BY g.created_at DESC LIMIT 500",
                           {account_id}));
        std::vector<GrantView> out;
        for (const auto& r : rows) out.push_back(grant_from_row(r, now));
        return out;
      });
}

}  // namespace certseal::service
