#include "store/page_query.h"

namespace certseal::store {

Result<Rows> query_page(Tx& tx, const PageQuery& q) {
  std::string sql = q.select + " WHERE 1 = 1";
  Params params;
  for (const auto& [column, value] : q.equals) {
    if (auto* s = std::get_if<std::string>(&value.storage()); s && s->empty()) continue;
    sql += " AND " + column + " = ?";
    params.push_back(value);
  }
  if (!q.condition.empty()) sql += " AND (" + q.condition + ")";
  if (!q.after.empty()) {
    sql += " AND " + q.cursor_column + (q.descending ? " < ?" : " > ?");
    params.emplace_back(q.after);
  }
  sql += " ORDER BY " + q.cursor_column + (q.descending ? " DESC" : "") + " LIMIT ?";
  params.emplace_back(q.limit);
  return tx.query(sql, params);
}

}  // namespace certseal::store
