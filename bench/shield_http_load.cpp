// Load generator for complete two-party SM2 signatures over HTTP (bench/shield.sh runs it).
//
// Setup, through the public API of a running certseald (started with fast SMS/Argon2 settings):
// N people register, pass real-name verification, buy a personal SM2 certificate (sandbox
// gateway), an operator approves, and each installs it as a mobile shield (one device each).
// Load: N client threads, each with its own keep-alive connection, sign for S seconds; one
// signature = challenge + signing step + the device's halves (start, finish with verification).
// Prints one JSON object: signatures, per_second, p50_ms, p90_ms, p99_ms.
//
// --scene 20: complete scene-20 transactions instead (docs/INTEGRATION.md): an operator registers
// a relying-party app whose callback URL is a sink in this process; each loop is create (signed
// relying-party request) -> claim (the user) -> challenge + two-party signature over the CMS
// signed attributes -> completion; the sink counts the signed callbacks certseald delivers from
// its background worker, and the output adds callbacks (received) and callback_drain_s (how long
// after the load the last one arrived).
//
// --scene 14 --burst N: bid opening. The relying party creates N scene-14 requests at once, each
// for an envelope (pki/cms_enveloped) to one of the clients' certificates (round robin); then all
// clients open theirs concurrently (claim, challenge + two-party decryption step, completion).
// Prints burst, time_to_last_s (from the start of the opening to the last completion) and
// p50_ms/p99_ms of the time from that start to each completion.
//
//   shield_http_load --url http://127.0.0.1:PORT --operator-token T --code-command "certseald admin sms-outbox ..."
//                    --ca sm2 [--clients 16] [--seconds 10] [--scene 20 | --scene 14 --burst 500]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/cosign.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"
#include "service/scene/rp_apps.h"
#include "support/http_client.h"

using namespace certseal;
using certseal::testing::HttpClient;
using certseal::testing::HttpResponse;
namespace cosign = crypto::cosign;

namespace {

const std::string kPng = to_string(*hex_decode(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf"
    "c0f01f00050001ff89993d1d0000000049454e44ae426082"));

[[noreturn]] void die(const std::string& what, const HttpResponse& r) {
  std::fprintf(stderr, "shield_http_load: %s: HTTP %ld %s %s\n", what.c_str(), r.status, r.body.c_str(),
               r.transport_error.c_str());
  std::exit(1);
}

struct Api {
  HttpClient http;
  std::string operator_token;
  explicit Api(const std::string& url) : http(url) {}

  HttpResponse call(const std::string& method, const std::string& path, const std::string& token,
                    const nlohmann::json& body = nullptr) {
    std::vector<std::string> h;
    if (!token.empty()) h.push_back("Authorization: Bearer " + token);
    if (!body.is_null()) h.push_back("Content-Type: application/json");
    return http.request(method, path, body.is_null() ? std::string() : body.dump(), h);
  }
  HttpResponse must(int want, const std::string& method, const std::string& path, const std::string& token,
                    const nlohmann::json& body = nullptr) {
    auto r = call(method, path, token, body);
    if (r.status != want) die(method + " " + path, r);
    return r;
  }
  // Operators see SMS codes masked over HTTP: the code comes from the server machine's outbox
  // (`certseald admin sms-outbox ... --code`, the command given with --code-command; the phone is
  // appended).
  std::string code_command;
  std::string code_for(const std::string& phone) {
    std::string cmd = code_command + " --phone " + phone + " --code";
    std::FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) die("cannot run " + cmd, {});
    char buf[64] = {};
    std::string out = std::fgets(buf, sizeof buf, f) ? std::string(buf) : std::string();
    ::pclose(f);
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("([0-9]{6})"))) die("no code for " + phone, {});
    return m[1];
  }
};

// A valid GB 11643 resident ID number from 17 digits.
std::string id_number(int n) {
  char base[32];
  std::snprintf(base, sizeof base, "11010519900101%03d", n % 1000);
  const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (base[i] - '0') * w[i];
  return std::string(base) + "10X98765432"[sum % 11];
}

struct Client {
  std::string token, key_id, device_id, cert_id;
  Bytes cert_der;
  std::optional<cosign::DeviceShare> share;
  Bytes auth_key;
};

Client enrol(Api& api, int i, const std::string& product, const std::string& platform, Rng& rng) {
  Client c;
  char phone[32];
  std::snprintf(phone, sizeof phone, "1770000%04d", i % 10000);
  api.must(202, "POST", "/api/v1/sms-codes", "", {{"phone", phone}, {"purpose", "login"}});
  c.token = api.must(201, "POST", "/api/v1/sessions", "", {{"phone", phone}, {"code", api.code_for(phone)}})
                .json()["token"];
  api.must(204, "PUT", "/api/v1/account/password", c.token, {{"password", "Bench#Pass1"}});
  std::string blobs[2];
  for (int b = 0; b < 2; ++b) {
    auto r = api.http.request("POST", std::string("/api/v1/blobs?purpose=") + (b ? "id_card_back" : "id_card_front"),
                              kPng, {"Authorization: Bearer " + c.token, "Content-Type: image/png"});
    if (r.status != 201) die("upload", r);
    blobs[b] = r.json()["id"];
  }
  api.must(202, "POST", "/api/v1/account/sms-codes", c.token, {{"purpose", "verify_person"}});
  api.must(201, "POST", "/api/v1/person-verifications", c.token,
           {{"agreement_version", 1}, {"name", "压测用户"}, {"id_number", id_number(i)}, {"code", api.code_for(phone)},
            {"id_card_front", blobs[0]}, {"id_card_back", blobs[1]}});
  std::string order =
      api.must(201, "POST", "/api/v1/orders", c.token, {{"product_id", product}, {"platform_id", platform}})
          .json()["id"];
  api.must(202, "POST", "/api/v1/account/sms-codes", c.token, {{"purpose", "authorise"}});
  api.must(200, "POST", "/api/v1/orders/" + order + "/authorisation", c.token, {{"code", api.code_for(phone)}});
  std::string url = api.must(201, "POST", "/api/v1/orders/" + order + "/online-payments", c.token,
                             {{"gateway", "sandbox"}})
                        .json()["pay_url"];
  api.must(202, "POST", url.substr(url.find("/sandbox-pay/")), "");
  for (int k = 0; k < 200; ++k) {
    if (api.must(200, "GET", "/api/v1/orders/" + order, c.token).json()["status"] == "in_review") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  api.must(200, "POST", "/api/v1/operator/orders/" + order + "/approval", api.operator_token);
  c.device_id = "bench-device-" + std::to_string(i);
  const Bytes salt = rng.bytes(16);
  auto keys = crypto::unlock::derive("Pin#bench", salt, c.device_id, crypto::argon2_test_limits());
  c.auth_key.assign(keys->auth_key.begin(), keys->auth_key.end());
  auto start = cosign::device_keygen_start(rng);
  auto r = api.must(201, "POST", "/api/v1/orders/" + order + "/installation", c.token,
                    {{"device_id", c.device_id}, {"device_name", "bench"},
                     {"p1", base64_encode(start.request.encode())}, {"auth_key", base64_encode(c.auth_key)},
                     {"salt", base64_encode(salt)}});
  c.key_id = r.json()["key_id"];
  c.cert_id = r.json()["certificate"]["id"];
  c.cert_der = pem_decode_all(std::string(r.json()["certificate"]["certificate_pem"])).value().front().der;
  auto resp = cosign::KeygenResponse::decode(*base64_decode(std::string(r.json()["keygen_response"])));
  c.share = *cosign::device_keygen_finish(std::move(start.state), *resp);
  return c;
}

// Counts callback POSTs (answers 200, one request per connection).
class Sink {
 public:
  Sink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 128);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~Sink() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/cb"; }
  long count() const { return count_.load(); }
  std::chrono::steady_clock::time_point last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string in;
      char buf[8192];
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
      const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(c, ok, sizeof ok - 1, MSG_NOSIGNAL);
      ::close(c);
      count_.fetch_add(1);
      std::lock_guard lock(mu_);
      last_ = std::chrono::steady_clock::now();
    }
  }
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<long> count_{0};
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
  std::thread thread_;
};

// One scene-20 transaction of client c; false on any refusal.
bool scene_transaction(HttpClient& http, const Client& c, const std::string& app_id, const std::string& secret,
                       Rng& rng, const std::vector<std::string>& user_h) {
  static std::atomic<long> seq{0};
  const std::string message = "bench scene 20 message " + std::to_string(seq.fetch_add(1));
  const std::string body = nlohmann::json{{"scene", "20"},
                                          {"title", "压测消息签名"},
                                          {"nonce", "bench-" + hex_encode(rng.bytes(8))},
                                          {"message", base64_encode(as_bytes(message))}}
                               .dump();
  const std::string target = "/api/v1/rp/scene-requests";
  auto created = http.request("POST", target, body,
                              {"Content-Type: application/json",
                               "Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app_id, secret,
                                                                             "POST", target, body,
                                                                             SystemClock().now_unix(),
                                                                             hex_encode(rng.bytes(12)))});
  if (created.status != 201) return false;
  const std::string payload = created.json()["qr_payload"];
  const std::string id = created.json()["id"];
  auto claim = http.request("POST", "/api/v1/scene-claims",
                            nlohmann::json{{"token", payload.substr(payload.rfind('/') + 1)}}.dump(), user_h);
  if (claim.status != 200) return false;
  const std::string cert_id = claim.json()["certificates"][0]["certificate_id"];
  const std::int64_t t = SystemClock().now_unix();
  const Bytes attrs = pki::cms::signed_attributes(pki::cms::Form::kRfc5652, crypto::HashAlg::kSm3, as_bytes(message),
                                                  SysTime(std::chrono::seconds(t)));
  auto raw = cosign::device_sign(
      *c.share, attrs, crypto::kSm2DefaultId, rng, [&](const cosign::SignRequest& req) -> Result<cosign::SignResponse> {
        auto ch = http.request("POST", "/api/v1/shield/challenges",
                               nlohmann::json{{"key_id", c.key_id}, {"device_id", c.device_id}}.dump(), user_h);
        if (ch.status != 200) return unavailable("challenge", ch.body);
        const std::string nonce = ch.json()["nonce"];
        const Bytes p = req.encode();
        auto r = http.request(
            "POST", "/api/v1/shield/keys/" + c.key_id + "/signatures",
            nlohmann::json{{"device_id", c.device_id}, {"nonce", nonce}, {"request", base64_encode(p)},
                           {"proof", base64_encode(crypto::unlock::proof(c.auth_key, "sign", c.key_id, c.device_id,
                                                                         nonce, p))},
                           {"purpose", "scene 20 " + id}}
                .dump(),
            user_h);
        if (r.status != 200) return unavailable("sign", r.body);
        return cosign::SignResponse::decode(*base64_decode(std::string(r.json()["response"])));
      });
  if (!raw) return false;
  auto der = crypto::ec_sig_raw_to_der(*raw);
  if (!der) return false;
  auto done = http.request("POST", "/api/v1/scene-requests/" + id + "/completion",
                           nlohmann::json{{"certificate_id", cert_id}, {"signing_time", t},
                                          {"signature", base64_encode(*der)}}
                               .dump(),
                           user_h);
  return done.status == 200;
}

// Opens one scene-14 request of client c (claim, two-party unwrap of the content key, completion).
bool open_bid(HttpClient& http, const Client& c, const std::string& id, const std::string& token, Rng& rng,
              const std::vector<std::string>& user_h) {
  auto claim = http.request("POST", "/api/v1/scene-claims", nlohmann::json{{"token", token}}.dump(), user_h);
  if (claim.status != 200) return false;
  auto env = pki::cms::parse_enveloped(base64_decode(std::string(claim.json()["message"])).value());
  if (!env) return false;
  auto ct = crypto::Sm2Ciphertext::parse_der(env->encrypted_key);
  if (!ct) return false;
  auto start = cosign::device_decrypt_start(*c.share, ct->raw(crypto::Sm2CipherOrder::kC1C3C2),
                                            crypto::Sm2CipherOrder::kC1C3C2, rng);
  if (!start) return false;
  auto ch = http.request("POST", "/api/v1/shield/challenges",
                         nlohmann::json{{"key_id", c.key_id}, {"device_id", c.device_id}}.dump(), user_h);
  if (ch.status != 200) return false;
  const std::string nonce = ch.json()["nonce"];
  const Bytes p = start->request.encode();
  auto r = http.request(
      "POST", "/api/v1/shield/keys/" + c.key_id + "/decryptions",
      nlohmann::json{{"device_id", c.device_id}, {"nonce", nonce}, {"request", base64_encode(p)},
                     {"proof", base64_encode(crypto::unlock::proof(c.auth_key, "decrypt", c.key_id, c.device_id, nonce, p))},
                     {"purpose", "scene 14 " + id}}
          .dump(),
      user_h);
  if (r.status != 200) return false;
  auto resp = cosign::DecryptResponse::decode(*base64_decode(std::string(r.json()["response"])));
  if (!resp) return false;
  auto cek = cosign::device_decrypt_finish(*c.share, std::move(start->state), *resp);
  if (!cek) return false;
  auto done = http.request("POST", "/api/v1/scene-requests/" + id + "/completion",
                           nlohmann::json{{"certificate_id", c.cert_id}, {"content_key", base64_encode(*cek)}}.dump(),
                           user_h);
  return done.status == 200;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, op_token, ca = "sm2", code_command;
  int clients = 16, seconds = 10;
  std::string scene;
  int burst = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") url = v;
    else if (k == "--operator-token") op_token = v;
    else if (k == "--ca") ca = v;
    else if (k == "--code-command") code_command = v;
    else if (k == "--clients") clients = std::atoi(v.c_str());
    else if (k == "--seconds") seconds = std::atoi(v.c_str());
    else if (k == "--scene") scene = v;
    else if (k == "--burst") burst = std::atoi(v.c_str());
  }
  if (url.empty() || op_token.empty() || code_command.empty() || clients < 1 || seconds < 1) {
    std::fprintf(stderr, "usage: shield_http_load --url URL --operator-token T --code-command CMD [--ca ID] [--clients N] "
                         "[--seconds S]\n");
    return 2;
  }
  SystemRng rng;
  Api api(url);
  api.operator_token = op_token;
  api.code_command = code_command;
  std::string platform = api.must(201, "POST", "/api/v1/operator/catalogue/platforms", op_token,
                                  {{"name", "压测平台 " + std::to_string(std::time(nullptr))}})
                             .json()["id"];
  std::string product = api.must(201, "POST", "/api/v1/operator/catalogue/products", op_token,
                                 {{"kind", "certificate"}, {"name", "压测证书"}, {"cert_type", "personal"},
                                  {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 100}, {"ca_id", ca},
                                  {"seal_type", "handwritten"}})
                            .json()["id"];
  std::vector<Client> cs;
  for (int i = 0; i < clients; ++i) cs.push_back(enrol(api, i, product, platform, rng));
  std::optional<Sink> sink;
  std::string app_id, app_secret;
  if (scene == "14") {
    if (burst < 1) {
      std::fprintf(stderr, "shield_http_load: --scene 14 needs --burst N\n");
      return 2;
    }
    Sink cb_sink;
    auto app = api.must(201, "POST", "/api/v1/operator/rp-apps", op_token,
                        {{"name", "开标压测"}, {"platform_id", platform}, {"callback_url", cb_sink.url()},
                         {"scenes", {"14"}}});
    const std::string id14 = app.json()["id"], secret14 = app.json()["secret"];
    // The relying party creates every request first (the opening's preparation; not timed).
    std::vector<std::vector<std::pair<std::string, std::string>>> todo(cs.size());
    for (int i = 0; i < burst; ++i) {
      const Client& c = cs[static_cast<std::size_t>(i) % cs.size()];
      Bytes env = pki::cms::enveloped_data(pki::cms::Form::kRfc5652, c.cert_der,
                                           as_bytes("bid " + std::to_string(i)), rng)
                      .value();
      const std::string body = nlohmann::json{{"scene", "14"},
                                              {"title", "开标"},
                                              {"nonce", "open-" + std::to_string(i) + "-" + hex_encode(rng.bytes(4))},
                                              {"message", base64_encode(env)},
                                              {"expires_in", 3600}}
                                   .dump();
      auto r = api.http.request("POST", "/api/v1/rp/scene-requests", body,
                                {"Content-Type: application/json",
                                 "Authorization: " + service::rp_authorization(service::kRpSchemeSha256, id14, secret14,
                                                                               "POST", "/api/v1/rp/scene-requests",
                                                                               body, SystemClock().now_unix(),
                                                                               hex_encode(rng.bytes(12)))});
      if (r.status != 201) die("create scene 14", r);
      const std::string payload = r.json()["qr_payload"];
      todo[static_cast<std::size_t>(i) % cs.size()].push_back({r.json()["id"], payload.substr(payload.rfind('/') + 1)});
    }
    std::atomic<long> failed{0};
    std::mutex m14;
    std::vector<double> at_ms;
    std::vector<std::thread> ts;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < cs.size(); ++k) {
      ts.emplace_back([&, k] {
        HttpClient http(url);
        SystemRng trng;
        const std::vector<std::string> h = {"Authorization: Bearer " + cs[k].token, "Content-Type: application/json"};
        for (const auto& [id, token] : todo[k]) {
          if (!open_bid(http, cs[k], id, token, trng, h)) {
            failed.fetch_add(1);
            continue;
          }
          std::lock_guard lock(m14);
          at_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        }
      });
    }
    for (auto& t : ts) t.join();
    std::sort(at_ms.begin(), at_ms.end());
    auto q = [&](double p) {
      return at_ms.empty() ? 0.0 : at_ms[std::min(at_ms.size() - 1, static_cast<std::size_t>(p * at_ms.size()))];
    };
    std::printf("%s\n", nlohmann::json{{"clients", clients},
                                       {"scene", "14"},
                                       {"burst", burst},
                                       {"opened", at_ms.size()},
                                       {"failures", failed.load()},
                                       {"time_to_last_s", at_ms.empty() ? 0.0 : at_ms.back() / 1000},
                                       {"p50_ms", q(0.50)},
                                       {"p99_ms", q(0.99)}}
                            .dump()
                            .c_str());
    return failed.load() == 0 ? 0 : 1;
  }
  if (!scene.empty()) {
    if (scene != "20") {
      std::fprintf(stderr, "shield_http_load: --scene 20, or --scene 14 --burst N\n");
      return 2;
    }
    sink.emplace();
    auto app = api.must(201, "POST", "/api/v1/operator/rp-apps", op_token,
                        {{"name", "压测接入方"}, {"platform_id", platform}, {"callback_url", sink->url()},
                         {"scenes", {"20"}}});
    app_id = app.json()["id"];
    app_secret = app.json()["secret"];
  }

  std::atomic<bool> stop{false};
  std::atomic<long> failures{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& c : cs) {
    threads.emplace_back([&, c = &c] {
      HttpClient http(url);
      SystemRng trng;
      std::vector<double> mine;
      const std::vector<std::string> h = {"Authorization: Bearer " + c->token, "Content-Type: application/json"};
      const std::string path = "/api/v1/shield/keys/" + c->key_id + "/signatures";
      const std::string message = "bench message";
      while (!stop.load() && sink) {
        const auto s = std::chrono::steady_clock::now();
        if (scene_transaction(http, *c, app_id, app_secret, trng, h)) {
          mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
        } else {
          failures.fetch_add(1);
        }
      }
      while (!stop.load() && !sink) {
        const auto s = std::chrono::steady_clock::now();
        auto sig = cosign::device_sign(
            *c->share, as_bytes(message), crypto::kSm2DefaultId, trng,
            [&](const cosign::SignRequest& req) -> Result<cosign::SignResponse> {
              auto ch = http.request("POST", "/api/v1/shield/challenges",
                                     nlohmann::json{{"key_id", c->key_id}, {"device_id", c->device_id}}.dump(), h);
              if (ch.status != 200) return unavailable("challenge", ch.body);
              const std::string nonce = ch.json()["nonce"];
              const Bytes payload = req.encode();
              auto r = http.request(
                  "POST", path,
                  nlohmann::json{{"device_id", c->device_id}, {"nonce", nonce}, {"request", base64_encode(payload)},
                                 {"proof", base64_encode(crypto::unlock::proof(c->auth_key, "sign", c->key_id,
                                                                               c->device_id, nonce, payload))},
                                 {"purpose", "bench"}}
                      .dump(),
                  h);
              if (r.status != 200) return unavailable("sign", r.body);
              return cosign::SignResponse::decode(*base64_decode(std::string(r.json()["response"])));
            });
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
        if (sig) {
          mine.push_back(ms);
        } else {
          failures.fetch_add(1);
        }
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const auto load_end = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(load_end - t0).count();
  double drain = 0;
  long callbacks = 0;
  if (sink) {
    for (int i = 0; i < 600 && sink->count() < static_cast<long>(latencies.size()); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    callbacks = sink->count();
    drain = std::max(0.0, std::chrono::duration<double>(sink->last() - load_end).count());
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))];
  };
  std::printf("%s\n", nlohmann::json{{"clients", clients},
                                     {"seconds", elapsed},
                                     {"signatures", latencies.size()},
                                     {"failures", failures.load()},
                                     {"per_second", latencies.size() / elapsed},
                                     {"p50_ms", pct(0.50)},
                                     {"p90_ms", pct(0.90)},
                                     {"p99_ms", pct(0.99)},
                                     {"scene", scene},
                                     {"callbacks", callbacks},
                                     {"callback_drain_s", drain}}
                          .dump()
                          .c_str());
  return failures.load() == 0 ? 0 : 1;
}
