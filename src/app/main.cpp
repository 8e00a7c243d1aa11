// certseald: the CertSeal platform server.
//   certseald [serve]   run the server (default)
//   certseald migrate   apply database migrations and exit
//   certseald config    print the effective configuration and exit
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>

#include "app/config.h"
#include "app/server.h"

namespace {

struct CommonFlags {
  std::string config_file;
  std::string data_dir, listen, db_engine, db_url, log_level, port_file;
  std::vector<std::string> sets;

  void add_to(CLI::App& app) {
    app.add_option("-c,--config", config_file, "TOML configuration file");
    app.add_option("--data-dir", data_dir, "data folder (data_dir)");
    app.add_option("--listen", listen, "host:port to listen on (server.listen)");
    app.add_option("--db-engine", db_engine, "sqlite or postgres (db.engine)");
    app.add_option("--db-url", db_url, "PostgreSQL URI (db.url)");
    app.add_option("--log-level", log_level, "debug|info|warn|error (log.level)");
    app.add_option("--port-file", port_file, "write the bound port here (server.port_file)");
    app.add_option("--set", sets, "any setting as key=value, e.g. --set server.threads=8");
  }

  bool flags(std::map<std::string, std::string>* out, std::string* err) const {
    auto put = [&](const char* k, const std::string& v) {
      if (!v.empty()) (*out)[k] = v;
    };
    put("data_dir", data_dir);
    put("server.listen", listen);
    put("db.engine", db_engine);
    put("db.url", db_url);
    put("log.level", log_level);
    put("server.port_file", port_file);
    for (const auto& s : sets) {
      auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        *err = "--set needs key=value, got '" + s + "'";
        return false;
      }
      (*out)[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace certseal;
  CLI::App app{"certseald - the CertSeal mobile certificate and e-seal platform server"};
  app.set_version_flag("--version", std::string("certseald ") + app::kVersion);
  CommonFlags common;
  common.add_to(app);
  auto* serve = app.add_subcommand("serve", "run the server (the default)");
  auto* migrate = app.add_subcommand("migrate", "apply database migrations and exit");
  auto* config = app.add_subcommand("config", "print the effective configuration and exit");
  for (auto* sub : {serve, migrate, config}) common.add_to(*sub);
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  std::map<std::string, std::string> flags;
  std::string err;
  if (!common.flags(&flags, &err)) {
    std::fprintf(stderr, "certseald: %s\n", err.c_str());
    return 2;
  }
  if (config->parsed()) {
    std::string file;
    auto v = app::effective_values(common.config_file, flags, app::process_getenv, &file);
    if (!v) {
      std::fprintf(stderr, "certseald: %s\n", v.error().message.c_str());
      return 2;
    }
    std::printf("# file: %s\n%s", file.empty() ? "(none)" : file.c_str(), app::describe(*v).c_str());
    return 0;
  }
  auto cfg = app::load_config(common.config_file, flags, app::process_getenv);
  if (!cfg) {
    std::fprintf(stderr, "certseald: %s\n", cfg.error().message.c_str());
    return 2;
  }
  if (migrate->parsed()) return app::migrate_only(*cfg);
  return app::serve(*cfg);
}
