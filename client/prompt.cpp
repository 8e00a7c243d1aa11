#include "client/prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "client/messages.h"

namespace certseal::client {
namespace {

// The terminal state to restore if a signal arrives while echo is off.
int g_tty_fd = -1;
struct termios g_saved {};
volatile sig_atomic_t g_echo_off = 0;

extern "C" void restore_tty_and_reraise(int sig) {
  if (g_echo_off) {
    ::tcsetattr(g_tty_fd, TCSAFLUSH, &g_saved);
    ssize_t ignored = ::write(g_tty_fd, "\n", 1);
    (void)ignored;
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd, &g_saved) != 0) return;
    struct termios t = g_saved;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
    g_tty_fd = fd;
    old_int_ = std::signal(SIGINT, restore_tty_and_reraise);
    old_term_ = std::signal(SIGTERM, restore_tty_and_reraise);
    old_hup_ = std::signal(SIGHUP, restore_tty_and_reraise);
    if (::tcsetattr(fd, TCSAFLUSH, &t) == 0) {
      g_echo_off = 1;
      active_ = true;
    }
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &g_saved);
    g_echo_off = 0;
    if (old_int_ != SIG_ERR) {
      std::signal(SIGINT, old_int_);
      std::signal(SIGTERM, old_term_);
      std::signal(SIGHUP, old_hup_);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  bool active_ = false;
  using Handler = void (*)(int);
  Handler old_int_ = SIG_ERR, old_term_ = SIG_ERR, old_hup_ = SIG_ERR;
};

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<SecretString> read_line_from_fd(int fd) {
  SecretString out;
  bool any = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(ErrorKind::kInternal, "io", std::string("cannot read input: ") + std::strerror(errno));
    }
    if (n == 0) break;
    any = true;
    if (c == '\n') break;
    out.push_back(c);
  }
  if (!any) return invalid_argument("input_ended", tr("err.input_ended"));
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

Result<SecretString> Prompter::ask(std::string_view prompt, bool echo) {
  if (fd_ >= 0) {
    write_all(STDERR_FILENO, prompt);
    write_all(STDERR_FILENO, "\n");
    return read_line_from_fd(fd_);
  }
  int tty = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) return invalid_argument("usage", tr("err.no_tty"));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{tty};
  write_all(tty, prompt);
  Result<SecretString> r = SecretString();
  if (echo) {
    r = read_line_from_fd(tty);
  } else {
    EchoOff off(tty);
    r = read_line_from_fd(tty);
  }
  if (!echo) write_all(tty, "\n");
  return r;
}

Result<SecretString> Prompter::secret(std::string_view prompt) { return ask(prompt, false); }

Result<std::string> Prompter::line(std::string_view prompt) {
  CS_ASSIGN(auto s, ask(prompt, true));
  return std::string(s.begin(), s.end());
}

Result<SecretString> Prompter::new_secret(std::string_view prompt, std::string_view confirm_prompt) {
  CS_ASSIGN(auto a, secret(prompt));
  CS_ASSIGN(auto b, secret(confirm_prompt));
  if (a != b) return invalid_argument("passwords_differ", tr("err.passwords_differ"));
  return a;
}

}  // namespace certseal::client
