#include "net/client_address.h"

#include <gtest/gtest.h>

namespace certseal::net {
namespace {

TEST(TrustedProxies, ParsesAddressesAndBlocks) {
  auto p = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1 fd00::/8");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->contains("10.200.3.4"));
  EXPECT_TRUE(p->contains("192.0.2.1"));
  EXPECT_FALSE(p->contains("192.0.2.2"));
  EXPECT_TRUE(p->contains("fd12::1"));
  EXPECT_FALSE(p->contains("fe80::1"));
  EXPECT_TRUE(p->contains("::ffff:10.1.1.1"));  // IPv4-mapped peers of a dual-stack socket
  EXPECT_FALSE(p->contains("not-an-address"));
  EXPECT_FALSE(TrustedProxies::parse("10.0.0.0/33"));
  EXPECT_FALSE(TrustedProxies::parse("proxy.example"));
  EXPECT_TRUE(TrustedProxies::parse("")->empty());
}

TEST(ClientAddress, ForwardedForFromAnUntrustedPeerIsIgnored) {
  // An attacker connecting directly cannot pick its address (and so its rate-limit bucket).
  auto p = TrustedProxies::parse("10.0.0.1").value();
  EXPECT_EQ(client_address("203.0.113.5", {"198.51.100.77"}, p), "203.0.113.5");
  EXPECT_EQ(client_address("203.0.113.5", {"198.51.100.77"}, TrustedProxies()), "203.0.113.5");
}

TEST(ClientAddress, TheRightMostUntrustedHopBehindTrustedProxies) {
  auto p = TrustedProxies::parse("10.0.0.0/8").value();
  // The client prepends a fake address; the proxy appends the real one.
  EXPECT_EQ(client_address("10.0.0.1", {"1.2.3.4, 198.51.100.7"}, p), "198.51.100.7");
  // Two proxies: the second one's address is skipped.
  EXPECT_EQ(client_address("10.0.0.1", {"1.2.3.4, 198.51.100.7, 10.0.0.2"}, p), "198.51.100.7");
  // Several header fields are one list.
  EXPECT_EQ(client_address("10.0.0.1", {"1.2.3.4", "198.51.100.8"}, p), "198.51.100.8");
  // Garbage stops the walk at the last address we can vouch for.
  EXPECT_EQ(client_address("10.0.0.1", {"198.51.100.7, junk"}, p), "10.0.0.1");
  EXPECT_EQ(client_address("10.0.0.1", {"junk, 10.0.0.3"}, p), "10.0.0.3");
  // Every hop trusted: the left-most.
  EXPECT_EQ(client_address("10.0.0.1", {"10.0.0.9, 10.0.0.3"}, p), "10.0.0.9");
  EXPECT_EQ(client_address("10.0.0.1", {"[2001:db8::1]"}, p), "2001:db8::1");
}

}  // namespace
}  // namespace certseal::net
