#include "api/dispatcher.h"

#include <gtest/gtest.h>

#include "api/metrics.h"
#include "api/problem.h"
#include "support/test_env.h"

namespace certseal::api {
namespace {

Result<Reply> echo_param(RequestContext& ctx) { return Reply::json({{"id", ctx.param("id")}}); }
Result<Reply> echo_json(RequestContext& ctx) {
  CS_ASSIGN(auto j, ctx.json_body());
  return Reply::json({{"got", j}}, 201);
}
Result<Reply> whoami(RequestContext& ctx) {
  return Reply::json({{"account", ctx.principal()->account_id}});
}
Result<Reply> boom(RequestContext&) {
  return internal_error("SELECT secret FROM keys WHERE id = 7");
}
Result<Reply> paged(RequestContext& ctx) {
  CS_ASSIGN(auto p, page_request(ctx));
  return Reply::json(page_json(nlohmann::json::array({p.after}), std::nullopt));
}

constexpr Route kTestRoutes[] = {
    {"GET", "/t/{id}", Role::kPublic, echo_param},
    {"POST", "/t/json", Role::kPublic, echo_json},
    {"DELETE", "/t/{id}", Role::kOperator, echo_param},
    {"GET", "/me", Role::kUser, whoami},
    {"GET", "/boom", Role::kPublic, boom},
    {"GET", "/paged", Role::kPublic, paged},
    {"POST", "/upload", Role::kUser, echo_param, BodyKind::kAny, BodyLimit::kUpload},
    {"POST", "/small", Role::kPublic, echo_param, BodyKind::kAny, BodyLimit::kSmall},
    {"GET", "/fast", Role::kPublic, echo_param, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/metrics", Role::kMetrics, echo_param},
};

// "Bearer user-<id>" is a user; "Bearer op-<id>" an operator; anything else is refused.
class TokenAuth final : public Authenticator {
 public:
  Result<Principal> authenticate(const net::Request& req) override {
    std::string_view h = req.header("Authorization");
    if (h.rfind("Bearer user-", 0) == 0) return Principal{std::string(h.substr(12)), {Role::kUser}};
    if (h.rfind("Bearer op-", 0) == 0) {
      return Principal{std::string(h.substr(10)), {Role::kUser, Role::kOperator}};
    }
    return Error(ErrorKind::kUnauthenticated, "unauthenticated", "please log in");
  }
};

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest()
      : db_(std::move(store::open_sqlite({dir_.path() + "/d.db"})).value()),
        services_{clock_, rng_, log_, *db_, metrics_, "test", "node"},
        dispatcher_(services_, &auth_, kTestRoutes) {}

  net::Response call(std::string method, std::string target, std::string body = {},
                     net::Headers headers = {}) {
    net::Request req;
    req.method = std::move(method);
    req.target = target;
    auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.body = std::move(body);
    req.headers = std::move(headers);
    return dispatcher_.handle(req);
  }
  static nlohmann::json body(const net::Response& r) { return nlohmann::json::parse(r.body); }
  static std::string header(const net::Response& r, std::string_view name) {
    return std::string(net::find_header(r.headers, name));
  }

  certseal::testing::TempDir dir_;
  SystemClock clock_;
  SystemRng rng_;
  MemoryLogger log_;
  Metrics metrics_;
  TokenAuth auth_;
  std::unique_ptr<store::Database> db_;
  Services services_;
  Dispatcher dispatcher_;
};

TEST_F(DispatcherTest, RoutesWithPathParameters) {
  auto r = call("GET", "/t/a%20b");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["id"], "a b");
  EXPECT_FALSE(header(r, "X-Request-Id").empty());
}

TEST_F(DispatcherTest, UnknownRouteIs404Problem) {
  auto r = call("GET", "/nothing/here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  auto b = body(r);
  EXPECT_EQ(b["code"], "not_found");
  EXPECT_EQ(b["status"], 404);
  EXPECT_TRUE(b.contains("type") && b.contains("title") && b.contains("detail"));
}

TEST_F(DispatcherTest, WrongMethodIs405WithAllow) {
  auto r = call("PUT", "/t/x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(body(r)["code"], "method_not_allowed");
  EXPECT_EQ(header(r, "Allow"), "GET, DELETE");
}

TEST_F(DispatcherTest, MalformedJsonIs400) {
  auto r = call("POST", "/t/json", "{\"a\": ", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "malformed_json");
  auto ok = call("POST", "/t/json", "{\"a\": 1}", {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(body(ok)["got"]["a"], 1);
}

TEST_F(DispatcherTest, NonJsonBodyIs415) {
  auto r = call("POST", "/t/json", "a=1", {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(body(r)["code"], "unsupported_media_type");
  auto none = call("POST", "/t/json", "{}");
  EXPECT_EQ(none.status, 415);
  auto vendor = call("POST", "/t/json", "{}", {{"Content-Type", "application/merge-patch+json"}});
  EXPECT_EQ(vendor.status, 201);
}

TEST_F(DispatcherTest, RolesAreEnforcedFromTheRefusedSide) {
  auto anon = call("GET", "/me");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(header(anon, "WWW-Authenticate"), "Bearer");
  auto forged = call("GET", "/me", {}, {{"Authorization", "Bearer forged"}});
  EXPECT_EQ(forged.status, 401);
  auto user = call("GET", "/me", {}, {{"Authorization", "Bearer user-u1"}});
  EXPECT_EQ(user.status, 200);
  EXPECT_EQ(body(user)["account"], "u1");
  auto user_on_operator_route = call("DELETE", "/t/x", {}, {{"Authorization", "Bearer user-u1"}});
  EXPECT_EQ(user_on_operator_route.status, 403);
  EXPECT_EQ(body(user_on_operator_route)["code"], "forbidden");
  auto op = call("DELETE", "/t/x", {}, {{"Authorization", "Bearer op-o1"}});
  EXPECT_EQ(op.status, 200);
}

TEST_F(DispatcherTest, NoAuthenticatorMeansEveryProtectedRouteIs401) {
  Dispatcher bare(services_, nullptr, kTestRoutes);
  net::Request req;
  req.method = "GET";
  req.path = req.target = "/me";
  req.headers = {{"Authorization", "Bearer op-o1"}};
  EXPECT_EQ(bare.handle(req).status, 401);
}

TEST_F(DispatcherTest, InternalErrorsHideTheirCauseButLogIt) {
  auto r = call("GET", "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(body(r)["detail"], "internal error");
  bool logged = false;
  for (auto& l : log_.lines()) logged |= l.find("SELECT secret") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(DispatcherTest, RequestIdIsEchoedWhenValidAndReplacedOtherwise) {
  auto r = call("GET", "/t/1", {}, {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(header(r, "X-Request-Id"), "abc-123");
  auto bad = call("GET", "/t/1", {}, {{"X-Request-Id", "no spaces <script>"}});
  EXPECT_NE(header(bad, "X-Request-Id"), "no spaces <script>");
  EXPECT_EQ(header(bad, "X-Request-Id").size(), 24u);
}

TEST_F(DispatcherTest, PaginationValidatesLimit) {
  EXPECT_EQ(call("GET", "/paged?after=x&limit=5").status, 200);
  auto r = call("GET", "/paged?limit=1000");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["errors"][0]["field"], "limit");
  EXPECT_EQ(call("GET", "/paged?limit=abc").status, 400);
  auto none = call("GET", "/paged");
  EXPECT_EQ(body(none)["items"][0], "");
  EXPECT_TRUE(body(none)["next"].is_null());
}

TEST_F(DispatcherTest, MetricsCountByRoutePatternAndStatus) {
  call("GET", "/t/1");
  call("GET", "/t/2");
  call("GET", "/nope");
  std::string m = metrics_.render();
  EXPECT_NE(m.find("certseal_http_requests_total{route=\"/t/{id}\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos) << m;
  EXPECT_NE(m.find("route=\"unmatched\",method=\"GET\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(m.find("certseal_http_request_duration_seconds_count{route=\"/t/{id}\"} 2"),
            std::string::npos);
}

TEST(Problem, StatusMapping) {
  EXPECT_EQ(http_status_for(Error(ErrorKind::kPayloadTooLarge, "x", "y")), 413);
  EXPECT_EQ(http_status_for(Error(ErrorKind::kUnsupportedMediaType, "x", "y")), 415);
  EXPECT_EQ(http_status_for(Error(ErrorKind::kPermissionDenied, "x", "y")), 403);
  auto r = problem_response(invalid_argument("bad_id", "the ID number's check digit is wrong")
                                .with_field("id_number", "check_digit", "wrong check digit"),
                            "rid");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["errors"][0]["field"], "id_number");
  EXPECT_EQ(j["request_id"], "rid");
}

TEST(Router, PatternMatching) {
  std::map<std::string, std::string, std::less<>> p;
  EXPECT_TRUE(match_pattern("/a/{x}/b", "/a/1/b", &p));
  EXPECT_EQ(p["x"], "1");
  EXPECT_FALSE(match_pattern("/a/{x}/b", "/a//b", nullptr));
  EXPECT_FALSE(match_pattern("/a/{x}", "/a/1/b", nullptr));
  EXPECT_FALSE(match_pattern("/a", "/a/", nullptr));
  EXPECT_TRUE(match_pattern("/", "/", nullptr));
}

// Review M6: JSON nested deeper than kMaxJsonDepth is refused before nlohmann parses it.
TEST_F(DispatcherTest, DeeplyNestedJsonIs400BeforeParsing) {
  std::string deep = std::string(30000, '[') + std::string(30000, ']');
  auto r = call("POST", "/t/json", deep, {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "json_too_deep");
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_EQ(call("POST", "/t/json", ok, {{"Content-Type", "application/json"}}).status, 201);
  // Brackets inside strings are text, not nesting.
  std::string text = "{\"a\": \"" + std::string(1000, '[') + "\\\"\"}";
  EXPECT_EQ(call("POST", "/t/json", text, {{"Content-Type", "application/json"}}).status, 201);
}

TEST_F(DispatcherTest, BodiesAboveTheRouteLimitAre413) {
  dispatcher_.set_limits({.json_body = 1024, .upload_body = 8192, .small_body = 16});
  auto r = call("POST", "/t/json", "[" + std::string(2000, ' ') + "]", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(body(r)["code"], "payload_too_large");
  EXPECT_EQ(call("POST", "/small", std::string(17, 'x')).status, 413);
  EXPECT_EQ(call("POST", "/upload", std::string(4000, 'x'), {{"Authorization", "Bearer user-1"}}).status, 200);
}

// Review M6: the head of a large upload is checked before its body is read: unknown routes,
// missing or wrong credentials and non-upload routes are refused with no limit granted.
TEST_F(DispatcherTest, AdmissionChecksTheSessionOnTheHeadOfAnUpload) {
  dispatcher_.set_limits({.json_body = 1024, .upload_body = 8192});
  auto head = [](std::string method, std::string path, net::Headers h = {}) {
    net::Request r;
    r.method = std::move(method);
    r.path = r.target = std::move(path);
    r.headers = std::move(h);
    return r;
  };
  std::size_t limit = 0;
  auto refused = dispatcher_.admit(head("POST", "/upload"), &limit);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  refused = dispatcher_.admit(head("POST", "/upload", {{"Authorization", "Bearer nobody"}}), &limit);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(dispatcher_.admit(head("POST", "/nowhere"), &limit)->status, 404);
  EXPECT_FALSE(dispatcher_.admit(head("POST", "/upload", {{"Authorization", "Bearer user-7"}}), &limit));
  EXPECT_EQ(limit, 8192u);
  EXPECT_FALSE(dispatcher_.admit(head("POST", "/t/json"), &limit));
  EXPECT_EQ(limit, 1024u);  // the transport then refuses the announced size with 413
}

TEST_F(DispatcherTest, OnlyRoutesMarkedInlineRunOnTheIoThread) {
  net::Request r;
  r.method = "GET";
  r.path = "/fast";
  EXPECT_TRUE(dispatcher_.runs_inline(r));
  r.path = "/t/1";
  EXPECT_FALSE(dispatcher_.runs_inline(r));
}

// Review L5: /metrics is not public.
TEST_F(DispatcherTest, MetricsNeedAnOperatorOrTheConfiguredToken) {
  EXPECT_EQ(call("GET", "/metrics").status, 401);
  EXPECT_EQ(call("GET", "/metrics", {}, {{"Authorization", "Bearer user-1"}}).status, 403);
  EXPECT_EQ(call("GET", "/metrics", {}, {{"Authorization", "Bearer op-1"}}).status, 200);
  EXPECT_EQ(call("GET", "/metrics", {}, {{"Authorization", "Bearer scrape"}}).status, 401);
  dispatcher_.set_limits({.metrics_token = "scrape"});
  EXPECT_EQ(call("GET", "/metrics", {}, {{"Authorization", "Bearer scrape"}}).status, 200);
  EXPECT_EQ(call("GET", "/metrics", {}, {{"Authorization", "Bearer scrapX"}}).status, 401);
}

}  // namespace
}  // namespace certseal::api
