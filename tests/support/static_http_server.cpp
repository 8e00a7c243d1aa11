#include "support/static_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

namespace certseal::testing {

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

namespace {

bool answers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

StaticHttpServer::StaticHttpServer(const std::string& dir) {
  const int port = free_tcp_port();
  base_ = "http://127.0.0.1:" + std::to_string(port);
  const std::string script = dir + "/.serve.py";
  std::ofstream(script) << "import http.server, sys\n"
                           "class H(http.server.SimpleHTTPRequestHandler):\n"
                           "    def do_GET(self):\n"
                           "        if self.path == '/moved.pdf':\n"
                           "            self.send_response(302); self.send_header('Location', '/bid.pdf')\n"
                           "            self.end_headers(); return\n"
                           "        super().do_GET()\n"
                           "    def log_message(self, *a): pass\n"
                           "http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n";
  pid_ = ::fork();
  if (pid_ == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execlp("python3", "python3", script.c_str(), std::to_string(port).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 200 && !answers(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
}

StaticHttpServer::~StaticHttpServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

}  // namespace certseal::testing
