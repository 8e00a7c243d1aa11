// Scene requests from the relying party's side after the user acts, on both engines: a refusal
// seen by poll and by callback; callbacks signed, retried with back-off, then given up (the poll
// still answers), every attempt logged for the operator; the long poll returning on an answer.
// The fixture is in scene_test_fixture.h; the suite is instantiated in scene_service_test.cpp.
#include "service/scene/scene_test_fixture.h"

namespace certseal::service::scene_testing {
namespace {

TEST_P(SceneServiceTest, UserRefusalReachesTheRelyingPartyByPollAndCallback) {
  SceneCreated c = create("20", "付款确认");
  ASSERT_TRUE(scenes_->claim(alice_, token_of(c)).ok());
  auto r = scenes_->refuse(alice_, c.request.id, "不是我发起的");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "refused");
  EXPECT_EQ(scenes_->refuse(alice_, c.request.id, "").error().code, "scene_request_finished");
  EXPECT_EQ(scenes_->get(app_, c.request.id)->status, "refused");
  ASSERT_EQ(*scenes_->deliver_callbacks(), 1);
  ASSERT_EQ(sender_.calls.size(), 1u);
  auto body = nlohmann::json::parse(sender_.calls[0].body);
  EXPECT_EQ(body["type"], "scene_request.refused");
  EXPECT_EQ(body["request"]["result"]["reason"], "不是我发起的");
}

TEST_P(SceneServiceTest, CallbacksAreSignedRetriedWithBackoffThenGivenUp) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("06");
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(scenes_->complete(alice_, c.request.id, sign(claim->request, cert)).ok());
  sender_.answers = {500, -1};
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // 500
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // not due yet: back-off
  EXPECT_EQ(sender_.calls.size(), 1u);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // unreachable
  clock_.advance(std::chrono::seconds(3));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // the second wait is 4 s
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 1);
  ASSERT_EQ(sender_.calls.size(), 3u);
  // The same event id each time; the signature verifies with the app's secret.
  const auto& last = sender_.calls.back();
  const std::string event_id = header(last, "X-CertSeal-Event-Id");
  EXPECT_EQ(header(sender_.calls[0], "X-CertSeal-Event-Id"), event_id);
  EXPECT_EQ(last.url, "https://rp.example/cb?x=1");
  EXPECT_EQ(header(last, "X-CertSeal-Signature"),
            rp_authorization(kRpSchemeSha256, app_.id, secret_, "POST", "/cb?x=1", last.body, clock_.now_unix(),
                             event_id));
  EXPECT_EQ(nlohmann::json::parse(last.body)["event_id"], event_id);
  // A receiver that never answers: given up after callback_max_attempts; the poll still answers.
  SceneCreated d = create("06");
  auto claim2 = scenes_->claim(alice_, token_of(d));
  ASSERT_TRUE(scenes_->complete(alice_, d.request.id, sign(claim2->request, cert)).ok());
  sender_.answers = std::vector<int>(8, 503);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(*scenes_->deliver_callbacks(), 0);
    clock_.advance(std::chrono::seconds(3600));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_callbacks WHERE request_id = ? AND status = 'failed' AND attempts = 8",
                  {d.request.id}),
            1);
  EXPECT_EQ(scenes_->get(app_, d.request.id)->status, "completed");
}

// The console's callback delivery log: every attempt with its number, URL, HTTP status or
// error and the next attempt's time; the last one delivered without a next time. Another app's
// log does not show these; an unknown app and a bad limit are refused.
TEST_P(SceneServiceTest, EveryCallbackAttemptIsLoggedForTheOperator) {
  SceneCreated c = create("20", "付款确认");
  ASSERT_TRUE(scenes_->claim(alice_, token_of(c)).ok());
  ASSERT_TRUE(scenes_->refuse(alice_, c.request.id, "不是我").ok());
  sender_.answers = {500, -1};
  const std::int64_t t0 = clock_.now_unix();
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);
  clock_.advance(std::chrono::seconds(4));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 1);
  auto log = scenes_->callback_attempts(app_.id, 50);
  ASSERT_TRUE(log.ok()) << log.error().code;
  ASSERT_EQ(log->size(), 3u);
  const auto& delivered = (*log)[0];
  const auto& unreachable = (*log)[1];
  const auto& http500 = (*log)[2];
  EXPECT_EQ(delivered.attempt, 3);
  EXPECT_EQ(delivered.http_status, 200);
  EXPECT_EQ(delivered.error, "");
  EXPECT_FALSE(delivered.next_at.has_value());
  EXPECT_EQ(delivered.event_status, "delivered");
  EXPECT_EQ(delivered.event_type, "scene_request.refused");
  EXPECT_EQ(delivered.request_id, c.request.id);
  EXPECT_EQ(delivered.url, "https://rp.example/cb?x=1");
  EXPECT_EQ(unreachable.attempt, 2);
  EXPECT_FALSE(unreachable.http_status.has_value());
  EXPECT_EQ(unreachable.error, "connection refused");
  EXPECT_EQ(unreachable.next_at, t0 + 2 + 4);
  EXPECT_EQ(http500.attempt, 1);
  EXPECT_EQ(http500.http_status, 500);
  EXPECT_EQ(http500.error, "HTTP 500");
  EXPECT_EQ(http500.next_at, t0 + 2);
  EXPECT_EQ(http500.event_id, delivered.event_id);
  EXPECT_EQ(scenes_->callback_attempts(app_.id, 1)->size(), 1u);
  auto other = apps_->create("op-1", {"另一接入方", home_, "https://other.example/cb", {"06"}, {}});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(scenes_->callback_attempts(other->app.id, 50)->empty());
  EXPECT_EQ(scenes_->callback_attempts("no-such-app", 50).error().code, "rp_app_not_found");
  EXPECT_EQ(scenes_->callback_attempts(app_.id, 0).error().code, "invalid_field");
  EXPECT_EQ(scenes_->callback_attempts(app_.id, 201).error().code, "invalid_field");
}

TEST_P(SceneServiceTest, LongPollReturnsWhenTheRequestIsAnswered) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("06");
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(claim.ok());
  auto completion = sign(claim->request, cert);
  auto t0 = std::chrono::steady_clock::now();
  auto poll = std::async(std::launch::async, [&] { return scenes_->get(app_, c.request.id, 20000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(scenes_->complete(alice_, c.request.id, completion).ok());
  auto v = poll.get();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->status, "completed");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  // Without an answer, the poll returns after its wait with the request still open.
  SceneCreated d = create("06");
  auto w = scenes_->get(app_, d.request.id, 300);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->status, "pending");
}

}  // namespace
}  // namespace certseal::service::scene_testing
