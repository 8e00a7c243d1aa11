#include "app/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "api/dispatcher.h"
#include "api/metrics.h"
#include "api/problem.h"
#include "api/services.h"
#include "base/id.h"
#include "keystore/software_key_manager.h"
#include "net/http_server.h"
#include "service/ca/ca_service.h"
#include "store/migrate.h"

namespace certseal::app {

const char* const kVersion = "0.1.0";

Result<std::unique_ptr<Logger>> open_logger(const Config& c, const Clock& clock) {
  if (c.log.file.empty()) {
    return std::unique_ptr<Logger>(std::make_unique<JsonLinesLogger>(clock, c.log.level, stderr));
  }
  auto l = JsonLinesLogger::open_file(clock, c.log.level, c.log.file);
  if (!l) return invalid_argument("bad_config", "cannot open log file '" + c.log.file + "'");
  return std::unique_ptr<Logger>(std::move(l));
}

Status prepare_data_dir(const Config& c) {
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) {
    return invalid_argument("bad_data_dir", "cannot create data folder '" + c.data_dir + "'")
        .with_cause(ec.message());
  }
  ::chmod(c.data_dir.c_str(), 0700);
  return {};
}

Result<std::unique_ptr<store::Database>> open_database(const Config& c) {
  if (c.db.engine == "postgres") {
    return store::open_postgres({c.db.url, c.db.pool_size, 10'000, 10});
  }
  return store::open_sqlite({c.db.path, c.db.sqlite_readers, c.db.busy_timeout_ms});
}

namespace {

// The software key manager's master key: 32 random bytes in a 0600 file, created on first start.
Result<SecretBytes> load_or_create_master_key(const std::string& path, Rng& rng) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (std::filesystem::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    SecretBytes key(32);
    in.read(reinterpret_cast<char*>(key.data()), 32);
    if (in.gcount() != 32) return invalid_argument("bad_master_key", "master key file '" + path + "' is not 32 bytes");
    return key;
  }
  SecretBytes key(32);
  rng.fill(key);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return unavailable("keystore_io", "cannot create the master key file '" + path + "'");
  bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return unavailable("keystore_io", "cannot write the master key file '" + path + "'");
  std::filesystem::rename(tmp, path, ec);
  if (ec) return unavailable("keystore_io", "cannot create the master key file '" + path + "'");
  return key;
}

int fail(Logger& log, std::string_view what, const Error& e) {
  log.error(what, {{"code", e.code}, {"detail", e.message}, {"cause", e.cause}});
  std::fprintf(stderr, "certseald: %s: %s\n", std::string(what).c_str(), e.message.c_str());
  return 1;
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
  out += "# HELP certseal_db_pool_connections Database connections by state.\n";
  out += "# TYPE certseal_db_pool_connections gauge\n";
  out += "certseal_db_pool_connections{engine=\"" + e + "\",state=\"open\"} " + std::to_string(p.size) + "\n";
  out += "certseal_db_pool_connections{engine=\"" + e + "\",state=\"in_use\"} " + std::to_string(p.in_use) + "\n";
  out += "certseal_db_pool_connections{engine=\"" + e + "\",state=\"max\"} " + std::to_string(p.max_size) + "\n";
  out += "# HELP certseal_db_pool_waits_total Times a request waited for a database connection.\n";
  out += "# TYPE certseal_db_pool_waits_total counter\n";
  out += "certseal_db_pool_waits_total " + std::to_string(p.waits) + "\n";
  out += "# HELP certseal_db_pool_timeouts_total Times a request gave up waiting for a connection.\n";
  out += "# TYPE certseal_db_pool_timeouts_total counter\n";
  out += "certseal_db_pool_timeouts_total " + std::to_string(p.timeouts) + "\n";
  out += "# HELP certseal_http_connections_open Open client connections.\n";
  out += "# TYPE certseal_http_connections_open gauge\n";
  out += "certseal_http_connections_open " + std::to_string(t.connections_open) + "\n";
  out += "# HELP certseal_http_connections_total Client connections accepted.\n";
  out += "# TYPE certseal_http_connections_total counter\n";
  out += "certseal_http_connections_total " + std::to_string(t.connections_total) + "\n";
  out += "# HELP certseal_http_connections_refused_total Connections refused over the limit.\n";
  out += "# TYPE certseal_http_connections_refused_total counter\n";
  out += "certseal_http_connections_refused_total " + std::to_string(t.connections_refused) + "\n";
  return out;
}

}  // namespace

int migrate_only(const Config& c) {
  SystemClock clock;
  auto log = open_logger(c, clock);
  if (!log) {
    std::fprintf(stderr, "certseald: %s\n", log.error().message.c_str());
    return 2;
  }
  if (auto s = prepare_data_dir(c); !s) return fail(**log, "data folder", s.error());
  auto db = open_database(c);
  if (!db) return fail(**log, "database", db.error());
  auto r = store::migrate(**db, store::schema_migrations(), clock);
  if (!r) return fail(**log, "migration failed", r.error());
  nlohmann::json out = {{"applied", r->applied}, {"current", r->current}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

int serve(const Config& c) {
  SystemClock clock;
  SystemRng rng;
  auto log_r = open_logger(c, clock);
  if (!log_r) {
    std::fprintf(stderr, "certseald: %s\n", log_r.error().message.c_str());
    return 2;
  }
  Logger& log = **log_r;
  if (auto s = prepare_data_dir(c); !s) return fail(log, "data folder", s.error());

  auto db_r = open_database(c);
  if (!db_r) return fail(log, "database", db_r.error());
  store::Database& db = **db_r;
  auto mig = store::migrate(db, store::schema_migrations(), clock);
  if (!mig) return fail(log, "migration failed", mig.error());
  log.info("database ready", {{"engine", store::engine_name(db.engine())},
                              {"schema_version", mig->current},
                              {"applied", mig->applied}});

  std::string node_id = new_uuid_v7(clock, rng);
  std::string now = format_rfc3339(clock.now());
  auto reg = db.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO node_registry (node_id, hostname, version, started_at, last_seen_at) "
                   "VALUES (?, ?, ?, ?, ?)",
                   {node_id, hostname(), kVersion, now, now}));
    return {};
  });
  if (!reg) return fail(log, "node registration", reg.error());

  api::Metrics metrics;
  api::Services services{clock, rng, log, db, metrics, kVersion, node_id};
  api::Dispatcher dispatcher(services, nullptr, api::route_table(), c.log.access);
  net::HttpServer server(
      c.server, [&](net::Request& req) { return dispatcher.handle(req); },
      [&](int status, std::string_view code, std::string_view detail) {
        return dispatcher.refusal(status, code, detail);
      },
      log);
  metrics.set_sampler([&] { return pool_gauges(db, server); });

  if (auto s = server.listen(); !s) return fail(log, "listen", s.error());

  // CAs: keys in the software key manager; created on first start if missing. After listen(), so
  // that the default public URL carries the bound port; before run, so no request sees them absent.
  auto master = load_or_create_master_key(c.keys.master_key_file, rng);
  if (!master) return fail(log, "master key", master.error());
  auto km = keystore::SoftwareKeyManager::open(c.keys.dir, std::move(master).value(), rng);
  if (!km) return fail(log, "key manager", km.error());
  service::ca::CaServiceOptions ca_opts;
  ca_opts.public_url = c.pki.public_url.empty()
                           ? (server.tls() ? "https://" : "http://") + c.server.host + ":" + std::to_string(server.port())
                           : c.pki.public_url;
  ca_opts.crl_validity_s = c.pki.crl_validity_s;
  ca_opts.ocsp_validity_s = c.pki.ocsp_validity_s;
  ca_opts.default_tsa = c.pki.default_tsa;
  for (const auto& ca : c.pki.cas) {
    ca_opts.cas.push_back({ca.id, ca.name, ca.algorithm, ca.root_validity_days, ca.issuing_validity_days, ca.sm2_id});
  }
  auto cas = service::ca::CaService::open(db, **km, clock, rng, log, ca_opts);
  if (!cas) return fail(log, "certificate authorities", cas.error());
  services.ca = cas->get();
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
                         {"node_id", node_id}});
  server.run_until_signal(c.shutdown_grace);
  log.info("stopped", {{"node_id", node_id}});
  return 0;
}

}  // namespace certseal::app
