// The sandbox gateway's signatures: what it signs verifies; a changed body, another key, a
// missing or malformed signature and a body without the required fields are refused; the key
// survives a restart (the file is reused).
#include "service/order/sandbox_gateway.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "support/engine_fixture.h"

namespace certseal::service {
namespace {

class SandboxGatewayTest : public testing::EngineTest {
 protected:
  std::unique_ptr<SandboxGateway> open(const std::string& key_file) {
    auto g = SandboxGateway::open(*db_, clock_, rng_, log_, key_file, "http://127.0.0.1:1");
    EXPECT_TRUE(g.ok()) << g.error().cause;
    return g.ok() ? std::move(g).value() : nullptr;
  }
  SystemClock clock_;
  SeededRng rng_{42};
  MemoryLogger log_;
};

const std::string kBody =
    R"({"payment_id":"p1","order_id":"o1","amount_fen":12000,"trade_no":"T1","status":"success"})";

TEST_P(SandboxGatewayTest, VerifiesItsOwnSignaturesOnly) {
  auto g = open(dir_.path() + "/gw.pem");
  ASSERT_TRUE(g);
  auto sig = g->sign(kBody);
  ASSERT_TRUE(sig.ok());
  auto n = g->verify_notification(kBody, {{"x-sandbox-signature", *sig}});
  ASSERT_TRUE(n.ok()) << n.error().code;
  EXPECT_EQ(n->payment_id, "p1");
  EXPECT_EQ(n->order_id, "o1");
  EXPECT_EQ(n->amount_fen, 12000);
  EXPECT_EQ(n->trade_no, "T1");
  EXPECT_TRUE(n->success);

  std::string changed = kBody;
  changed.replace(changed.find("12000"), 5, "00001");
  EXPECT_EQ(g->verify_notification(changed, {{"X-Sandbox-Signature", *sig}}).error().code, "signature_invalid");
  EXPECT_EQ(g->verify_notification(kBody, {}).error().code, "signature_invalid");
  EXPECT_EQ(g->verify_notification(kBody, {{"X-Sandbox-Signature", "not base64!"}}).error().code, "signature_invalid");

  auto other = open(dir_.path() + "/other.pem");
  ASSERT_TRUE(other);
  auto forged = other->sign(kBody);
  EXPECT_EQ(g->verify_notification(kBody, {{"X-Sandbox-Signature", *forged}}).error().code, "signature_invalid");

  std::string incomplete = R"({"payment_id":"p1","order_id":"o1"})";
  auto isig = g->sign(incomplete);
  EXPECT_EQ(g->verify_notification(incomplete, {{"X-Sandbox-Signature", *isig}}).error().code, "notification_malformed");

  // Reopened from the same file: the same key.
  auto again = open(dir_.path() + "/gw.pem");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->verify_notification(kBody, {{"X-Sandbox-Signature", *sig}}).ok());
}

TEST_P(SandboxGatewayTest, UnknownPaymentsHaveNoPageAndNoNotification) {
  auto g = open(dir_.path() + "/gw.pem");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->payment_page("nope").error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(g->confirm("nope").error().kind, ErrorKind::kNotFound);
  auto delivered = g->deliver_pending();
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(*delivered, 0);
  EXPECT_EQ(g->start({"p9", "o9", 100, "x"})->pay_url, "http://127.0.0.1:1/sandbox-pay/p9");
}

CERTSEAL_INSTANTIATE_ENGINES(SandboxGatewayTest);

}  // namespace
}  // namespace certseal::service
