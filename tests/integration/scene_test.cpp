// QR scenes end to end (docs/INTEGRATION.md): a relying party signs its requests (one of them with
// the `openssl dgst -hmac` recipe of the guide, to prove the documented format), the real
// `certseal` client scans the QR picture (ZBar) or its text, shows what is asked, and answers
// through the two-party protocol against a real certseald on both engines; the relying party
// long-polls, receives a signed callback, and checks the result offline: the certificate with
// `openssl verify` against the published chain, the SM2 signature over the CMS signed attributes
// with `openssl pkeyutl` (GM/T ID), the message digest from `openssl asn1parse` against
// `openssl dgst -sm3`, and our verifier.
//
// Refusals from the side of whoever must be refused: a wrong app signature, a replayed nonce, an
// old timestamp, a token used again or by someone else, a QR code of another server, the user
// saying no, a certificate not enabled for the app's platform (then enabled by buying mutual
// recognition), a callback URL that never answers (the poll still does). And two certseald on one
// PostgreSQL: a request created and long-polled on one is completed through the other.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <future>
#include <mutex>

#include "pki/cms_enveloped.h"
#include "docsign/pades_cms.h"
#include "pki/cms_signed.h"
#include "service/scene/rp_apps.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

// A one-request-per-connection HTTP receiver for callbacks, answering `status`.
class CallbackReceiver {
 public:
  struct Got {
    std::string head, body;
  };
  explicit CallbackReceiver(int status) : status_(status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~CallbackReceiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Got> wait_for(std::size_t n, int seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard lock(mu_);
        if (got_.size() >= n) return got_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string in;
      char buf[4096];
      std::size_t need = std::string::npos;
      while (need == std::string::npos || in.size() < need) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
        std::size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
          std::smatch m;
          std::string head = in.substr(0, end);
          std::size_t len = 0;
          if (std::regex_search(head, m, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)"))) len = std::stoul(m[1]);
          need = end + 4 + len;
        }
      }
      std::size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::lock_guard lock(mu_);
        got_.push_back({in.substr(0, end), in.substr(end + 4)});
      }
      std::string answer = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_ = -1, port_ = 0, status_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Got> got_;
};

std::string head_value(const std::string& head, const std::string& name) {
  std::smatch m;
  if (std::regex_search(head, m, std::regex("\r\n" + name + ": ([^\r]*)", std::regex::icase))) return m[1];
  return "";
}

class SceneE2eTest : public ClientE2eTest {
 protected:
  struct App {
    std::string id, secret;
  };
  App register_app(const std::string& platform, const std::vector<std::string>& scenes, const std::string& callback) {
    auto r = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "示例交易平台接入"}, {"platform_id", platform}, {"callback_url", callback}, {"scenes", scenes}});
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.json().value("id", ""), r.json().value("secret", "")};
  }
  // A signed relying-party request (our signer; see rp_openssl for the guide's recipe).
  HttpResponse rp(const App& app, const std::string& method, const std::string& target,
                  const nlohmann::json& body = nullptr, std::string nonce = "", std::int64_t ts = 0,
                  HttpClient* via = nullptr, const std::string& idempotency_key = "") {
    const std::string text = body.is_null() ? "" : body.dump();
    // At least 8 characters whatever the pid (the server refuses shorter nonces).
    if (nonce.empty()) nonce = "nonce-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
    if (ts == 0) ts = SystemClock().now_unix();
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app.id,
                                                                                 app.secret, method, target, text, ts,
                                                                                 nonce)};
    if (!text.empty()) h.push_back("Content-Type: application/json");
    if (!idempotency_key.empty()) h.push_back("Idempotency-Key: " + idempotency_key);
    return (via ? via : http_.get())->request(method, target, text, h);
  }
  // The same, signed the way docs/INTEGRATION.md shows in shell, with the openssl CLI.
  HttpResponse rp_openssl(const App& app, const std::string& method, const std::string& target,
                          const nlohmann::json& body) {
    const std::string text = body.dump(), nonce = "openssl-" + std::to_string(::getpid());
    const std::string ts = std::to_string(SystemClock().now_unix());
    put(f("body.json"), text);
    std::string body_hash = sh("openssl dgst -sha256 -r " + f("body.json")).substr(0, 64);
    put(f("sts.txt"), "CS1-HMAC-SHA256\n" + method + "\n" + target + "\n" + ts + "\n" + nonce + "\n" + body_hash);
    std::string sig = sh("openssl dgst -sha256 -hmac '" + app.secret + "' -r " + f("sts.txt")).substr(0, 64);
    return http_->request(method, target, text,
                          {"Content-Type: application/json",
                           "Authorization: CS1-HMAC-SHA256 app_id=" + app.id + ", timestamp=" + ts + ", nonce=" + nonce +
                               ", signature=" + sig});
  }
  std::string token_of(const std::string& payload) { return payload.substr(payload.rfind('/') + 1); }
  std::string session_token(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  // The offline checks of a completed result: chain, SM2 signature over the signed attributes
  // (openssl pkeyutl, GM/T ID), the digest attribute (asn1parse) against openssl dgst -sm3, ours.
  Bytes check_result(const nlohmann::json& result, std::optional<std::string> detached = std::nullopt) {
    const std::string cert = result["certificate"];
    EXPECT_NE(openssl_verify(cert).find(": OK"), std::string::npos);
    auto cms = base64_decode(result["cms"].get<std::string>()).value();
    auto ours = pki::cms::verify(cms, detached ? std::optional<BytesView>(as_bytes(*detached)) : std::nullopt);
    EXPECT_TRUE(ours.ok()) << (ours.ok() ? "" : ours.error().code);
    if (!ours.ok()) return {};
    put(f("leaf.pem"), cert);
    sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
    put(f("attrs.der"), to_string(ours->signed_attributes));
    put(f("sig.der"), to_string(ours->signature));
    EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("attrs.der") +
                 " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
                  .find("Signature Verified Successfully"),
              std::string::npos);
    put(f("content.bin"), to_string(ours->content));
    std::string sm3 = sh("openssl dgst -sm3 -r " + f("content.bin")).substr(0, 64);
    for (auto& c : sm3) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    put(f("cms.der"), to_string(cms));
    EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("cms.der")).find("[HEX DUMP]:" + sm3), std::string::npos);
    return ours->content;
  }
  int nonces_ = 0;
};

TEST_P(SceneE2eTest, LoginAndMessageSigningThroughTheClient) {
  const std::string a = dev("a"), phone = "13912360001", pin = "Pin#scene";
  Installed inst = person_with_certificate(a, phone, "李四", "110105194912310134", pin);
  ASSERT_FALSE(inst.cert_id.empty());
  CallbackReceiver rx(200);
  App app = register_app(platform_, {"06", "14", "16", "20"}, rx.url("/callbacks/certseal?v=1"));
  ASSERT_EQ(app.secret.size(), 43u);
  // The secret is shown once: reading the app shows none.
  EXPECT_FALSE(call("GET", "/api/v1/operator/rp-apps/" + app.id, operator_token_).json().contains("secret"));

  // 06, created with the guide's openssl recipe; the client scans the PNG.
  auto created = rp_openssl(app, "POST", "/api/v1/rp/scene-requests",
                            {{"scene", "06"}, {"title", "登录示例交易平台"}, {"nonce", "login-nonce-0001"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json()["id"], payload = created.json()["qr_payload"];
  EXPECT_EQ(payload.rfind(server_->base_url() + "/s/", 0), 0u) << payload;
  put(f("qr.png"), to_string(base64_decode(created.json()["qr_png"].get<std::string>()).value()));
  auto short_url = http_->get(payload.substr(server_->base_url().size()));
  EXPECT_EQ(short_url.status, 200);
  EXPECT_EQ(short_url.body.find(token_of(payload)), std::string::npos);  // the page reveals nothing
  auto s = cli(a, {"--json", "scan", f("qr.png"), "--yes"}, {pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_EQ(s.json()["status"], "completed") << s;
  EXPECT_NE(s.err.find("请求：扫码共享登录"), std::string::npos) << s;
  EXPECT_NE(s.err.find("登录示例交易平台"), std::string::npos) << s;

  auto got = rp(app, "GET", "/api/v1/rp/scene-requests/" + id + "?wait=5");
  ASSERT_EQ(got.status, 200) << got.body;
  auto v = got.json();
  EXPECT_EQ(v["status"], "completed");
  EXPECT_EQ(v["certificate_id"], inst.cert_id);
  Bytes content = check_result(v["result"]);
  auto assertion = nlohmann::json::parse(to_string(content), nullptr, false);
  EXPECT_EQ(assertion["type"], "certseal-login-assertion/1");
  EXPECT_EQ(assertion["request_id"], id);
  EXPECT_EQ(assertion["nonce"], "login-nonce-0001");
  EXPECT_EQ(assertion["app_id"], app.id);
  EXPECT_NE(assertion["subject"].get<std::string>().find("李四"), std::string::npos) << assertion;
  EXPECT_GT(assertion["expires_at"].get<std::string>(), format_rfc3339(std::chrono::system_clock::now()));

  // The verification API says the same: who, when, a certificate of this platform, good then.
  auto ver = rp(app, "POST", "/api/v1/rp/verifications", {{"cms", v["result"]["cms"]}});
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signer"]["certificate_id"], inst.cert_id);
  EXPECT_EQ(ver.json()["signer"]["chain_ok"], true);
  EXPECT_EQ(ver.json()["signing_time"], v["result"]["signing_time"]);
  // When: the platform's TSA stamped the signature value (an unsigned id-aa-timeStampToken
  // attribute); the answer gives its time, and the token does not hold over another signature.
  ASSERT_TRUE(ver.json()["timestamp"].is_object()) << ver.body;
  EXPECT_EQ(ver.json()["timestamp"]["valid"], true) << ver.body;
  EXPECT_GE(ver.json()["timestamp"]["time"].get<std::string>(), v["result"]["signing_time"].get<std::string>().substr(0, 16));
  put(f("ts-cms.der"), to_string(base64_decode(v["result"]["cms"].get<std::string>()).value()));
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("ts-cms.der")).find("id-smime-aa-timeStampToken"),
            std::string::npos);
  {
    auto cms = pki::cms::verify(base64_decode(v["result"]["cms"].get<std::string>()).value());
    ASSERT_TRUE(cms.ok());
    ASSERT_TRUE(cms->timestamp_token.has_value());
    auto ts = docsign::pades::check_timestamp(*cms->timestamp_token, as_bytes("another signature"));
    ASSERT_TRUE(ts.ok());
    EXPECT_FALSE(ts->imprint_matches);
  }

  // The callback: signed with the app's secret (checked with openssl), an event id to dedupe on.
  auto calls = rx.wait_for(1, 10);
  ASSERT_EQ(calls.size(), 1u);
  const std::string event_id = head_value(calls[0].head, "X-CertSeal-Event-Id");
  EXPECT_FALSE(event_id.empty());
  auto cb = nlohmann::json::parse(calls[0].body);
  EXPECT_EQ(cb["event_id"], event_id);
  EXPECT_EQ(cb["type"], "scene_request.completed");
  EXPECT_EQ(cb["request"]["id"], id);
  std::smatch m;
  const std::string sig_header = head_value(calls[0].head, "X-CertSeal-Signature");
  ASSERT_TRUE(std::regex_search(sig_header, m, std::regex("timestamp=([0-9]+), nonce=([^,]+), signature=([0-9a-f]+)")))
      << sig_header;
  put(f("cb.json"), calls[0].body);
  std::string cb_hash = sh("openssl dgst -sha256 -r " + f("cb.json")).substr(0, 64);
  put(f("cbsts.txt"), "CS1-HMAC-SHA256\nPOST\n/callbacks/certseal?v=1\n" + std::string(m[1]) + "\n" + std::string(m[2]) +
                          "\n" + cb_hash);
  EXPECT_EQ(sh("openssl dgst -sha256 -hmac '" + app.secret + "' -r " + f("cbsts.txt")).substr(0, 64),
            std::string(m[3]));

  // The token works once: scanning the same code again is refused.
  auto again = cli(a, {"scan", "--payload", payload, "--yes"}, {pin});
  EXPECT_EQ(again.exit_code, 3) << again;
  EXPECT_NE(again.err.find("answered already"), std::string::npos) << again;

  // 20, GM/T 0010 form, detached, scanned as text.
  const std::string message = "确认投标文件 第3包 报价 1,280,000.00 元";
  auto c20 = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "20"}, {"title", "签署投标函"}, {"nonce", "msg-nonce-0001"},
                 {"message", base64_encode(as_bytes(message))}, {"detached", true}, {"form", "gmt0010"}});
  ASSERT_EQ(c20.status, 201) << c20.body;
  auto s20 = cli(a, {"--json", "scan", "--payload", c20.json()["qr_payload"], "--yes"}, {pin});
  ASSERT_EQ(s20.exit_code, 0) << s20;
  EXPECT_NE(s20.err.find(message), std::string::npos) << s20;  // the user saw what they signed
  auto v20 = rp(app, "GET", "/api/v1/rp/scene-requests/" + c20.json()["id"].get<std::string>()).json();
  EXPECT_EQ(v20["status"], "completed");
  check_result(v20["result"], message);
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("cms.der")).find("1.2.156.10197.6.1.4.2.2"), std::string::npos);

  // 20, the raw form: the bare SM2 signature over the message (default ID), which openssl
  // verifies with the certificate's key and the verification API accepts, and refuses for a
  // changed message. Scene 06 cannot ask for it.
  auto raw20 = rp(app, "POST", "/api/v1/rp/scene-requests",
                  {{"scene", "20"}, {"title", "签署报价确认"}, {"nonce", "msg-nonce-raw1"},
                   {"message", base64_encode(as_bytes(message))}, {"form", "raw"}});
  ASSERT_EQ(raw20.status, 201) << raw20.body;
  EXPECT_EQ(rp(app, "POST", "/api/v1/rp/scene-requests",
               {{"scene", "06"}, {"title", "登录"}, {"nonce", "msg-nonce-raw2"}, {"form", "raw"}})
                .status,
            400);
  auto sraw = cli(a, {"--json", "scan", "--payload", raw20.json()["qr_payload"], "--yes"}, {pin});
  ASSERT_EQ(sraw.exit_code, 0) << sraw;
  auto vraw = rp(app, "GET", "/api/v1/rp/scene-requests/" + raw20.json()["id"].get<std::string>()).json();
  ASSERT_EQ(vraw["status"], "completed") << vraw;
  EXPECT_EQ(vraw["result"]["form"], "raw");
  EXPECT_FALSE(vraw["result"].contains("cms"));
  put(f("raw-leaf.pem"), vraw["result"]["certificate"].get<std::string>());
  sh("openssl x509 -in " + f("raw-leaf.pem") + " -pubkey -noout > " + f("raw-pub.pem"));
  put(f("raw-msg.bin"), message);
  put(f("raw-sig.der"), to_string(base64_decode(vraw["result"]["signature"].get<std::string>()).value()));
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("raw-pub.pem") + " -rawin -digest sm3 -in " +
               f("raw-msg.bin") + " -sigfile " + f("raw-sig.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);
  auto vr = rp(app, "POST", "/api/v1/rp/verifications",
               {{"signature", vraw["result"]["signature"]}, {"certificate", vraw["result"]["certificate"]},
                {"content", base64_encode(as_bytes(message))}});
  ASSERT_EQ(vr.status, 200) << vr.body;
  EXPECT_EQ(vr.json()["valid"], true) << vr.body;
  EXPECT_EQ(vr.json()["form"], "raw");
  EXPECT_EQ(vr.json()["signer"]["certificate_id"], vraw["result"]["certificate_id"]);
  auto changed = rp(app, "POST", "/api/v1/rp/verifications",
                    {{"signature", vraw["result"]["signature"]}, {"certificate", vraw["result"]["certificate"]},
                     {"content", base64_encode(as_bytes(message + " 改"))}});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.json()["valid"], false);
  EXPECT_EQ(changed.json()["problem"], "signature_invalid");
  EXPECT_EQ(rp(app, "POST", "/api/v1/rp/verifications",
               {{"signature", vraw["result"]["signature"]}, {"certificate", "not a certificate"},
                {"content", base64_encode(as_bytes(message))}})
                .status,
            400);

  // 16, authorised encryption: the envelope goes to the chosen certificate; the user opens it by
  // unwrapping the content key through the two-party protocol (certseal cert decrypt), and
  // openssl decrypts the content with that key.
  const std::string bid = "投标文件 第2包 报价 3,450,000.00 元";
  auto c16 = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "16"}, {"title", "加密投标文件"}, {"nonce", "enc-nonce-0001"},
                 {"message", base64_encode(as_bytes(bid))}, {"form", "gmt0010"}});
  ASSERT_EQ(c16.status, 201) << c16.body;
  auto s16 = cli(a, {"--json", "scan", "--payload", c16.json()["qr_payload"], "--yes"});
  ASSERT_EQ(s16.exit_code, 0) << s16;
  EXPECT_NE(s16.err.find("扫码授权加密"), std::string::npos) << s16;
  auto v16 = rp(app, "GET", "/api/v1/rp/scene-requests/" + c16.json()["id"].get<std::string>()).json();
  EXPECT_EQ(v16["status"], "completed");
  auto env = pki::cms::parse_enveloped(base64_decode(v16["result"]["cms"].get<std::string>()).value());
  ASSERT_TRUE(env.ok());
  auto unwrap = cli(a, {"cert", "decrypt", "--hex", hex_encode(env->encrypted_key), "--order", "der", "--out",
                        f("cek.bin")},
                    {pin});
  ASSERT_EQ(unwrap.exit_code, 0) << unwrap;
  put(f("ct16.bin"), to_string(env->encrypted_content));
  EXPECT_EQ(sh("openssl enc -d -sm4-cbc -K " + hex_encode(as_bytes(read_all(f("cek.bin")))) + " -iv " +
               hex_encode(env->iv) + " -in " + f("ct16.bin")),
            bid);

  // 14, authorised decryption (bid opening) of that envelope, created with the tender's other
  // bid in one batch: the client unwraps the key through the two-party protocol after the
  // confirmation; the relying party receives the content. A batch with a bad envelope creates
  // nothing and names it; the batch sent again with its Idempotency-Key answers the same requests.
  nlohmann::json open_bid = {{"scene", "14"}, {"title", "开标：第2包"}, {"nonce", "open-nonce-0001"},
                             {"message", v16["result"]["cms"]}};
  nlohmann::json other_bid = open_bid;
  other_bid["title"] = "开标：第3包";
  other_bid["nonce"] = "open-nonce-0002";
  nlohmann::json broken_bid = other_bid;
  broken_bid["message"] = base64_encode(as_bytes("not an envelope"));
  auto refused = rp(app, "POST", "/api/v1/rp/scene-request-batches", {{"requests", {open_bid, broken_bid}}});
  ASSERT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("requests[1].message"), std::string::npos) << refused.body;
  auto batch = rp(app, "POST", "/api/v1/rp/scene-request-batches", {{"requests", {open_bid, other_bid}}}, "", 0,
                  nullptr, "tender-2026-001");
  ASSERT_EQ(batch.status, 201) << batch.body;
  ASSERT_EQ(batch.json()["items"].size(), 2u);
  auto resent = rp(app, "POST", "/api/v1/rp/scene-request-batches", {{"requests", {open_bid, other_bid}}}, "", 0,
                  nullptr, "tender-2026-001");
  ASSERT_EQ(resent.status, 201) << resent.body;
  EXPECT_EQ(resent.json()["items"][1]["id"], batch.json()["items"][1]["id"]);
  const nlohmann::json c14 = batch.json()["items"][0];
  auto s14 = cli(a, {"--json", "scan", "--payload", c14["qr_payload"], "--yes"}, {pin});
  ASSERT_EQ(s14.exit_code, 0) << s14;
  EXPECT_NE(s14.err.find("扫码授权解密"), std::string::npos) << s14;
  auto v14 = rp(app, "GET", "/api/v1/rp/scene-requests/" + c14["id"].get<std::string>()).json();
  EXPECT_EQ(v14["status"], "completed") << v14;
  EXPECT_EQ(to_string(base64_decode(v14["result"]["content"].get<std::string>()).value()), bid);

  // The user says no: with --refuse, and by answering the confirmation with "n".
  for (bool by_flag : {true, false}) {
    auto c = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "20"}, {"title", "可疑的付款确认"}, {"nonce", "refuse-nonce-" + std::to_string(by_flag)},
                 {"message", base64_encode(as_bytes("pay 1 yuan"))}});
    ASSERT_EQ(c.status, 201);
    auto r = by_flag ? cli(a, {"scan", "--payload", c.json()["qr_payload"], "--refuse", "--reason", "不是我"})
                     : cli(a, {"--lang", "en", "scan", "--payload", c.json()["qr_payload"]}, {"n"});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_NE(r.out.find(by_flag ? "已拒绝该请求" : "You refused the request"), std::string::npos) << r;
    if (!by_flag) {
      EXPECT_NE(r.err.find("Confirm? [y/N]"), std::string::npos) << r;
    }
    auto seen = rp(app, "GET", "/api/v1/rp/scene-requests/" + c.json()["id"].get<std::string>()).json();
    EXPECT_EQ(seen["status"], "refused") << seen;
  }

  // A request claimed by Alice cannot be taken by Bob, who photographed the code too.
  const std::string b = dev("b");
  register_cli(b, "13912360002");
  auto c3 = rp(app, "POST", "/api/v1/rp/scene-requests",
               {{"scene", "06"}, {"title", "登录"}, {"nonce", "steal-nonce-01"}});
  const std::string tok3 = token_of(c3.json()["qr_payload"]);
  EXPECT_EQ(call("POST", "/api/v1/scene-claims", session_token(a), {{"token", tok3}}).status, 200);
  auto stolen = call("POST", "/api/v1/scene-claims", session_token(b), {{"token", tok3}});
  EXPECT_EQ(stolen.status, 409);
  EXPECT_EQ(stolen.json()["code"], "scene_token_used");
  EXPECT_EQ(call("POST", "/api/v1/scene-requests/" + c3.json()["id"].get<std::string>() + "/refusal", session_token(b),
                 nlohmann::json::object())
                .status,
            404);

  // A QR code that points to another server is not followed.
  auto other = cli(a, {"scan", "--payload", "https://evil.example/s/" + tok3, "--yes"}, {pin});
  EXPECT_EQ(other.exit_code, 3) << other;
  EXPECT_NE(other.err.find("另一服务器"), std::string::npos) << other;

  // The relying party's signature: wrong secret, replayed nonce, old timestamp, another app's id.
  const nlohmann::json body = {{"scene", "06"}, {"title", "登录"}, {"nonce", "sig-nonce-001"}};
  App forged{app.id, std::string(43, 'A')};
  auto bad = rp(forged, "POST", "/api/v1/rp/scene-requests", body);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.json()["code"], "rp_signature_invalid");
  auto first = rp(app, "POST", "/api/v1/rp/scene-requests", body, "replay-nonce-1");
  EXPECT_EQ(first.status, 201);
  auto replay = rp(app, "POST", "/api/v1/rp/scene-requests", body, "replay-nonce-1");
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.json()["code"], "rp_nonce_replayed");
  auto old = rp(app, "POST", "/api/v1/rp/scene-requests", body, "", SystemClock().now_unix() - 360);
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(old.json()["code"], "rp_timestamp_out_of_window");
  // A user session cannot create requests; a relying party cannot call user routes.
  EXPECT_EQ(call("POST", "/api/v1/rp/scene-requests", session_token(a), body).status, 403);
  EXPECT_EQ(rp(app, "GET", "/api/v1/account/certificates").status, 403);
  // Usage records: the scenes are in the key's events.
  auto ev = call("GET", "/api/v1/shield/keys/" + inst.key_id + "/events", session_token(a));
  EXPECT_NE(ev.body.find("scene 06 " + id), std::string::npos) << ev.body;
  // And in the transparency log (docs/LEDGER.md "Event types"): exactly one entry for the login,
  // written by the server's wiring, naming the certificate, the platform and the request.
  ASSERT_EQ(call("POST", "/api/v1/operator/ledger/checkpoints", operator_token_).status, 200);
  auto entries = call("GET", "/api/v1/account/ledger-entries?limit=1000", session_token(a));
  ASSERT_EQ(entries.status, 200) << entries.body;
  int logins = 0;
  const nlohmann::json listed = entries.json();  // kept alive: the loop reads into it
  for (const auto& item : listed["items"]) {
    auto e = nlohmann::json::parse(item["entry"].get<std::string>());
    if (e["type"] != "scene.login" || e.value("scene", "") != id) continue;
    ++logins;
    EXPECT_EQ(e["result"], "ok");
    EXPECT_EQ(e["certificate"], inst.cert_id);
    EXPECT_EQ(e["platform"], platform_);
  }
  EXPECT_EQ(logins, 1) << entries.body;
}

TEST_P(SceneE2eTest, MutualRecognitionIsCheckedAtSceneTimeAndAFailingCallbackLeavesThePoll) {
  const std::string a = dev("a"), phone = "13912360011", pin = "Pin#mutual";
  Installed inst = person_with_certificate(a, phone, "王五", "110105194912310134", pin);
  auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "异地交易平台"}});
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string other = p.json()["id"];
  auto prod = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                   {{"kind", "mutual_recognition"}, {"name", "互认共享 异地交易平台 1年"}, {"cert_type", "personal"},
                    {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 5000}, {"ca_id", "sm2o"},
                    {"seal_type", "handwritten"}, {"platform_id", other}, {"period_months", 12}});
  ASSERT_EQ(prod.status, 201) << prod.body;
  // A callback URL where nothing listens.
  int closed_port = 0;
  {
    CallbackReceiver probe(200);
    closed_port = std::stoi(probe.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  App app = register_app(other, {"06"}, "http://127.0.0.1:" + std::to_string(closed_port) + "/cb");
  auto c = rp(app, "POST", "/api/v1/rp/scene-requests", {{"scene", "06"}, {"title", "登录异地平台"}, {"nonce", "mutual-001"}});
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string payload = c.json()["qr_payload"], id = c.json()["id"];
  auto refused = cli(a, {"scan", "--payload", payload, "--yes"}, {pin});
  EXPECT_EQ(refused.exit_code, 3) << refused;
  EXPECT_NE(refused.err.find("互认"), std::string::npos) << refused;
  // The claim shows why.
  auto view = call("POST", "/api/v1/scene-claims", session_token(a), {{"token", token_of(payload)}});
  ASSERT_EQ(view.status, 200) << view.body;
  EXPECT_EQ(view.json()["certificates"][0]["reason"], "certificate_not_enabled_for_platform");

  // Buying mutual recognition (互认共享) for that platform: order, authorise, pay, approval.
  auto o = call("POST", "/api/v1/orders", session_token(a),
                {{"product_id", prod.json()["id"]}, {"certificate_id", inst.cert_id}});
  ASSERT_EQ(o.status, 201) << o.body;
  const std::string order = o.json()["id"];
  auto au = cli(a, {"--json", "order", "authorise", order, "--code", code(a, phone, "authorise")});
  ASSERT_EQ(au.exit_code, 0) << au;
  auto pay = cli(a, {"--json", "pay", "online", order, "--sandbox-complete"});
  ASSERT_EQ(pay.exit_code, 0) << pay;
  auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
  ASSERT_EQ(ap.status, 200) << ap.body;

  // The same request (still claimed by this user) now completes.
  auto done = cli(a, {"--json", "scan", "--payload", payload, "--yes"}, {pin});
  ASSERT_EQ(done.exit_code, 0) << done;
  // The callback fails (nothing listens) and is retried; the poll answers all the same.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto v = rp(app, "GET", "/api/v1/rp/scene-requests/" + id + "?wait=2");
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(v.json()["status"], "completed");
  check_result(v.json()["result"]);
  EXPECT_NE(server_->log_text().find("scene callback failed"), std::string::npos);
}

TEST_P(SceneE2eTest, CompletionOnAnotherProcessWakesTheLongPoll) {
  if (GetParam() != "postgres") GTEST_SKIP() << "LISTEN/NOTIFY is PostgreSQL's";
  const std::string a = dev("a"), phone = "13912360021", pin = "Pin#nodes";
  Installed inst = person_with_certificate(a, phone, "赵六", "110105194912310134", pin);
  CallbackReceiver rx(200);
  App app = register_app(platform_, {"06"}, rx.url("/cb"));
  // Node B: same PostgreSQL, same keys; its QR codes carry the public URL of the deployment (A's).
  ServerOptions o = server_options();
  o.data_dir = dir_.path() + "/data-b";
  for (std::string x : {"keys.dir=" + data_ + "/keys", "scenes.public_url=" + server_->base_url()}) {
    o.extra_args.push_back("--set");
    o.extra_args.push_back(x);
  }
  ServerProcess node_b(o);
  ASSERT_TRUE(node_b.started()) << node_b.log_text();
  HttpClient b(node_b.base_url());
  auto c = rp(app, "POST", "/api/v1/rp/scene-requests", {{"scene", "06"}, {"title", "登录"}, {"nonce", "two-nodes-01"}},
              "", 0, &b);
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string id = c.json()["id"];
  auto poll = std::async(std::launch::async, [&] {
    HttpClient own(node_b.base_url());
    auto r = rp(app, "GET", "/api/v1/rp/scene-requests/" + id + "?wait=25", nullptr, "", 0, &own);
    return std::make_pair(r, std::chrono::steady_clock::now());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The user's client talks to node A.
  auto s = cli(a, {"--json", "scan", "--payload", c.json()["qr_payload"], "--yes"}, {pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  const auto done_at = std::chrono::steady_clock::now();
  auto [r, answered_at] = poll.get();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "completed");
  // Woken by NOTIFY, not by the 10-second safety re-check or the 25-second wait.
  EXPECT_LT(answered_at - done_at, std::chrono::seconds(4));
  EXPECT_GE(answered_at, done_at - std::chrono::seconds(2));
  EXPECT_EQ(rx.wait_for(1, 10).size(), 1u);  // one callback although two processes deliver
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(rx.wait_for(2, 0).size(), 1u);
}

// examples/relying_party/rp.py, the guide's Python in runnable form, is the relying party: it
// creates the request, the client scans its PNG, it long-polls the result, and its web server
// receives (and checks) the signed callback.
TEST_P(SceneE2eTest, ExampleRelyingPartyLogsAUserIn) {
  const std::string a = dev("a"), phone = "13912360031", pin = "Pin#example";
  person_with_certificate(a, phone, "钱七", "110105194912310134", pin);
  int port = 0;
  {
    CallbackReceiver probe(200);
    port = std::stoi(probe.url("").substr(std::string("http://127.0.0.1:").size()));
  }
  App app = register_app(platform_, {"06", "20"}, "http://127.0.0.1:" + std::to_string(port) + "/callback");
  const std::string rp_py = std::string(CERTSEAL_SOURCE_DIR) + "/examples/relying_party/rp.py";
  const std::string env = "CERTSEAL_SERVER=" + server_->base_url() + " RP_APP_ID=" + app.id + " RP_SECRET='" +
                          app.secret + "' ";
  std::string pid = sh(env + "python3 " + rp_py + " serve --port " + std::to_string(port) + " > " + f("rp.log") +
                       " 2>&1 & echo $!");
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\r')) pid.pop_back();
  struct Stop {
    std::string pid;
    ~Stop() { run_command("kill " + pid); }
  } stop{pid};
  auto created = nlohmann::json::parse(sh(env + "python3 " + rp_py + " create --scene 06 --png " + f("rp-qr.png")),
                                       nullptr, false);
  ASSERT_TRUE(created.is_object() && created.contains("id")) << created;
  auto s = cli(a, {"--json", "scan", f("rp-qr.png"), "--yes"}, {pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  auto done = nlohmann::json::parse(sh(env + "python3 " + rp_py + " wait " + created["id"].get<std::string>()),
                                    nullptr, false);
  ASSERT_TRUE(done.is_object()) << done;
  EXPECT_EQ(done["status"], "completed");
  EXPECT_NE(done["result"]["assertion"]["subject"].get<std::string>().find("钱七"), std::string::npos) << done;
  // The example's callback endpoint checked the signature and took the event once.
  std::string log;
  for (int i = 0; i < 100 && log.find("scene_request.completed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = read_all(f("rp.log"));
  }
  EXPECT_NE(log.find("\"request_id\": \"" + created["id"].get<std::string>() + "\""), std::string::npos) << log;
  // Its login page shows a QR code.
  HttpClient page("http://127.0.0.1:" + std::to_string(port));
  auto html = page.get("/");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("data:image/png;base64,iVBOR"), std::string::npos);
}

CERTSEAL_INSTANTIATE_API_ENGINES(SceneE2eTest);

}  // namespace
}  // namespace certseal::testing
