#include "service/account/agreements.h"

#include "base/id.h"

namespace certseal::service {

Result<Agreement> AgreementService::current(const std::string& kind) {
  return db_.read_value<Agreement>([&](store::Tx& tx) -> Result<Agreement> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM agreements WHERE kind = ? ORDER BY version DESC LIMIT 1",
                                   {kind}));
    if (!r) return not_found("agreement_not_found", "no such agreement");
    return Agreement{r->text("kind"), r->text("title"), r->text("body"), r->text("published_at"),
                     r->integer("version")};
  });
}

Result<bool> AgreementService::has_accepted_current(store::Tx& tx, const std::string& account_id,
                                                    const std::string& kind) {
  CS_ASSIGN(auto r, tx.query_one(
                        "SELECT COUNT(*) AS n FROM agreement_acceptances a WHERE a.account_id = ? "
                        "AND a.kind = ? AND a.version = (SELECT MAX(version) FROM agreements WHERE kind = ?)",
                        {account_id, kind, kind}));
  return r->integer("n") > 0;
}

Result<Acceptance> AgreementService::accept(const std::string& account_id, const std::string& kind,
                                            std::int64_t version, const std::string& remote_addr) {
  CS_ASSIGN(auto cur, current(kind));
  if (version != cur.version) {
    return conflict("agreement_outdated",
                    "version " + std::to_string(version) + " is not the current version (" +
                        std::to_string(cur.version) + ") of this agreement; read it again");
  }
  Acceptance a{new_uuid_v7(clock_, rng_), kind, format_rfc3339(clock_.now()), version};
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO agreement_acceptances (id, account_id, kind, version, accepted_at, remote_addr) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {a.id, account_id, kind, version, a.accepted_at, remote_addr}));
    return {};
  }));
  return a;
}

Result<std::vector<Acceptance>> AgreementService::acceptances(const std::string& account_id) {
  return db_.read_value<std::vector<Acceptance>>([&](store::Tx& tx) -> Result<std::vector<Acceptance>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM agreement_acceptances WHERE account_id = ? "
                                  "ORDER BY accepted_at, id",
                                  {account_id}));
    std::vector<Acceptance> out;
    for (auto& r : rows) {
      out.push_back({r.text("id"), r.text("kind"), r.text("accepted_at"), r.integer("version")});
    }
    return out;
  });
}

}  // namespace certseal::service
