// Starts a real certseald process for integration tests and stops it with SIGTERM.
// The server is told to listen on 127.0.0.1:0 and writes the port it bound to a file, so
// parallel tests never race for a port.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace certseal::testing {

struct ServerOptions {
  std::string engine = "sqlite";  // "sqlite" or "postgres"
  std::string pg_url;             // for postgres
  std::string data_dir;           // required
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;
  // Tests run with the development components (sandbox gateway, dev identity verifier, SMS
  // outbox), which certseald refuses without dev_mode; false leaves dev_mode to extra_args.
  bool dev_mode = true;
  // Runs certseald through this command, e.g. {"/usr/bin/prlimit", "--nofile=64:64", "--"}.
  std::vector<std::string> wrapper;
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions opts);
  ~ServerProcess();  // SIGTERM, then SIGKILL after 15 s
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_text() const;

  // Sends SIGTERM and waits up to `seconds`; returns the exit status (or -1 on timeout/signal).
  int terminate(int seconds = 15);

 private:
  ServerOptions opts_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Runs certseald with args to completion (for sub-commands such as `migrate`); returns exit code.
int run_certseald(const std::vector<std::string>& args, const std::string& log_path,
                  const std::map<std::string, std::string>& env = {});

}  // namespace certseal::testing
