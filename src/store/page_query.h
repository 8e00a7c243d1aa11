// One way to read a page of a list: equality filters, a cursor on a unique ordered column, and a
// limit. Builds "<select> WHERE 1 = 1 AND a = ? ... AND <cursor> >|< ? ORDER BY <cursor> LIMIT ?"
// with every value bound as a parameter (no value is ever spliced into SQL).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/db.h"

namespace certseal::store {

struct PageQuery {
  std::string select;  // e.g. "SELECT * FROM organisations"
  std::vector<std::pair<std::string, Value>> equals;  // column -> value; empty text values skipped
  std::string condition;    // an extra constant condition written by the caller (never user input)
  std::string cursor_column = "id";
  std::string after;        // cursor value of the last row of the previous page, or empty
  bool descending = false;  // newest first
  int limit = 20;
};

Result<Rows> query_page(Tx& tx, const PageQuery& q);

}  // namespace certseal::store
