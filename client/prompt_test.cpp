// Prompts in fd mode (scripts and tests): one line per prompt, no read-ahead, confirmation.
#include "client/prompt.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace certseal::client {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    closew();
  }
  void put(const std::string& s) { ASSERT_EQ(::write(w, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  void closew() {
    if (w >= 0) ::close(w);
    w = -1;
  }
};

std::string str(const SecretString& s) { return std::string(s.begin(), s.end()); }

TEST(ClientPrompt, FdModeReadsOneLinePerPromptWithoutReadAhead) {
  Pipe p;
  p.put("Secr3t!pw\r\n123456\nrest-of-stream");
  Prompter pr(p.r);
  EXPECT_FALSE(pr.interactive());
  auto a = pr.secret("password: ");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(str(*a), "Secr3t!pw");  // the \r of a CRLF line is dropped
  auto b = pr.line("code: ");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, "123456");
  // Nothing beyond the second line was consumed: the rest is still there for someone else.
  p.closew();
  char buf[64] = {0};
  ssize_t n = ::read(p.r, buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "rest-of-stream");
}

TEST(ClientPrompt, EmptyLineIsAnAnswerButEndOfInputIsAnError) {
  Pipe p;
  p.put("\nlast-without-newline");
  p.closew();
  Prompter pr(p.r);
  auto empty = pr.secret("x");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto last = pr.secret("x");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(str(*last), "last-without-newline");
  auto end = pr.secret("x");
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().code, "input_ended");
}

TEST(ClientPrompt, NewSecretNeedsTheSameAnswerTwice) {
  Pipe p;
  p.put("abcdef1\nabcdef1\nabcdef1\nabcdef2\n");
  Prompter pr(p.r);
  auto same = pr.new_secret("new: ", "again: ");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(str(*same), "abcdef1");
  auto differ = pr.new_secret("new: ", "again: ");
  ASSERT_FALSE(differ.ok());
  EXPECT_EQ(differ.error().code, "passwords_differ");
}

}  // namespace
}  // namespace certseal::client
