// `certseal agent …`: the PIN cache, a per-user process holding unlocked shares for a while.
#include "client/cli_commands.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/encoding.h"
#include "client/agent.h"
#include "client/duration.h"
#include "client/messages.h"

namespace certseal::client::cli {
namespace {

// ---- PIN cache ----

Result<json> cmd_agent_start(Ctx& ctx, const std::string& ttl_text, bool foreground) {
  CS_ASSIGN(auto ttl, parse_pin_cache_ttl(ttl_text));
  CS_ASSIGN(auto* s, ctx.store());
  std::string sock = s->agent_socket().string();
  static SystemClock clock;
  if (foreground) {
    AgentServer server(sock, clock, ttl, ::getuid());
    CS_TRY(server.listen());
    if (!ctx.g.json) std::cout << tr("msg.agent_started", format_duration(ttl), sock) << std::endl;
    server.serve();
    return json{{"stopped", true}};
  }
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return Error(ErrorKind::kInternal, "io", "pipe failed");
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) return Error(ErrorKind::kInternal, "io", "fork failed");
  if (pid == 0) {
    ::close(pipefd[0]);
    ::setsid();
    pid_t grandchild = ::fork();  // not a session leader: never gets a controlling terminal
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    AgentServer server(sock, clock, ttl, ::getuid());
    Status st = server.listen();
    char c = st ? 'o' : (st.error().code == "agent_running" ? 'r' : 'e');
    ssize_t w = ::write(pipefd[1], &c, 1);
    (void)w;
    ::close(pipefd[1]);
    if (st) server.serve();
    ::_exit(st ? 0 : 1);
  }
  ::close(pipefd[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  char c = 0;
  ssize_t n = ::read(pipefd[0], &c, 1);
  ::close(pipefd[0]);
  if (n != 1 || c == 'e')
    return Error(ErrorKind::kInternal, "agent_failed", "the PIN cache could not start on " + sock);
  if (c == 'r') return conflict("agent_running", "a PIN cache already runs on " + sock);
  if (!ctx.g.json) std::cout << tr("msg.agent_started", format_duration(ttl), sock) << "\n";
  return json{{"socket", sock}, {"ttl_s", ttl.count()}};
}

Result<json> cmd_agent_simple(Ctx& ctx, const json& request, const std::string& done_msg) {
  CS_ASSIGN(auto* s, ctx.store());
  std::string sock = s->agent_socket().string();
  auto r = agent_request(sock, request);
  if (!r && r.error().code == "agent_unavailable") {
    return Error(ErrorKind::kFailedPrecondition, "agent_not_running", tr("msg.agent_not_running"));
  }
  CS_TRY(r);
  if (!ctx.g.json && !done_msg.empty()) std::cout << done_msg << "\n";
  return *r;
}

// The options live here, as long as the parse and the action that read them.
struct AgentCommands final : CommandFamily {
  Ctx& ctx;
  Action& action;
  std::string ttl_text = "30m";
  bool foreground = false;

  AgentCommands(CLI::App& app, Ctx& ctx_in, Action& action_in) : ctx(ctx_in), action(action_in) {
    CLI::App* agent = sub(&app, "agent", "the PIN cache (证书密码缓存)");
    agent->require_subcommand(1);
    CLI::App* astart = sub(agent, "start", "start the PIN cache in the background");
    astart->add_option("--ttl", ttl_text, "1m, 5m, 10m, 30m (default), 1h or off");
    astart->add_flag("--foreground", foreground, "stay in the foreground");
    astart->callback([&] { action = [&] { return cmd_agent_start(ctx, ttl_text, foreground); }; });
    CLI::App* attl =
        sub(agent, "ttl", "change the cache time (applies from the next password entry)");
    attl->add_option("duration", ttl_text, "1m, 5m, 10m, 30m, 1h or off")->required();
    attl->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto ttl, parse_pin_cache_ttl(ttl_text));
        return cmd_agent_simple(ctx, {{"op", "ttl"}, {"ttl_s", ttl.count()}},
                                tr("msg.agent_ttl", format_duration(ttl)));
      };
    });
    sub(agent, "status", "what is cached, and until when")->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, cmd_agent_simple(ctx, {{"op", "status"}}, ""));
        if (!ctx.g.json) {
          std::cout << "ttl " << format_duration(std::chrono::seconds(r.value("ttl_s", 0L)))
                    << "\n";
          for (const auto& e : r.value("entries", json::array())) {
            std::cout << str(e, "key_id") << "  "
                      << format_rfc3339(sys_time_from_unix(e.value("expires_at", 0L)))
                      << "\n";
          }
        }
        return r;
      };
    });
    sub(agent, "clear", "forget every cached password")->callback([&] {
      action = [&] { return cmd_agent_simple(ctx, {{"op", "clear"}}, tr("msg.agent_stopped")); };
    });
    sub(agent, "stop", "wipe the cache and stop")->callback([&] {
      action = [&]() -> Result<json> {
        CS_ASSIGN(auto r, cmd_agent_simple(ctx, {{"op", "stop"}}, tr("msg.agent_stopped")));
        // Return once the agent is gone, so a following `agent start` finds the place free.
        CS_ASSIGN(auto* s, ctx.store());
        for (int i = 0; i < 50 && std::filesystem::exists(s->agent_socket()); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return r;
      };
    });
  }
};

}  // namespace

std::unique_ptr<CommandFamily> add_agent_commands(CLI::App& app, Ctx& ctx, Action& action) {
  return std::make_unique<AgentCommands>(app, ctx, action);
}

}  // namespace certseal::client::cli
