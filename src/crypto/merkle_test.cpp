// RFC 6962 hashing and proofs against a separate, straightforward implementation written from
// RFC 6962 §2.1 (recursive MTH, PATH and PROOF over the raw entries) and against the roots of the
// RFC 6962 example tree published with Certificate Transparency's reference code.
#include "crypto/merkle.h"

#include <gtest/gtest.h>

#include <openssl/sha.h>

#include "base/encoding.h"
#include "support/sanitizers.h"

namespace certseal::crypto::merkle {
namespace {

// ---- the reference: RFC 6962 §2.1 as written, OpenSSL's SHA256(), no shared code -------------
using Leaves = std::vector<Bytes>;

Bytes ref_sha(const Bytes& b) {
  Bytes out(32);
  SHA256(b.data(), b.size(), out.data());
  return out;
}
std::size_t ref_k(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
Bytes ref_mth(const Leaves& d, std::size_t a, std::size_t b) {
  std::size_t n = b - a;
  if (n == 0) return ref_sha({});
  if (n == 1) {
    Bytes x{0x00};
    x.insert(x.end(), d[a].begin(), d[a].end());
    return ref_sha(x);
  }
  std::size_t k = ref_k(n);
  Bytes x{0x01};
  Bytes l = ref_mth(d, a, a + k), r = ref_mth(d, a + k, b);
  x.insert(x.end(), l.begin(), l.end());
  x.insert(x.end(), r.begin(), r.end());
  return ref_sha(x);
}
std::vector<Bytes> ref_path(std::size_t m, const Leaves& d, std::size_t a, std::size_t b) {
  std::size_t n = b - a;
  if (n <= 1) return {};
  std::size_t k = ref_k(n);
  std::vector<Bytes> p;
  if (m < k) {
    p = ref_path(m, d, a, a + k);
    p.push_back(ref_mth(d, a + k, b));
  } else {
    p = ref_path(m - k, d, a + k, b);
    p.push_back(ref_mth(d, a, a + k));
  }
  return p;
}
std::vector<Bytes> ref_subproof(std::size_t m, const Leaves& d, std::size_t a, std::size_t b, bool complete) {
  std::size_t n = b - a;
  if (m == n) return complete ? std::vector<Bytes>{} : std::vector<Bytes>{ref_mth(d, a, b)};
  std::size_t k = ref_k(n);
  std::vector<Bytes> p;
  if (m <= k) {
    p = ref_subproof(m, d, a, a + k, complete);
    p.push_back(ref_mth(d, a + k, b));
  } else {
    p = ref_subproof(m - k, d, a + k, b, false);
    p.push_back(ref_mth(d, a, a + k));
  }
  return p;
}

// ---- the RFC 6962 example tree ---------------------------------------------------------------
Leaves example_leaves() {
  Leaves d;
  for (const char* h : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                        "606162636465666768696a6b6c6d6e6f"}) {
    d.push_back(hex_decode(h).value());
  }
  return d;
}

Leaves numbered_leaves(std::size_t n) {
  Leaves d;
  for (std::size_t i = 0; i < n; ++i) d.push_back(to_bytes("entry " + std::to_string(i)));
  return d;
}

// Our oracle over a leaf list (what the tiles give in production).
SubtreeFn oracle(const Leaves& d) {
  return [&d](int height, std::uint64_t index) -> Result<Hash> {
    std::uint64_t n = std::uint64_t{1} << height;
    std::vector<Hash> hs;
    for (std::uint64_t i = index * n; i < (index + 1) * n; ++i) hs.push_back(leaf_hash(d.at(i)));
    return root_of(hs);
  };
}

Bytes b(const Hash& h) { return Bytes(h.begin(), h.end()); }
std::vector<Bytes> bs(const std::vector<Hash>& v) {
  std::vector<Bytes> out;
  for (auto& h : v) out.push_back(b(h));
  return out;
}
Hash h(const Bytes& x) { return hash_from_bytes(x).value(); }

TEST(MerkleTest, Rfc6962ExampleTreeRoots) {
  // Roots of the first 1..8 leaves of the example tree (certificate-transparency reference tests).
  const char* roots[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  };
  Leaves d = example_leaves();
  CompactRange range;
  for (std::size_t n = 1; n <= 8; ++n) {
    range.append(leaf_hash(d[n - 1]));
    EXPECT_EQ(hex_encode(ref_mth(d, 0, n)), roots[n - 1]) << "reference, size " << n;
    EXPECT_EQ(hex_encode(b(tree_root(n, oracle(d)).value())), roots[n - 1]) << "size " << n;
    EXPECT_EQ(hex_encode(b(range.root())), roots[n - 1]) << "compact range, size " << n;
  }
  EXPECT_EQ(hex_encode(b(empty_root())), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MerkleTest, ProofsEqualTheReferenceAndVerify) {
  for (std::size_t total : {8u, 37u, 300u}) {
    // The reference hashing is quadratic; under the sanitizers the two small trees suffice.
    if (certseal::testing::kUnderSanitizer && total > 40) continue;
    Leaves d = total == 8 ? example_leaves() : numbered_leaves(total);
    auto fn = oracle(d);
    for (std::size_t n = 1; n <= total; n += (total > 40 ? 13 : 1)) {
      Hash root = h(ref_mth(d, 0, n));
      for (std::size_t m = 0; m < n; m += (n > 40 ? 7 : 1)) {
        auto p = inclusion_proof(m, n, fn);
        ASSERT_TRUE(p.ok());
        ASSERT_EQ(bs(*p), ref_path(m, d, 0, n)) << "inclusion " << m << " in " << n;
        EXPECT_TRUE(verify_inclusion(m, n, leaf_hash(d[m]), *p, root).ok()) << m << " in " << n;
        // Another leaf with the same proof fails.
        EXPECT_FALSE(verify_inclusion(m, n, leaf_hash(to_bytes("forged")), *p, root).ok());
        if (!p->empty()) {
          auto bad = *p;
          bad[0][0] ^= 1;
          EXPECT_FALSE(verify_inclusion(m, n, leaf_hash(d[m]), bad, root).ok());
        }
        if (m == 0) continue;
        auto c = consistency_proof(m, n, fn);
        ASSERT_TRUE(c.ok());
        ASSERT_EQ(bs(*c), ref_subproof(m, d, 0, n, true)) << "consistency " << m << " -> " << n;
        Hash old_root = h(ref_mth(d, 0, m));
        EXPECT_TRUE(verify_consistency(m, n, old_root, root, *c).ok()) << m << " -> " << n;
        Hash wrong_old = old_root;
        wrong_old[31] ^= 1;
        EXPECT_FALSE(verify_consistency(m, n, wrong_old, root, *c).ok());
      }
    }
  }
}

TEST(MerkleTest, ConsistencyFailsWhenHistoryWasRewritten) {
  Leaves d = numbered_leaves(20);
  Hash old_root = h(ref_mth(d, 0, 11));
  Leaves rewritten = d;
  rewritten[5] = to_bytes("entry 5, edited");
  auto c = consistency_proof(11, 20, oracle(rewritten));
  ASSERT_TRUE(c.ok());
  auto s = verify_consistency(11, 20, old_root, h(ref_mth(rewritten, 0, 20)), *c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "proof_invalid");
}

TEST(MerkleTest, RefusesOutOfRangeRequests) {
  Leaves d = numbered_leaves(4);
  EXPECT_EQ(inclusion_proof(4, 4, oracle(d)).error().code, "bad_proof_request");
  EXPECT_EQ(consistency_proof(0, 4, oracle(d)).error().code, "bad_proof_request");
  EXPECT_EQ(consistency_proof(5, 4, oracle(d)).error().code, "bad_proof_request");
  EXPECT_FALSE(verify_inclusion(4, 4, leaf_hash(d[0]), {}, empty_root()).ok());
}

}  // namespace
}  // namespace certseal::crypto::merkle
