#include "api/csv.h"

#include <gtest/gtest.h>

namespace certseal::api {
namespace {

TEST(Csv, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(csv_field("plain 文本"), "plain 文本");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\r\nlines"), "\"two\r\nlines\"");
  EXPECT_EQ(csv_record({"a", "b,c", ""}), "a,\"b,c\",\r\n");
}

// What a member types as a purpose must not run as a formula in the admin's spreadsheet.
TEST(Csv, FieldsASpreadsheetWouldRunAsFormulasAreWrittenAsText) {
  EXPECT_EQ(csv_field("=HYPERLINK(\"http://evil.example/\",\"点击\")"),
            "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"点击\"\")\"");
  EXPECT_EQ(csv_field("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
  EXPECT_EQ(csv_field("-2+3"), "'-2+3");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("\t=1"), "'\t=1");
  EXPECT_EQ(csv_field("\r=1"), "\"'\r=1\"");
  // Not at the start: ordinary text.
  EXPECT_EQ(csv_field("a=b"), "a=b");
  EXPECT_EQ(csv_field("2026-11-30T06:00:00Z"), "2026-11-30T06:00:00Z");
}

}  // namespace
}  // namespace certseal::api
