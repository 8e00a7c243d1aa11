// Asking the user: passwords without echo on the terminal, or, for scripts and tests, from a
// file descriptor (`--password-fd N`): one line per prompt, in the order the command asks.
//
// Terminal mode opens /dev/tty (not stdin/stdout, so output can be piped), writes the prompt there,
// turns ECHO off with termios for secrets (restored afterwards, also on SIGINT/SIGTERM/SIGHUP) and
// reads one line. Fd mode reads byte by byte up to '\n' so nothing past the line is consumed; a
// trailing '\r' is dropped; end of input before any byte is "input_ended". The prompt text is still
// written to standard error in fd mode (so logs show what was asked), without the answer.
// Contract: not thread-safe; secrets are returned in SecretString.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::client {

class Prompter {
 public:
  // fd < 0: the terminal. fd >= 0: read answers from fd (not closed by the Prompter).
  explicit Prompter(int fd = -1) : fd_(fd) {}

  Result<SecretString> secret(std::string_view prompt);
  Result<std::string> line(std::string_view prompt);
  // Asks twice (prompt, then confirm_prompt); "passwords_differ" when the two answers differ.
  Result<SecretString> new_secret(std::string_view prompt, std::string_view confirm_prompt);
  bool interactive() const { return fd_ < 0; }

 private:
  Result<SecretString> ask(std::string_view prompt, bool echo);
  int fd_;
};

// Reads one line from fd byte by byte (no read-ahead). nullopt-like error "input_ended" at EOF.
Result<SecretString> read_line_from_fd(int fd);

}  // namespace certseal::client
