// CSV export (RFC 4180): one record per line, CRLF line ends, fields quoted when they hold a
// comma, a double quote, CR or LF (quotes doubled inside). Text is UTF-8 as stored; the export
// starts with a UTF-8 byte order mark so that spreadsheet programs read Chinese text right.
// A field that a spreadsheet would take for a formula (it starts with =, +, -, @, a tab or a CR:
// "CSV injection") is written with a leading apostrophe, so a member's text such as
// =HYPERLINK(...) in a purpose is shown as text to the admin who opens the export.
//
//   std::string out = csv_header();
//   out += csv_record({"id", "member"});
//
// Contract: pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

namespace certseal::api {

std::string csv_field(const std::string& value);
std::string csv_record(const std::vector<std::string>& fields);
// The byte order mark that starts an export.
inline std::string csv_header() { return "\xEF\xBB\xBF"; }

}  // namespace certseal::api
