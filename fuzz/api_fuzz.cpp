// JSON request bodies through the real router and handlers: certseald's route table
// (api/routes.cpp) behind the real Dispatcher, with the account, identity, organisation and order
// services of a platform opened on a throw-away SQLite database (the shield, scene, CA, seal and
// ledger services are left out: their routes answer 503, which is allowed). The input picks a
// route, its path parameters, its query and its body; the caller is a logged-in user who is also
// an operator. The property: whatever the body (depth, size, types), the answer is a clear client
// error or success — never a 500, which would mean a handler failed on input it should have
// refused.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/dispatcher.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/services.h"
#include "app/platform.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;

namespace {

class FixedPrincipal final : public api::Authenticator {
 public:
  Result<api::Principal> authenticate(const net::Request&) override {
    return api::Principal{"0190f000-0000-7000-8000-000000000001", {api::Role::kUser, api::Role::kOperator}};
  }
};

struct World {
  std::unique_ptr<app::Platform> platform;
  api::Metrics metrics;
  std::unique_ptr<api::Services> services;
  FixedPrincipal auth;
  std::unique_ptr<api::Dispatcher> dispatcher;
};

World& world() {
  static World* w = [] {
    auto* out = new World;
    char tmpl[] = "/tmp/certseal-api-fuzz-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    if (!dir) std::abort();
    const std::string data_dir = dir;
    auto c = app::load_config("", {{"data_dir", data_dir}, {"dev_mode", "true"}, {"log.access", "false"},
                                   {"log.file", data_dir + "/log"}},
                              [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
    if (!c) {
      std::fprintf(stderr, "api_fuzz: config: %s\n", c.error().message.c_str());
      std::abort();
    }
    auto p = app::open_platform(*c);
    if (!p) {
      std::fprintf(stderr, "api_fuzz: platform: %s\n", p.error().message.c_str());
      std::abort();
    }
    out->platform = std::move(p).value();
    app::Platform& pl = *out->platform;
    out->services = std::make_unique<api::Services>(
        api::Services{pl.clock, pl.rng, *pl.log, *pl.db, out->metrics, "fuzz", "fuzz-node"});
    out->services->accounts = pl.accounts.get();
    out->services->sms_codes = pl.sms_codes.get();
    out->services->agreements = pl.agreements.get();
    out->services->blobs = pl.blobs.get();
    out->services->person_verifications = pl.person_verifications.get();
    out->services->privacy = pl.privacy.get();
    out->services->orgs = pl.orgs.get();
    out->services->orders = pl.orders.get();
    out->services->invoices = pl.invoices.get();
    out->dispatcher = std::make_unique<api::Dispatcher>(*out->services, &out->auth, api::route_table(), false);
    return out;
  }();
  return *w;
}

// Path parameters become short URL-safe words from the input.
std::string path_word(BytesView b) {
  static constexpr char kAlphabet[] = "abcdef0123456789-_.~%zAZ";
  std::string out;
  for (std::uint8_t c : b) out.push_back(kAlphabet[c % (sizeof kAlphabet - 1)]);
  return out.empty() ? "x" : out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = world();
  fuzz::FuzzInput in(data, size);
  const auto routes = api::route_table();
  const std::size_t hi = in.byte();
  const std::size_t lo = in.byte();
  const api::Route& r = routes[(hi << 8 | lo) % routes.size()];
  if (r.method != "POST" && r.method != "PUT" && r.method != "PATCH" && r.method != "GET") return 0;
  net::Request req;
  req.method = std::string(r.method);
  // The pattern with each {param} (or final {param+}) filled in.
  std::string path;
  std::string_view pattern = r.pattern;
  while (!pattern.empty()) {
    const auto open = pattern.find('{');
    if (open == std::string_view::npos) {
      path += pattern;
      break;
    }
    path += pattern.substr(0, open);
    const auto close = pattern.find('}', open);
    path += path_word(in.take(in.byte() % 24));
    pattern.remove_prefix(close == std::string_view::npos ? pattern.size() : close + 1);
  }
  BytesView query = in.field();
  req.path = path;
  req.query = std::string(reinterpret_cast<const char*>(query.data()), query.size());
  req.target = req.path + (req.query.empty() ? "" : "?" + req.query);
  req.remote_addr = "127.0.0.1";
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Authorization", "Bearer fuzz");
  const std::string_view body = in.rest_text();
  req.body = std::string(body);
  net::Response resp = w.dispatcher->handle(req);
  if (resp.status == 500) {
    std::fprintf(stderr, "api_fuzz: 500 from %s %s: %s\n", req.method.c_str(), std::string(r.pattern).c_str(),
                 resp.body.c_str());
    std::abort();
  }
  return 0;
}
