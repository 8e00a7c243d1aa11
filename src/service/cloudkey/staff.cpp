// CloudKeyService: staff records — entered, imported from CSV, applied for and decided
// (cloudkey_service.h).
#include <sstream>

#include <nlohmann/json.hpp>

#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  s.erase(0, i);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

}  // namespace

Result<StaffView> CloudKeyService::add_staff(const std::string& admin_id, const std::string& tenant_id,
                                             const StaffInput& in) {
  CS_TRY(validate_staff(in));
  const std::string id = new_id();
  return db_.write_value<StaffView>([&](store::Tx& tx) -> Result<StaffView> {
    CS_TRY(require_admin(tx, admin_id, tenant_id));
    CS_ASSIGN(auto same, tx.query_one("SELECT id FROM cloudkey_staff WHERE tenant_id = ? AND staff_no = ?",
                                      {tenant_id, in.staff_no}));
    if (same) return conflict("staff_exists", "that staff number has a record already");
    const std::string now = format_rfc3339_ms(clock_.now());
    CS_TRY(tx.exec("INSERT INTO cloudkey_staff (id, tenant_id, staff_no, name, phone, id_number, status, source, "
                   "decided_by, decided_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', 'entered', ?, ?, ?)",
                   {id, tenant_id, in.staff_no, in.name, in.phone, in.id_number, admin_id, now, now}));
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.staff.add")
                                           .by(admin_id)
                                           .of(admin_id)
                                           .on(id)
                                           .with("tenant", tenant_id)
                                           .with("staff_no", in.staff_no)));
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_staff WHERE id = ?", {id}));
    return staff_from_row(*r);
  });
}

Result<std::vector<StaffView>> CloudKeyService::import_staff(const std::string& admin_id, const std::string& tenant_id,
                                                             const std::string& csv,
                                                             std::vector<ImportProblem>* problems) {
  if (csv.size() > (1u << 20)) return field_error("csv", "at most 1 MiB");
  std::vector<std::pair<int, StaffInput>> rows;
  std::vector<ImportProblem> found;
  std::istringstream in(csv);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (trim(line).empty()) continue;
    auto cols = split_csv_line(line);
    if (n == 1 && !cols.empty() && cols[0] == "staff_no") continue;  // the header
    if (cols.size() != 4) {
      found.push_back({n, "line", "4 columns: staff_no,name,phone,id_number"});
      continue;
    }
    StaffInput s{cols[0], cols[1], cols[2], cols[3]};
    if (Status ok = validate_staff(s); !ok) {
      const auto& fe = ok.error().fields;
      found.push_back({n, fe.empty() ? "line" : fe.front().field, ok.error().message});
      continue;
    }
    for (const auto& [m, other] : rows) {
      if (other.staff_no == s.staff_no) found.push_back({n, "staff_no", "repeats line " + std::to_string(m)});
    }
    rows.emplace_back(n, std::move(s));
  }
  if (rows.empty() && found.empty()) return field_error("csv", "no staff lines");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < rows.size(); ++i) ids.push_back(new_id());
  std::vector<ImportProblem> all;
  auto out = db_.write_value<std::vector<StaffView>>([&](store::Tx& tx) -> Result<std::vector<StaffView>> {
    CS_TRY(require_admin(tx, admin_id, tenant_id));
    all = found;  // the transaction may run again: start from the lines' own problems
    for (const auto& [m, s] : rows) {
      CS_ASSIGN(auto same, tx.query_one("SELECT id FROM cloudkey_staff WHERE tenant_id = ? AND staff_no = ?",
                                        {tenant_id, s.staff_no}));
      if (same) all.push_back({m, "staff_no", "that staff number has a record already"});
    }
    if (!all.empty()) return invalid_argument("invalid_csv", std::to_string(all.size()) + " bad lines; nothing imported");
    const std::string now = format_rfc3339_ms(clock_.now());
    std::vector<StaffView> added;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& s = rows[i].second;
      CS_TRY(tx.exec("INSERT INTO cloudkey_staff (id, tenant_id, staff_no, name, phone, id_number, status, source, "
                     "decided_by, decided_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', 'imported', ?, ?, ?)",
                     {ids[i], tenant_id, s.staff_no, s.name, s.phone, s.id_number, admin_id, now, now}));
      CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_staff WHERE id = ?", {ids[i]}));
      added.push_back(staff_from_row(*r));
    }
    nlohmann::json numbers = nlohmann::json::array();
    for (const auto& a : added) numbers.push_back(a.staff_no);
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.staff.import")
                                           .by(admin_id)
                                           .of(admin_id)
                                           .on(tenant_id)
                                           .with("count", static_cast<std::int64_t>(added.size()))
                                           .with("staff_nos", numbers.dump())));
    return added;
  });
  if (problems) *problems = std::move(all);
  return out;
}

Result<std::vector<StaffView>> CloudKeyService::staff(const std::string& admin_id, const std::string& tenant_id,
                                                      const std::string& status) {
  if (!status.empty() && status != "pending" && status != "active" && status != "refused") {
    return field_error("status", "pending, active or refused");
  }
  return db_.read_value<std::vector<StaffView>>([&](store::Tx& tx) -> Result<std::vector<StaffView>> {
    CS_TRY(require_admin(tx, admin_id, tenant_id));
    CS_ASSIGN(auto rows, status.empty()
                             ? tx.query("SELECT s.*, c.certificate_id FROM cloudkey_staff s LEFT JOIN "
                                        "cloudkey_certificates c ON c.staff_id = s.id AND c.current = 1 "
                                        "WHERE s.tenant_id = ? ORDER BY s.staff_no LIMIT 5000",
                                        {tenant_id})
                             : tx.query("SELECT s.*, c.certificate_id FROM cloudkey_staff s LEFT JOIN "
                                        "cloudkey_certificates c ON c.staff_id = s.id AND c.current = 1 "
                                        "WHERE s.tenant_id = ? AND s.status = ? ORDER BY s.staff_no LIMIT 5000",
                                        {tenant_id, status}));
    std::vector<StaffView> out;
    for (const auto& r : rows) {
      out.push_back(staff_from_row(r));
      out.back().certificate_id = r.text("certificate_id");
    }
    return out;
  });
}

Result<StaffView> CloudKeyService::apply(const std::string& account_id, const std::string& tenant_id,
                                         const StaffInput& given) {
  const std::string id = new_id();
  return db_.write_value<StaffView>([&](store::Tx& tx) -> Result<StaffView> {
    StaffInput in = given;
    CS_ASSIGN(in.phone, phone_of(tx, account_id));
    CS_TRY(validate_staff(in));
    CS_ASSIGN(auto t, tx.query_one("SELECT id FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
    if (!t) return tenant_not_found();
    CS_ASSIGN(auto same, tx.query_one("SELECT id, status FROM cloudkey_staff WHERE tenant_id = ? AND staff_no = ?",
                                      {tenant_id, in.staff_no}));
    const std::string now = format_rfc3339_ms(clock_.now());
    std::string row_id = id;
    if (same && same->text("status") != "refused") {
      return conflict("staff_exists", "that staff number has a record already");
    }
    if (same) {
      // A refused application may be made again: the same record, pending anew.
      row_id = same->text("id");
      CS_TRY(tx.exec("UPDATE cloudkey_staff SET name = ?, phone = ?, id_number = ?, status = 'pending', "
                     "source = 'applied', applicant_id = ?, decided_by = NULL, decided_at = NULL, reason = NULL, "
                     "created_at = ? WHERE id = ?",
                     {in.name, in.phone, in.id_number, account_id, now, row_id}));
    } else {
      CS_TRY(tx.exec("INSERT INTO cloudkey_staff (id, tenant_id, staff_no, name, phone, id_number, status, source, "
                     "applicant_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 'applied', ?, ?)",
                     {row_id, tenant_id, in.staff_no, in.name, in.phone, in.id_number, account_id, now}));
    }
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.staff.apply")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(row_id)
                                           .with("tenant", tenant_id)
                                           .with("staff_no", in.staff_no)));
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_staff WHERE id = ?", {row_id}));
    return staff_from_row(*r);
  });
}

Result<StaffView> CloudKeyService::decide(const std::string& admin_id, const std::string& tenant_id,
                                          const std::string& staff_id, bool approve, const std::string& reason) {
  if (!approve && (reason.empty() || reason.size() > 500)) {
    return invalid_argument("reason_required", "a refusal needs a reason (at most 500 bytes)").with_field("reason", "required", "1 to 500 bytes");
  }
  return db_.write_value<StaffView>([&](store::Tx& tx) -> Result<StaffView> {
    CS_TRY(require_admin(tx, admin_id, tenant_id));
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_staff SET status = ?, decided_by = ?, decided_at = ?, reason = ? "
                              "WHERE id = ? AND tenant_id = ? AND status = 'pending'",
                              {approve ? "active" : "refused", admin_id, format_rfc3339_ms(clock_.now()),
                               approve ? store::Value() : store::Value(reason), staff_id, tenant_id}));
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_staff WHERE id = ? AND tenant_id = ?", {staff_id, tenant_id}));
    if (!r) return staff_not_found();
    if (n == 0) return conflict("staff_not_pending", "this record was decided already");
    // The admin's decision, in the admin's records and the applicant's.
    for (const std::string& owner : {admin_id, r->text("applicant_id")}) {
      if (owner.empty()) continue;
      CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent(approve ? "cloudkey.staff.approve" : "cloudkey.staff.refuse")
                                             .by(admin_id)
                                             .of(owner)
                                             .on(staff_id)
                                             .with("tenant", tenant_id)
                                             .with("staff_no", r->text("staff_no"))
                                             .with("reason", approve ? std::string() : reason)));
    }
    return staff_from_row(*r);
  });
}

}  // namespace certseal::service
