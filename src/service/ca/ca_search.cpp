// CaService, the operators' read side: each CA's publication state and the certificate search
// (the console's CA page). Read-only; nothing here signs or changes a row.
#include <cctype>

#include "service/ca/ca_service.h"

#include "pki/certificate.h"

namespace certseal::service::ca {
namespace {

std::string rfc3339(std::int64_t unix_s) { return format_rfc3339(sys_time_from_unix(unix_s)); }

std::optional<std::int64_t> expiry(const store::Row& r, const char* column) {
  if (r.is_null(column)) return std::nullopt;
  auto facts = pki::read_certificate(r.blob(column));
  if (!facts) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(facts->not_after.time_since_epoch()).count();
}

// The serial as the search compares it: hex digits only, lower case, no leading zeros; empty
// when `q` is not a serial at all.
std::string serial_key(std::string_view q) {
  std::string out;
  for (char c : q) {
    if (c == ':' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  const auto first = out.find_first_not_of('0');
  return first == std::string::npos ? std::string() : out.substr(first);
}

// `q` inside a LIKE pattern, its wildcards taken literally (ESCAPE '\').
std::string like_part(std::string_view q) {
  std::string out;
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

nlohmann::json CaStatus::to_json(std::int64_t now) const {
  auto when = [](const std::optional<std::int64_t>& t) { return t ? nlohmann::json(rfc3339(*t)) : nlohmann::json(nullptr); };
  auto live = [&](const std::optional<std::int64_t>& t) { return t.has_value() && *t > now; };
  return {{"id", id},
          {"crl_number", crl_number},
          {"crl_this_update", when(crl_this_update)},
          {"crl_next_update", when(crl_next_update)},
          {"crl_fresh", crl_next_update.has_value() && *crl_next_update > now},
          {"issued", issued},
          {"revoked", revoked},
          {"ocsp_not_after", when(ocsp_not_after)},
          {"ocsp_ok", live(ocsp_not_after)},
          {"tsa_not_after", when(tsa_not_after)},
          {"tsa_ok", live(tsa_not_after)}};
}

Result<std::vector<CaStatus>> CaService::status() {
  return db_.read_value<std::vector<CaStatus>>([&](store::Tx& tx) -> Result<std::vector<CaStatus>> {
    CS_ASSIGN(auto rows, tx.query("SELECT id, crl_number, crl, crl_this_update, crl_next_update, ocsp_cert, tsa_cert "
                                  "FROM pki_ca ORDER BY id"));
    std::vector<CaStatus> out;
    for (const auto& r : rows) {
      CaStatus s;
      s.id = r.text("id");
      s.crl_number = r.integer("crl_number");
      if (!r.is_null("crl")) {
        s.crl_this_update = r.integer("crl_this_update");
        s.crl_next_update = r.integer("crl_next_update");
      }
      s.ocsp_not_after = expiry(r, "ocsp_cert");
      s.tsa_not_after = expiry(r, "tsa_cert");
      CS_ASSIGN(auto counts, tx.query_one("SELECT COUNT(*) AS issued, "
                                          "COALESCE(SUM(CASE WHEN status = 'revoked' THEN 1 ELSE 0 END), 0) AS revoked "
                                          "FROM pki_certificate WHERE ca_id = ?",
                                          {s.id}));
      s.issued = counts->integer("issued");
      s.revoked = counts->integer("revoked");
      out.push_back(std::move(s));
    }
    return out;
  });
}

Result<std::vector<CertificateHit>> CaService::search(const CertificateSearch& s) {
  if (!s.status.empty() && s.status != "valid" && s.status != "revoked") {
    return invalid_argument("bad_status", "status must be valid or revoked").with_field("status", "invalid", "valid or revoked");
  }
  if (!s.ca_id.empty()) CS_TRY(require_ca(s.ca_id));
  std::string sql =
      "SELECT c.id, ac.account_id, a.phone FROM pki_certificate c "
      "LEFT JOIN account_certificates ac ON ac.certificate_id = c.id LEFT JOIN accounts a ON a.id = ac.account_id "
      "WHERE 1 = 1";
  store::Params params;
  if (!s.ca_id.empty()) {
    sql += " AND c.ca_id = ?";
    params.emplace_back(s.ca_id);
  }
  if (!s.status.empty()) {
    sql += " AND c.status = ?";
    params.emplace_back(s.status);
  }
  if (!s.query.empty()) {
    sql += " AND (c.subject LIKE ? ESCAPE '\\' OR ac.account_id = ? OR a.phone = ?";
    // Appended piece by piece: GCC 12's -O3 -Wrestrict misfires on "%" + std::string&&.
    std::string pattern = "%";
    pattern += like_part(s.query);
    pattern += '%';
    params.emplace_back(pattern);
    params.emplace_back(s.query);
    params.emplace_back(s.query);
    if (const std::string key = serial_key(s.query); !key.empty()) {
      sql += " OR LTRIM(LOWER(c.serial), '0') = ?";
      params.emplace_back(key);
    }
    sql += ")";
  }
  if (!s.after.empty()) {
    sql += " AND c.id > ?";
    params.emplace_back(s.after);
  }
  sql += " ORDER BY c.id LIMIT ?";
  params.emplace_back(s.limit + 1);
  return db_.read_value<std::vector<CertificateHit>>([&](store::Tx& tx) -> Result<std::vector<CertificateHit>> {
    CS_ASSIGN(auto rows, tx.query(sql, params));
    std::vector<CertificateHit> out;
    for (const auto& r : rows) {
      CertificateHit h;
      h.id = r.text("id");
      CS_ASSIGN(h.record, load(tx, h.id));
      if (!r.is_null("account_id")) h.holder_account_id = r.text("account_id");
      if (!r.is_null("phone")) h.holder_phone = r.text("phone");
      out.push_back(std::move(h));
    }
    return out;
  });
}

}  // namespace certseal::service::ca
