#include "client/duration.h"

#include <gtest/gtest.h>

#include "client/exit_codes.h"
#include "client/messages.h"

namespace certseal::client {
namespace {

using std::chrono::seconds;

TEST(ClientDuration, ParsesUnitsAndRejectsGarbage) {
  EXPECT_EQ(parse_duration("90").value(), seconds(90));
  EXPECT_EQ(parse_duration("45s").value(), seconds(45));
  EXPECT_EQ(parse_duration("5m").value(), seconds(300));
  EXPECT_EQ(parse_duration("2h").value(), seconds(7200));
  for (const char* bad : {"", "m", "-5m", "5x", "1.5h", "0", "0m", "5 m", "9999999999h"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "usage") << bad;
    EXPECT_EQ(exit_code_for(r.error()), kExitUsage);
  }
}

TEST(ClientDuration, PinCacheAllowsOnlyTheOfferedChoices) {
  EXPECT_EQ(parse_pin_cache_ttl("1m").value(), seconds(60));
  EXPECT_EQ(parse_pin_cache_ttl("5m").value(), seconds(300));
  EXPECT_EQ(parse_pin_cache_ttl("10m").value(), seconds(600));
  EXPECT_EQ(parse_pin_cache_ttl("30m").value(), seconds(1800));
  EXPECT_EQ(parse_pin_cache_ttl("1h").value(), seconds(3600));
  EXPECT_EQ(parse_pin_cache_ttl("60m").value(), seconds(3600));
  EXPECT_EQ(parse_pin_cache_ttl("off").value(), seconds(0));
  EXPECT_FALSE(parse_pin_cache_ttl("2m").ok());
  EXPECT_FALSE(parse_pin_cache_ttl("2h").ok());
  EXPECT_FALSE(parse_pin_cache_ttl("forever").ok());
  EXPECT_EQ(format_duration(seconds(0)), "off");
  EXPECT_EQ(format_duration(seconds(3600)), "1h");
  EXPECT_EQ(format_duration(seconds(300)), "5m");
  EXPECT_EQ(format_duration(seconds(45)), "45s");
}

TEST(ClientExitCodes, MapErrorsAsDocumented) {
  EXPECT_EQ(exit_code_for(Error(ErrorKind::kPermissionDenied, "bad_unlock_proof", "")), kExitPassword);
  EXPECT_EQ(exit_code_for(Error(ErrorKind::kConflict, "key_locked", "")), kExitPassword);
  EXPECT_EQ(exit_code_for(Error(ErrorKind::kConflict, "already_revoked", "", "server:{}")), kExitRefused);
  EXPECT_EQ(exit_code_for(Error(ErrorKind::kUnauthenticated, "not_logged_in", "")), kExitRefused);
  EXPECT_EQ(exit_code_for(Error(ErrorKind::kUnavailable, "network", "")), kExitServer);
  EXPECT_EQ(exit_code_for(Error(ErrorKind::kInvalidArgument, "not_available", "")), kExitUsage);
}

TEST(ClientMessages, ChineseByDefaultEnglishOnRequest) {
  Language saved = language();
  set_language(language_from("zh"));
  EXPECT_EQ(tr("prompt.cert_password"), "请输入证书密码: ");
  EXPECT_EQ(tr("err.wrong_password_left", "3"), "证书密码错误，还可尝试 3 次");
  set_language(language_from("en_US.UTF-8"));
  EXPECT_EQ(tr("err.wrong_password_left", "3"), "wrong certificate password; 3 tries left");
  EXPECT_EQ(tr("no.such.key"), "no.such.key");
  set_language(saved);
}

}  // namespace
}  // namespace certseal::client
