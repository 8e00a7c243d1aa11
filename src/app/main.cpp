// certseald: the CertSeal platform server.
//   certseald [serve]   run the server (default)
//   certseald migrate   apply database migrations and exit
//   certseald config    print the effective configuration and exit
//   certseald admin ... operator tasks: create-operator, sms-outbox, run-jobs, ledger audit
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <map>

#include "app/config.h"
#include "app/platform.h"
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
  bool demo = false;
  serve->add_flag("--demo", demo, "create the demo operator and users (demo.enabled)");
  auto* admin = app.add_subcommand("admin", "operator tasks");
  admin->require_subcommand(1);
  std::string op_phone, op_password;
  bool password_stdin = false;
  auto* create_op = admin->add_subcommand("create-operator", "create an operator account");
  create_op->add_option("--phone", op_phone, "the operator's mobile number")->required();
  auto* pw_opt = create_op->add_option("--password", op_password, "the password (prefer --password-stdin)");
  create_op->add_flag("--password-stdin", password_stdin, "read the password from standard input")
      ->excludes(pw_opt);
  std::string outbox_phone;
  int outbox_limit = 10;
  auto* outbox = admin->add_subcommand("sms-outbox", "print the newest messages of the SMS outbox");
  outbox->add_option("--phone", outbox_phone, "only messages to this number");
  outbox->add_option("--limit", outbox_limit, "how many (default 10)")->check(CLI::Range(1, 1000));
  bool outbox_code = false;
  outbox->add_flag("--code", outbox_code, "print only the newest SMS code (needs --phone), for scripts and the demo");
  auto* run_jobs = admin->add_subcommand("run-jobs", "run the scheduled jobs once");
  auto* ledger = admin->add_subcommand("ledger", "transparency log tasks");
  ledger->require_subcommand(1);
  auto* ledger_audit = ledger->add_subcommand("audit", "recompute the log from its entries and check every checkpoint");
  for (auto* sub : {serve, migrate, config, admin, create_op, outbox, run_jobs, ledger, ledger_audit}) common.add_to(*sub);
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
  if (create_op->parsed()) {
    if (password_stdin) {
      if (!std::getline(std::cin, op_password)) op_password.clear();
    }
    if (op_password.empty()) {
      std::fprintf(stderr, "certseald: give the password with --password or --password-stdin\n");
      return 2;
    }
    return app::admin_create_operator(*cfg, op_phone, op_password);
  }
  if (outbox->parsed()) {
    if (outbox_code && outbox_phone.empty()) {
      std::fprintf(stderr, "certseald: sms-outbox --code needs --phone\n");
      return 2;
    }
    return app::admin_sms_outbox(*cfg, outbox_phone, outbox_limit, outbox_code);
  }
  if (run_jobs->parsed()) return app::admin_run_jobs(*cfg);
  if (ledger_audit->parsed()) return app::admin_ledger_audit(*cfg);
  if (demo) cfg->demo = true;
  return app::serve(*cfg);
}
