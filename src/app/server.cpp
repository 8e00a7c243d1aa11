#include "app/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <mutex>
#include <thread>

#include "api/dispatcher.h"
#include "api/web_files.h"
#include "api/metrics.h"
#include "api/request_limits.h"
#include "api/services.h"
#include "api/rp_auth.h"
#include "api/session_auth.h"
#include "app/demo_seal_makers.h"
#include "app/master_key.h"
#include "app/platform.h"
#include "base/id.h"
#include "keystore/software_key_manager.h"
#include "service/ledger/audit.h"
#include "service/ledger/ledger_service.h"
#include "service/ledger/recorder.h"
#include "net/http_server.h"
#include "service/ca/ca_service.h"
#include "service/order/sandbox_gateway.h"
#include "service/grant/grant_service.h"
#include "service/cloudkey/cloudkey_service.h"
#include "service/pc/pc_service.h"
#include "service/clientinfo/client_releases.h"
#include "service/token/token_certificates.h"
#include "service/seal/seal_service.h"
#include "service/scene/application_links.h"
#include "service/scene/rp_apps.h"
#include "service/org/admin_letter_service.h"
#include "service/scene/document_fetch.h"
#include "service/scene/scene_service.h"
#include "service/shield/shield_service.h"
#include "store/migrate.h"

namespace certseal::app {
namespace {

int fail(Logger* log, std::string_view what, const Error& e) {
  if (log) log->error(what, {{"code", e.code}, {"detail", e.message}, {"cause", e.cause}});
  std::fprintf(stderr, "certseald: %s: %s\n", std::string(what).c_str(), e.message.c_str());
  return e.kind == ErrorKind::kInvalidArgument ? 2 : 1;
}

// The log's origin: ledger.origin, or <host[:port] of the public URL>/ledger (schema-less, as
// C2SP tlog-checkpoint recommends).
std::string ledger_origin(const Config& c, const std::string& public_url) {
  if (!c.ledger.origin.empty()) return c.ledger.origin;
  std::string host = url_host(public_url);
  return (host.empty() ? std::string("certseal.local") : host) + "/ledger";
}

std::string hostname() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string pool_gauges(const store::Database& db, const net::HttpServer& server) {
  auto p = db.stats();
  auto t = server.stats();
  std::string e(store::engine_name(db.engine()));
  std::string out;
  auto metric = [&out](const std::string& name, const char* type, const char* help,
                       const std::vector<std::pair<std::string, std::int64_t>>& samples) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, value] : samples) out += name + labels + " " + std::to_string(value) + "\n";
  };
  std::string l = "{engine=\"" + e + "\",state=\"";
  metric("certseal_db_pool_connections", "gauge", "Database connections by state.",
         {{l + "open\"}", p.size}, {l + "in_use\"}", p.in_use}, {l + "max\"}", p.max_size}});
  metric("certseal_db_pool_waits_total", "counter", "Times a request waited for a database connection.",
         {{"", p.waits}});
  metric("certseal_db_pool_timeouts_total", "counter", "Times a request gave up waiting for a connection.",
         {{"", p.timeouts}});
  metric("certseal_http_connections_open", "gauge", "Open client connections.", {{"", t.connections_open}});
  metric("certseal_http_connections_total", "counter", "Client connections accepted.", {{"", t.connections_total}});
  metric("certseal_http_connections_refused_total", "counter", "Connections refused over the limit.",
         {{"", t.connections_refused}});
  metric("certseal_http_requests_rate_limited_total", "counter", "Requests refused by the per-address rate limit.",
         {{"", t.requests_rate_limited}});
  metric("certseal_http_requests_busy_total", "counter", "Requests answered 503 because the worker queue was full.",
         {{"", t.requests_busy}});
  metric("certseal_http_worker_queue", "gauge", "Requests waiting for a worker thread.", {{"", t.worker_queue}});
  metric("certseal_http_accept_descriptor_failures_total", "counter",
         "accept() failures for lack of file descriptors (EMFILE/ENFILE).", {{"", t.accept_descriptor_failures}});
  return out;
}

// Runs `work` every interval on its own thread until destroyed (scheduled jobs; the sandbox
// gateway's notification delivery).
class JobThread {
 public:
  JobThread(std::function<void()> work, std::chrono::milliseconds interval)
      : work_(std::move(work)), interval_(interval) {
    thread_ = std::thread([this] { loop(); });
  }
  ~JobThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      work_();
      lock.lock();
      cv_.wait_for(lock, interval_, [this] { return stop_; });
    }
  }
  std::function<void()> work_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int migrate_only(const Config& c) {
  auto p = open_platform(c);  // applies what is pending
  if (!p) return fail(nullptr, "migration failed", p.error());
  const auto& r = (*p)->migration;
  std::printf("%s\n", nlohmann::json({{"applied", r.applied}, {"current", r.current}}).dump().c_str());
  return 0;
}

int serve(const Config& c) {
  // M5: the sandbox gateway, the dev identity verifier and the SMS outbox only with dev_mode/--demo.
  if (Status s = check_development_components(c); !s) return fail(nullptr, "start", s.error());
  auto pr = open_platform(c);
  if (!pr) return fail(nullptr, "start", pr.error());
  Platform& p = **pr;
  Logger& log = *p.log;
  if (c.demo) {
    if (Status s = seed_demo(p); !s) return fail(&log, "demo data", s.error());
  }
  const std::vector<std::string> dev_components = development_components(c);
  if (!dev_components.empty()) {
    log.warn("development components are on: not for production",
             {{"components", dev_components}, {"dev_mode", c.dev_mode}, {"demo", c.demo}});
  }

  std::string node_id = new_uuid_v7(p.clock, p.rng);
  std::string now = format_rfc3339(p.clock.now());
  auto reg = p.db->write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO node_registry (node_id, hostname, version, started_at, last_seen_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {node_id, hostname(), kVersion, now, now}));
    return {};
  });
  if (!reg) return fail(&log, "node registration", reg.error());

  api::Metrics metrics;
  api::Services services{p.clock, p.rng, log, *p.db, metrics, kVersion, node_id};
  services.accounts = p.accounts.get();
  services.sms_codes = p.sms_codes.get();
  services.agreements = p.agreements.get();
  services.blobs = p.blobs.get();
  services.person_verifications = p.person_verifications.get();
  services.privacy = p.privacy.get();
  services.orgs = p.orgs.get();
  services.development_components = dev_components;
  std::optional<api::WebFiles> web_app;
  if (!c.web.app_dir.empty()) {
    auto w = api::WebFiles::load(c.web.app_dir);
    if (!w) return fail(&log, "web app", w.error());
    web_app = std::move(w).value();
    services.web_app = &*web_app;
    log.info("web app", {{"dir", c.web.app_dir}, {"files", web_app->files()}});
  }
  std::optional<api::WebFiles> web_console;
  if (!c.web.console_dir.empty()) {
    auto w = api::WebFiles::load(c.web.console_dir);
    if (!w) return fail(&log, "web console", w.error());
    web_console = std::move(w).value();
    services.web_console = &*web_console;
    log.info("web console", {{"dir", c.web.console_dir}, {"files", web_console->files()}});
  }
  api::RequestLimits limits({.ocsp_per_minute = c.limits.ocsp_per_minute,
                            .tsa_per_minute = c.limits.tsa_per_minute,
                            .form_email_per_day = c.limits.form_email_per_day,
                            .pc_pairings_per_hour = c.limits.pc_pairings_per_hour,
                            .shield_enrolments_per_hour = c.limits.shield_enrolments_per_hour});
  services.limits = &limits;
  api::SessionAuthenticator sessions(*p.accounts);
  // Relying parties (their services are wired below, before the server runs).
  std::unique_ptr<service::RpAppService> rp_apps;
  std::unique_ptr<service::SceneService> scenes;
  std::unique_ptr<service::ApplicationLinkService> app_links;
  service::CurlCallbackSender callback_sender;
  service::CurlDocumentFetcher document_fetcher(c.server.body_limit);
  services.document_fetcher = &document_fetcher;
  std::optional<api::RpAuthenticator> rp_auth;
  api::Authenticator* auth = &sessions;
  api::Dispatcher dispatcher(services, auth, api::route_table(), c.log.access);
  dispatcher.set_limits({c.server.small_body_limit, c.server.body_limit, 4 * 1024, c.limits.metrics_token});
  net::HttpServer server(
      c.server, [&](net::Request& req) { return dispatcher.handle(req); },
      [&](int status, std::string_view code, std::string_view detail) {
        return dispatcher.refusal(status, code, detail);
      },
      log,
      [&](const net::Request& head, std::size_t* limit) { return dispatcher.admit(head, limit); },
      [&](const net::Request& head) { return dispatcher.runs_inline(head); });
  metrics.set_sampler([&] { return pool_gauges(*p.db, server); });

  if (auto s = server.listen(); !s) return fail(&log, "listen", s.error());
  
  // CAs: keys in the software key manager; created on first start if missing. After listen(), so
  // that the default public URL carries the bound port; before run, so no request sees them absent.
  auto master = load_master_key(c, process_getenv, p.rng);
  if (!master) return fail(&log, "master key", master.error());
  log.info("master key", {{"source", c.keys.master_key_source}, {"where", master->where}});
  if (master->inside_data_dir) {
    log.warn("the master key lives inside the data folder: a copy of it opens every key; see keys.master_key_source",
             {{"where", master->where}});
  }
  SecretBytes shield_key = service::shield_seal_key(master->key);
  SecretBytes rp_key = service::rp_seal_key(master->key);
  SecretBytes scene_key = service::scene_token_key(master->key);
  auto km = keystore::SoftwareKeyManager::open(c.keys.dir, std::move(master->key), p.rng);
  if (!km) return fail(&log, "key manager", km.error());
  if (Status s = (*km)->check_master_key(); !s) return fail(&log, "master key", s.error());
  service::ca::CaServiceOptions ca_opts;
  ca_opts.public_url = c.pki.public_url.empty()
                           ? (server.tls() ? "https://" : "http://") + c.server.host + ":" + std::to_string(server.port())
                           : c.pki.public_url;
  ca_opts.crl_validity_s = c.pki.crl_validity_s;
  ca_opts.ocsp_validity_s = c.pki.ocsp_validity_s;
  ca_opts.default_tsa = c.pki.default_tsa;
  ca_opts.ocsp_max_certids = static_cast<std::size_t>(c.limits.ocsp_max_certids);
  for (const auto& ca : c.pki.cas) {
    ca_opts.cas.push_back({ca.id, ca.name, ca.algorithm, ca.root_validity_days, ca.issuing_validity_days, ca.sm2_id});
  }
  auto cas = service::ca::CaService::open(*p.db, **km, p.clock, p.rng, log, ca_opts);
  if (!cas) return fail(&log, "certificate authorities", cas.error());
  services.ca = cas->get();
  // Orders: products refer to these CAs; online payment through the configured gateways.
  p.orders->set_ca(cas->get());
  if (c.demo) {
    if (Status s = seed_demo_catalogue(p); !s) return fail(&log, "demo catalogue", s.error());
  }
  services.orders = p.orders.get();
  services.invoices = p.invoices.get();
  service::ShieldService shield(*p.db, p.clock, p.rng, log, std::move(shield_key), *p.sms_codes, *p.security_notices, *p.orders, **cas,
                                *p.identity_verifier, service::ShieldOptions{c.shield.max_failures, c.shield.challenge_ttl_s, 600,
                                                       c.shield.failure_decay_s});
  shield.set_photo_store(*p.blobs);
  shield.set_webauthn_origin(c.shield.webauthn_origin.empty() ? ca_opts.public_url : c.shield.webauthn_origin);
  // Certificates follow membership and accounts (review H2, L7): told after each change, and
  // swept by the scheduled jobs.
  p.orgs->set_certificate_holders(&shield);
  p.accounts->set_certificate_holders(&shield);
  p.certificate_holders = &shield;
  services.shield = &shield;
  service::PcService pcs(*p.db, p.clock, p.rng, log, shield,
                        service::PcOptions{c.pc.pairing_ttl_s, c.pc.request_ttl_s});
  services.pcs = &pcs;
  service::TokenCertificates token_certs(*p.db, p.clock, p.rng, log, **cas);
  services.token_certs = &token_certs;
  // What clients learn about themselves: releases per business, the support certificate of logs.
  service::ClientReleaseService client_releases(*p.db, p.clock, p.rng, log);
  services.client_releases = &client_releases;
  // The transparency log (docs/LEDGER.md): keys in the key manager, a background sequencer, and
  // one recorder every service appends through inside its own transactions.
  auto ledger_keys = service::ledger::LogKeys::open(*p.db, **km, p.clock, p.rng, log, ledger_origin(c, ca_opts.public_url));
  if (!ledger_keys) return fail(&log, "transparency log keys", ledger_keys.error());
  service::ledger::Sequencer sequencer(*p.db, **ledger_keys, p.clock, log, std::chrono::milliseconds(c.ledger.interval_ms));
  service::ledger::LedgerService ledger(*p.db, **ledger_keys, sequencer);
  service::ledger::Recorder recorder(p.clock);
  (*cas)->set_ledger(&recorder);
  shield.set_ledger(&recorder);
  p.accounts->set_ledger(&recorder);
  p.orders->set_ledger(&recorder);
  p.orgs->set_ledger(&recorder);
  services.ledger = &ledger;
  // Organisation grants (docs/GRANTS.md): checked and counted by the shield at the moment of use.
  service::GrantService grants(*p.db, p.clock, p.rng, log);
  grants.set_ledger(&recorder);
  shield.set_grant_gate(&grants);
  services.grants = &grants;
  // Cloud key (docs/CLOUDKEY.md): staff keys are shield keys; their device rules are checked at each step.
  service::CloudKeyService cloudkey(*p.db, p.clock, p.rng, log, shield, *p.sms_codes,
                                    service::CloudKeyOptions{ca_opts.public_url, 300, c.cloudkey.captcha_ttl_s,
                                                             c.cloudkey.captcha_per_hour});
  shield.set_key_step_gate(&cloudkey);
  // Delegations between staff are grants of the cloud key; organisation grants go on to GrantService.
  cloudkey.set_grant_fallback(&grants);
  cloudkey.set_ledger(&recorder);
  cloudkey.set_sms_sender(p.sms_sender.get());
  cloudkey.set_blob_store(p.blobs.get());
  shield.set_grant_gate(&cloudkey);
  services.cloudkey = &cloudkey;
  if (auto r = sequencer.run_once(); !r) return fail(&log, "transparency log", r.error());
  sequencer.start();
  // Seals: seal makers are certified by the first SM2 CA (docs/SEALS.md).
  std::string maker_ca;
  for (const auto& ca : c.pki.cas) {
    if (ca.algorithm == "sm2" && maker_ca.empty()) maker_ca = ca.id;
  }
  service::SealService seals(*p.db, **cas, **km, p.clock, p.rng, log, service::SealServiceOptions{maker_ca});
  seals.set_blob_store(p.blobs.get());
  seals.set_ledger(&recorder);
  if (c.demo && !maker_ca.empty()) {
    if (Status s = certify_demo_seal_makers(seals); !s) return fail(&log, "demo seal makers", s.error());
  }
  services.seals = &seals;
  p.seals = &seals;
  service::SandboxGateway* sandbox = nullptr;
  if (c.payment.sandbox_enabled) {
    auto gw = service::SandboxGateway::open(*p.db, p.clock, p.rng, log, c.payment.sandbox_key_file, ca_opts.public_url);
    if (!gw) return fail(&log, "sandbox payment gateway", gw.error());
    sandbox = gw->get();
    p.orders->add_gateway(std::move(gw).value());
  }
  services.sandbox = sandbox;
  rp_apps = std::make_unique<service::RpAppService>(*p.db, p.clock, p.rng, log, std::move(rp_key));
  service::SceneOptions scene_opts;
  scene_opts.public_url = c.scenes.public_url.empty() ? ca_opts.public_url : c.scenes.public_url;
  scene_opts.default_ttl_s = c.scenes.default_ttl_s;
  scene_opts.max_waiters = c.scenes.max_waiters;
  scene_opts.callback_max_attempts = c.scenes.callback_max_attempts;
  scene_opts.callback_backoff_s = c.scenes.callback_backoff_s;
  scenes = std::make_unique<service::SceneService>(*p.db, p.clock, p.rng, log, *rp_apps, *p.orders, callback_sender,
                                                   std::move(scene_key), scene_opts);
  scenes->set_grants(&grants);
  scenes->set_ledger(&recorder);
  scenes->set_certificate_gate(&cloudkey);
  seals.set_grant_gate(&grants);
  scenes->set_document_tsa([ca = cas->get()](BytesView req) { return ca->timestamp("", req); });
  // PAdES B-LT on request: the CAs' chains, CRL and OCSP answers, asked in process.
  scenes->set_document_validation([ca = cas->get()](BytesView cert, bool refresh) -> Result<docsign::ValidationData> {
    CS_ASSIGN(auto m, ca->validation_material(cert, refresh));
    docsign::ValidationData d;
    d.certs = std::move(m.certs);
    if (m.crl) d.crls.push_back(std::move(*m.crl));
    if (m.ocsp) d.ocsps.push_back(std::move(*m.ocsp));
    return d;
  });
  // Admin transfer only through the signed letter (授权委托书), PAdES B-T with the platform's TSA.
  service::AdminLetterService admin_letters(*p.db, p.clock, p.rng, log, *p.orgs, *p.blobs);
  admin_letters.set_tsa([ca = cas->get()](BytesView req) { return ca->timestamp("", req); });
  services.admin_letters = &admin_letters;
  // Application forms signed digitally: PAdES B-T with the same TSA.
  p.orders->set_form_tsa([ca = cas->get()](BytesView req) { return ca->timestamp("", req); });
  services.rp_apps = rp_apps.get();
  services.scenes = scenes.get();
  app_links = std::make_unique<service::ApplicationLinkService>(*p.db, p.clock, p.rng, log, *p.orders,
                                                                scene_opts.public_url);
  p.orders->set_origin(app_links.get());
  services.app_links = app_links.get();
  rp_auth.emplace(*rp_apps, sessions);
  dispatcher.set_authenticator(&*rp_auth);
  // Signals are ours before anyone can learn the port: a SIGTERM sent as soon as the port file
  // appears stops the server gracefully instead of killing it.
  server.handle_signals(c.shutdown_grace);
  if (!c.port_file.empty()) {
    std::string tmp = c.port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << server.port() << "\n";
    }
    std::filesystem::rename(tmp, c.port_file);  // readers never see a half-written file
  }
  log.info("listening", {{"address", c.server.host},
                         {"port", server.port()},
                         {"tls", server.tls()},
                         {"data_dir", c.data_dir},
                         {"version", kVersion},
                         {"node_id", node_id},
                         {"max_connections", static_cast<std::int64_t>(server.max_connections())},
                         {"workers", c.server.workers},
                         {"demo", c.demo}});
  {
    JobThread jobs(
        [&p] {
          if (Status s = run_jobs_once(p); !s) {
            p.log->warn("scheduled job failed", {{"code", s.error().code}, {"cause", s.error().cause}});
          }
        },
        std::chrono::seconds(c.jobs_interval_s));
    std::optional<JobThread> sandbox_delivery;
    if (sandbox) {
      sandbox_delivery.emplace(
          [&p, gw = sandbox] {
            if (auto n = gw->deliver_pending(); !n) {
              p.log->warn("sandbox notification delivery failed", {{"code", n.error().code}});
            }
          },
          std::chrono::milliseconds(200));
    }
    JobThread callbacks(
        [&p, &scenes] {
          if (auto n = scenes->deliver_callbacks(); !n) {
            p.log->warn("scene callback delivery failed", {{"code", n.error().code}, {"cause", n.error().cause}});
          }
        },
        std::chrono::milliseconds(500));
    JobThread nonces(
        [&p, &rp_apps] {
          if (auto n = rp_apps->purge_nonces(); !n) p.log->warn("nonce purge failed", {{"code", n.error().code}});
        },
        std::chrono::seconds(60));
    // PostgreSQL: completions on other processes wake this process's long-polls (LISTEN/NOTIFY).
    std::thread listener;
    if (p.db->engine() == store::Engine::kPostgres) {
      listener = std::thread([&scenes, url = c.db.url] { scenes->run_listener(url); });
    }
    server.run();
    scenes->stop_listener();
    if (listener.joinable()) listener.join();
  }
  sequencer.stop();
  log.info("stopped", {{"node_id", node_id}});
  return 0;
}

int admin_create_operator(const Config& c, const std::string& phone, const std::string& password) {
  auto p = open_platform(c);
  if (!p) return fail(nullptr, "start", p.error());
  auto a = (*p)->accounts->ensure_account(phone, password, true, true);
  if (!a) return fail((*p)->log.get(), "create-operator", a.error());
  std::printf("%s\n", nlohmann::json({{"id", a->id}, {"phone", a->phone}, {"operator", a->is_operator}})
                          .dump().c_str());
  return 0;
}

int admin_sms_outbox(const Config& c, const std::string& phone, int limit, bool code_only) {
  auto p = open_platform(c);
  if (!p) return fail(nullptr, "start", p.error());
  // On the server machine, whoever runs this can read the database (and so every code) anyway:
  // codes are shown here, and masked for operators over HTTP (review M5).
  auto entries = service::list_sms_outbox(*(*p)->db, phone, "", code_only ? 1000 : limit, /*reveal_codes=*/true);
  if (!entries) return fail((*p)->log.get(), "sms-outbox", entries.error());
  if (code_only) {
    for (const auto& e : *entries) {
      if (e.template_id.rfind("sms_code_", 0) != 0) continue;
      std::string masked = service::mask_sms_code(e.template_id, e.text);
      std::string code;
      for (std::size_t i = 0; i < e.text.size(); ++i) {
        if (masked[i] == '*') code += e.text[i];
        else if (!code.empty()) break;
      }
      if (code.empty()) continue;
      std::printf("%s\n", code.c_str());
      return 0;
    }
    std::fprintf(stderr, "certseald: no SMS code for %s in the outbox\n", phone.c_str());
    return 1;
  }
  for (const auto& e : *entries) {
    std::printf("%s\n", nlohmann::json({{"created_at", e.created_at}, {"phone", e.phone},
                                        {"template", e.template_id}, {"text", e.text}})
                            .dump().c_str());
  }
  return 0;
}

int admin_ledger_audit(const Config& c) {
  auto p = open_platform(c);
  if (!p) return fail(nullptr, "start", p.error());
  Logger& log = *(*p)->log;
  auto master = load_master_key(c, process_getenv, (*p)->rng);
  if (!master) return fail(&log, "master key", master.error());
  auto km = keystore::SoftwareKeyManager::open(c.keys.dir, std::move(master->key), (*p)->rng);
  if (!km) return fail(&log, "key manager", km.error());
  auto keys = service::ledger::LogKeys::open(*(*p)->db, **km, (*p)->clock, (*p)->rng, log, "");
  if (!keys) return fail(&log, "transparency log keys", keys.error());
  auto rep = service::ledger::audit_log(*(*p)->db, **keys);
  if (!rep) return fail(&log, "ledger audit", rep.error());
  nlohmann::json out = {{"origin", (*keys)->origin()},
                        {"size", rep->size},
                        {"entries_checked", rep->entries_checked},
                        {"checkpoints_checked", rep->checkpoints_checked},
                        {"ok", rep->ok()}};
  if (rep->bad_entry) out["bad_entry"] = *rep->bad_entry;
  if (rep->bad_checkpoint) out["bad_checkpoint"] = *rep->bad_checkpoint;
  if (!rep->ok()) out["problem"] = rep->problem;
  std::printf("%s\n", out.dump().c_str());
  if (!rep->ok()) {
    std::fprintf(stderr, "certseald: ledger audit: %s\n", rep->problem.c_str());
    return 1;
  }
  return 0;
}

int admin_run_jobs(const Config& c) {
  auto p = open_platform(c);
  if (!p) return fail(nullptr, "start", p.error());
  if (Status s = run_jobs_once(**p); !s) return fail((*p)->log.get(), "jobs", s.error());
  return 0;
}

}  // namespace certseal::app
