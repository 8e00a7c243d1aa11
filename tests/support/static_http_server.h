// A throwaway HTTP server for tests that need something on the other end of a URL: Python's
// http.server serving one folder on 127.0.0.1 at a free port, with `/moved.pdf` answering a 302
// to `/bid.pdf` (for "redirects are not followed"). Started by the constructor, which waits until
// it answers; stopped (SIGTERM, reaped) by the destructor.
#pragma once

#include <sys/types.h>

#include <string>

namespace certseal::testing {

// A port nothing listens on right now (bound, read, closed).
int free_tcp_port();

class StaticHttpServer {
 public:
  explicit StaticHttpServer(const std::string& dir);
  ~StaticHttpServer();
  StaticHttpServer(const StaticHttpServer&) = delete;
  StaticHttpServer& operator=(const StaticHttpServer&) = delete;

  // "http://127.0.0.1:PORT"
  const std::string& base() const { return base_; }

 private:
  pid_t pid_ = -1;
  std::string base_;
};

}  // namespace certseal::testing
