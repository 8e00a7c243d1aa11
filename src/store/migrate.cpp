#include "store/migrate.h"

#include <set>

namespace certseal::store {

Result<MigrateReport> migrate(Database& db, std::span<const Migration> migrations,
                              const Clock& clock) {
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      return internal_error("migrations out of order at version " +
                            std::to_string(migrations[i].version));
    }
  }
  return db.write_value<MigrateReport>([&](Tx& tx) -> Result<MigrateReport> {
    if (tx.engine() == Engine::kPostgres) {
      // One fixed key for "CertSeal schema": concurrent migrators queue here.
      CS_TRY(tx.query("SELECT pg_advisory_xact_lock(7317020101)"));
    }
    CS_TRY(tx.exec_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
    CS_ASSIGN(Rows rows, tx.query("SELECT version FROM schema_migrations ORDER BY version"));
    std::set<int> done;
    for (auto& r : rows) done.insert(static_cast<int>(r.integer("version")));
    int known_max = migrations.empty() ? 0 : migrations.back().version;
    if (!done.empty() && *done.rbegin() > known_max) {
      return Error(ErrorKind::kFailedPrecondition, "schema_too_new",
                   "the database was migrated by a newer CertSeal release",
                   "database at version " + std::to_string(*done.rbegin()) +
                       ", this binary knows up to " + std::to_string(known_max));
    }
    MigrateReport report;
    for (const auto& m : migrations) {
      if (done.count(m.version)) continue;
      const std::string& sql =
          tx.engine() == Engine::kPostgres && !m.sql_postgres.empty() ? m.sql_postgres : m.sql;
      auto s = tx.exec_script(sql);
      if (!s) {
        Error e = std::move(s).error();
        e.cause = "migration " + std::to_string(m.version) + " (" + m.name + "): " + e.cause;
        return e;
      }
      CS_TRY(tx.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {m.version, m.name, format_rfc3339(clock.now())}));
      report.applied.push_back(m.version);
      done.insert(m.version);
    }
    report.current = done.empty() ? 0 : *done.rbegin();
    return report;
  });
}

}  // namespace certseal::store
