#include "store/db.h"

#include <charconv>

namespace certseal::store {

std::string_view engine_name(Engine e) { return e == Engine::kSqlite ? "sqlite" : "postgres"; }

std::int64_t Value::as_int(std::int64_t fallback) const {
  if (auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (auto* d = std::get_if<double>(&v_)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v_)) {
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && p == s->data() + s->size()) return out;
  }
  return fallback;
}

double Value::as_double(double fallback) const {
  if (auto* d = std::get_if<double>(&v_)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v_)) {
    try {
      return std::stod(*s);
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

std::string Value::as_text() const {
  if (auto* s = std::get_if<std::string>(&v_)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v_)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v_)) return std::to_string(*d);
  if (auto* b = std::get_if<Bytes>(&v_)) return std::string(b->begin(), b->end());
  return {};
}

Bytes Value::as_blob() const {
  if (auto* b = std::get_if<Bytes>(&v_)) return *b;
  if (auto* s = std::get_if<std::string>(&v_)) return Bytes(s->begin(), s->end());
  return {};
}

const Value& Row::operator[](std::string_view name) const {
  static const Value kNull;
  for (std::size_t i = 0; i < cols_->size(); ++i) {
    if ((*cols_)[i] == name) return vals_[i];
  }
  return kNull;
}

Result<std::optional<Row>> Tx::query_one(std::string_view sql, const Params& params) {
  CS_ASSIGN(Rows rows, query(sql, params));
  if (rows.empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.front()));
}

namespace {
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
}  // namespace

std::string to_postgres_sql(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
    } else if ((c == 'B' || c == 'b') && sql.substr(i, 4).size() == 4 &&
               (sql.substr(i, 4) == "BLOB" || sql.substr(i, 4) == "blob") &&
               (i == 0 || !is_ident_char(sql[i - 1])) &&
               (i + 4 >= sql.size() || !is_ident_char(sql[i + 4]))) {
      out += "BYTEA";
      i += 3;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace certseal::store
