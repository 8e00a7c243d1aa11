#include "service/notify/sms.h"

#include <gtest/gtest.h>

#include "support/engine_fixture.h"

namespace certseal::service {
namespace {

TEST(SmsOutboxMask, HidesTheDigitsOfCodesOnly) {
  const std::string text = "【CertSeal】您正在登录，验证码482913，5分钟内有效。请勿向任何人泄露。";
  EXPECT_EQ(mask_sms_code("sms_code_login", text), "【CertSeal】您正在登录，验证码******，5分钟内有效。请勿向任何人泄露。");
  EXPECT_EQ(mask_sms_code("sms_code_authorise", "code 1234 and 12"), "code **** and 12");
  // Notices carry no secret: order numbers and dates stay readable.
  const std::string notice = "您的订单 20260101 已审核通过";
  EXPECT_EQ(mask_sms_code("order_approved", notice), notice);
}

class SmsOutboxTest : public certseal::testing::EngineTest {};

// An operator's listing (reveal_codes false) never contains a code; the server-machine listing does.
TEST_P(SmsOutboxTest, OperatorListingMasksCodes) {
  SystemClock clock;
  SystemRng rng;
  OutboxSmsSender sender(*db_, clock, rng);
  ASSERT_TRUE(sender.send({"13900000123", "sms_code_login", {{"code", "482913"}}, "验证码482913，5分钟内有效"}).ok());
  ASSERT_TRUE(sender.send({"13900000123", "order_approved", {}, "订单 778899 已通过"}).ok());
  auto masked = list_sms_outbox(*db_, "13900000123", "", 10, /*reveal_codes=*/false);
  ASSERT_TRUE(masked.ok());
  ASSERT_EQ(masked->size(), 2u);
  for (const auto& e : *masked) {
    EXPECT_EQ(e.text.find("482913"), std::string::npos) << e.text;
    EXPECT_EQ(e.text, e.template_id == "sms_code_login" ? "验证码******，5分钟内有效" : "订单 778899 已通过");
  }
  auto clear = list_sms_outbox(*db_, "13900000123", "", 10, /*reveal_codes=*/true);
  ASSERT_TRUE(clear.ok());
  ASSERT_EQ(clear->size(), 2u);
  for (const auto& e : *clear) {
    EXPECT_EQ(e.text, e.template_id == "sms_code_login" ? "验证码482913，5分钟内有效" : "订单 778899 已通过");
  }
}

CERTSEAL_INSTANTIATE_ENGINES(SmsOutboxTest);

}  // namespace
}  // namespace certseal::service
