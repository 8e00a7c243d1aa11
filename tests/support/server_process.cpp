#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace certseal::testing {
namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& log_path,
            const std::map<std::string, std::string>& env, const std::vector<std::string>& wrapper = {}) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::vector<std::string> argv_strings = args;
  argv_strings.insert(argv_strings.begin(), CERTSEALD_BIN);
  argv_strings.insert(argv_strings.begin(), wrapper.begin(), wrapper.end());
  const std::string program = wrapper.empty() ? std::string(CERTSEALD_BIN) : wrapper.front();
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

int wait_exit(pid_t pid, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions opts) : opts_(std::move(opts)) {
  std::filesystem::create_directories(opts_.data_dir);
  log_path_ = opts_.data_dir + "/server.log";
  std::string port_file = opts_.data_dir + "/port";
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {"serve", "--data-dir", opts_.data_dir, "--listen",
                                   "127.0.0.1:0", "--port-file", port_file,
                                   "--db-engine", opts_.engine};
  if (opts_.engine == "postgres") {
    args.push_back("--db-url");
    args.push_back(opts_.pg_url);
  }
  if (opts_.dev_mode) args.insert(args.end(), {"--set", "dev_mode=true"});
  args.insert(args.end(), opts_.extra_args.begin(), opts_.extra_args.end());
  pid_ = spawn(args, log_path_, opts_.env, opts_.wrapper);
  if (pid_ < 0) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int p = 0;
    if (in >> p && p > 0) {
      port_ = p;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) terminate();
}

int ServerProcess::terminate(int seconds) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int rc = wait_exit(pid_, seconds);
  if (rc == -2) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, 5);
    rc = -1;
  }
  pid_ = -1;
  return rc;
}

std::string ServerProcess::log_text() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_certseald(const std::vector<std::string>& args, const std::string& log_path,
                  const std::map<std::string, std::string>& env) {
  pid_t pid = spawn(args, log_path, env);
  if (pid < 0) return -1;
  int rc = wait_exit(pid, 120);
  if (rc == -2) {
    kill(pid, SIGKILL);
    wait_exit(pid, 5);
    return -1;
  }
  return rc;
}

}  // namespace certseal::testing
