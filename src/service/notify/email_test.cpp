// SmtpEmailSender against a tiny SMTP server this test runs on 127.0.0.1: the message arrives
// with its envelope, credentials and PDF attachment (taken apart by Python's email package, an
// independent MIME parser); a refused recipient, no server, and a server without STARTTLS when
// STARTTLS is required are errors, and in the last case nothing is sent.
#include "service/notify/email.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "support/test_env.h"

namespace certseal::service {
namespace {

// One SMTP session, enough of RFC 5321 for libcurl: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
class TinySmtpServer {
 public:
  struct Options {
    bool advertise_auth = false;
    int rcpt_reply = 250;
  };
  explicit TinySmtpServer(Options o) : o_(o) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinySmtpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  // Waits for the session to end, then what the client sent.
  void wait() {
    if (thread_.joinable()) thread_.join();
  }

  std::string mail_from, auth, data;
  std::vector<std::string> rcpts;
  bool got_data = false;

 private:
  void serve() {
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    auto say = [&](const std::string& s) { (void)::write(c, s.data(), s.size()); };
    std::string buf;
    auto line = [&](std::string& out) {
      for (;;) {
        auto pos = buf.find("\r\n");
        if (pos != std::string::npos) {
          out = buf.substr(0, pos);
          buf.erase(0, pos + 2);
          return true;
        }
        char tmp[4096];
        ssize_t n = ::read(c, tmp, sizeof tmp);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
      }
    };
    say("220 tiny.test ESMTP\r\n");
    std::string l;
    while (line(l)) {
      std::string verb = l.substr(0, 4);
      for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (verb == "EHLO" || verb == "HELO") {
        say(o_.advertise_auth ? "250-tiny.test\r\n250 AUTH PLAIN\r\n" : "250 tiny.test\r\n");
      } else if (verb == "AUTH") {
        if (l.size() > 11) {
          auth = l.substr(11);  // "AUTH PLAIN <initial response>"
        } else {
          say("334 \r\n");
          line(auth);
        }
        say("235 2.7.0 accepted\r\n");
      } else if (verb == "MAIL") {
        mail_from = l.substr(10);
        say("250 ok\r\n");
      } else if (verb == "RCPT") {
        rcpts.push_back(l.substr(8));
        say(std::to_string(o_.rcpt_reply) + (o_.rcpt_reply == 250 ? " ok\r\n" : " no such user\r\n"));
      } else if (verb == "DATA") {
        say("354 go ahead\r\n");
        std::string d;
        while (line(d) && d != ".") data += (d.starts_with("..") ? d.substr(1) : d) + "\r\n";
        got_data = true;
        say("250 queued\r\n");
      } else if (verb == "QUIT") {
        say("221 bye\r\n");
        break;
      } else {
        say("502 not here\r\n");
      }
    }
    ::close(c);
  }

  Options o_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

EmailMessage form_message() {
  const std::string head = "%PDF-1.4\n% test\n";
  Bytes pdf(head.begin(), head.end());
  for (int i = 0; i < 3000; ++i) pdf.push_back(static_cast<std::uint8_t>(i * 7 % 256));  // binary, and "\r\n.\r\n"
  for (char ch : std::string("\r\n.\r\n%%EOF\n")) pdf.push_back(static_cast<std::uint8_t>(ch));
  return {"buyer@example.com", "CertSeal 数字证书申请表 / application form", "请打印附件中的申请表。\nPrint it.\n",
          "application-form-1.pdf", "application/pdf", pdf};
}

TEST(SmtpEmailSender, DeliversTheMessageWithItsPdfAttachment) {
  TinySmtpServer server({.advertise_auth = true});
  SystemClock clock;
  SeededRng rng(3);
  SmtpEmailSender sender({"smtp://127.0.0.1:" + std::to_string(server.port()), "noreply@certseal.test", "mailer",
                          "s3cret", /*require_starttls=*/false, 10000},
                         clock, rng);
  EmailMessage msg = form_message();
  auto s = sender.send(msg);
  ASSERT_TRUE(s.ok()) << s.error().cause;
  server.wait();
  EXPECT_EQ(server.mail_from, "<noreply@certseal.test>");
  ASSERT_EQ(server.rcpts.size(), 1u);
  EXPECT_EQ(server.rcpts[0], "<buyer@example.com>");
  auto creds = base64_decode(server.auth);
  ASSERT_TRUE(creds.ok()) << server.auth;
  EXPECT_EQ(to_string(*creds), std::string("\0mailer\0s3cret", 14));

  // Python's email package takes the message apart.
  testing::TempDir dir;
  const std::string path = dir.path() + "/message.eml";
  std::ofstream(path, std::ios::binary) << server.data;
  const std::string out = testing::run_command(
      "python3 -c 'import sys, email, email.policy, hashlib\n"
      "m = email.message_from_binary_file(open(sys.argv[1], \"rb\"), policy=email.policy.default)\n"
      "print(m[\"From\"]); print(m[\"To\"]); print(m[\"Subject\"])\n"
      "parts = [p for p in m.walk() if not p.is_multipart()]\n"
      "print(parts[0].get_content_type()); print(parts[0].get_content().strip().splitlines()[0])\n"
      "a = parts[1]; print(a.get_content_type()); print(a.get_filename())\n"
      "print(hashlib.sha256(a.get_payload(decode=True)).hexdigest())' " +
      path + " 2>&1");
  const std::string want = "noreply@certseal.test\nbuyer@example.com\n" + msg.subject + "\ntext/plain\n请打印附件中的申请表。\n" +
                           "application/pdf\napplication-form-1.pdf\n" + hex_encode(crypto::sha256(msg.attachment)) + "\n";
  EXPECT_EQ(out, want) << server.data.substr(0, 2000);
}

TEST(SmtpEmailSender, RefusedRecipientOrNoServerIsAnError) {
  SystemClock clock;
  SeededRng rng(4);
  {
    TinySmtpServer server({.rcpt_reply = 550});
    SmtpEmailSender sender({"smtp://127.0.0.1:" + std::to_string(server.port()), "noreply@certseal.test", "", "",
                            false, 10000},
                           clock, rng);
    auto s = sender.send(form_message());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "email_send_failed");
    EXPECT_EQ(s.error().kind, ErrorKind::kUnavailable);
    server.wait();
    EXPECT_FALSE(server.got_data);
  }
  int port = 0;
  {
    TinySmtpServer gone({});
    port = gone.port();
  }  // closed: nothing listens there any more
  SmtpEmailSender nowhere({"smtp://127.0.0.1:" + std::to_string(port), "noreply@certseal.test", "", "", false, 3000},
                          clock, rng);
  EXPECT_EQ(nowhere.send(form_message()).error().code, "email_send_failed");
}

TEST(SmtpEmailSender, WithoutStartTlsNothingIsSentWhenItIsRequired) {
  TinySmtpServer server({.advertise_auth = true});
  SystemClock clock;
  SeededRng rng(5);
  SmtpEmailSender sender({"smtp://127.0.0.1:" + std::to_string(server.port()), "noreply@certseal.test", "mailer",
                          "s3cret", /*require_starttls=*/true, 10000},
                         clock, rng);
  auto s = sender.send(form_message());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "email_send_failed");
  server.wait();
  EXPECT_TRUE(server.auth.empty());  // the password never went over the plain connection
  EXPECT_FALSE(server.got_data);
}

TEST(MimeMessage, HeadersCannotBeInjectedAndTextIsEncoded) {
  EmailMessage m{"buyer@example.com", "hello\r\nBcc: evil@example.com", "x", "", "", {}};
  std::string out = build_mime_message(m, "noreply@certseal.test", "Mon, 01 Jan 2027 00:00:00 +0000", "id@x", "=_b");
  EXPECT_EQ(out.find("\r\nBcc:"), std::string::npos) << out;
  EXPECT_NE(out.find("Subject: helloBcc: evil@example.com\r\n"), std::string::npos) << out;
  EmailMessage cn{"buyer@example.com", "申请表", "x", "", "", {}};
  out = build_mime_message(cn, "noreply@certseal.test", "Mon, 01 Jan 2027 00:00:00 +0000", "id@x", "=_b");
  EXPECT_NE(out.find("Subject: =?UTF-8?B?" + base64_encode(as_bytes("申请表")) + "?=\r\n"), std::string::npos);
  EXPECT_EQ(out.find("multipart"), std::string::npos);  // no attachment, no multipart
}

}  // namespace
}  // namespace certseal::service
