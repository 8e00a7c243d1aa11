#include "crypto/merkle.h"

#include <bit>
#include <cstring>

#include <sodium.h>

namespace certseal::crypto::merkle {
namespace {

Error bad_request(std::string msg) { return invalid_argument("bad_proof_request", std::move(msg)); }
Error invalid_proof(std::string cause) {
  Error e = invalid_argument("proof_invalid", "the proof does not lead to the tree head");
  e.cause = std::move(cause);
  return e;
}

// Largest power of two strictly below n (n >= 2).
std::uint64_t split_point(std::uint64_t n) { return std::uint64_t{1} << (63 - std::countl_zero(n - 1)); }

Status path(std::uint64_t m, std::uint64_t begin, std::uint64_t end, const SubtreeFn& subtree,
            std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (n <= 1) return {};
  std::uint64_t k = split_point(n);
  if (m < k) {
    CS_TRY(path(m, begin, begin + k, subtree, out));
    CS_ASSIGN(auto h, range_hash(begin + k, end, subtree));
    out.push_back(h);
  } else {
    CS_TRY(path(m - k, begin + k, end, subtree, out));
    CS_ASSIGN(auto h, range_hash(begin, begin + k, subtree));
    out.push_back(h);
  }
  return {};
}

Status subproof(std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool complete, const SubtreeFn& subtree,
                std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!complete) {
      CS_ASSIGN(auto h, range_hash(begin, end, subtree));
      out.push_back(h);
    }
    return {};
  }
  std::uint64_t k = split_point(n);
  if (m <= k) {
    CS_TRY(subproof(m, begin, begin + k, complete, subtree, out));
    CS_ASSIGN(auto h, range_hash(begin + k, end, subtree));
    out.push_back(h);
  } else {
    CS_TRY(subproof(m - k, begin + k, end, false, subtree, out));
    CS_ASSIGN(auto h, range_hash(begin, begin + k, subtree));
    out.push_back(h);
  }
  return {};
}

}  // namespace

Hash sha256_of(BytesView data) {
  Hash h;
  crypto_hash_sha256(h.data(), data.data(), data.size());
  return h;
}

Hash leaf_hash(BytesView entry) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  const std::uint8_t prefix = 0x00;
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, entry.data(), entry.size());
  Hash h;
  crypto_hash_sha256_final(&st, h.data());
  return h;
}

Hash node_hash(const Hash& left, const Hash& right) {
  std::uint8_t buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  Hash h;
  crypto_hash_sha256(h.data(), buf, sizeof buf);
  return h;
}

Hash empty_root() { return sha256_of({}); }

Hash root_of(std::span<const Hash> hashes) {
  if (hashes.empty()) return empty_root();
  if (hashes.size() == 1) return hashes[0];
  std::uint64_t k = split_point(hashes.size());
  return node_hash(root_of(hashes.first(k)), root_of(hashes.subspan(k)));
}

Result<Hash> range_hash(std::uint64_t begin, std::uint64_t end, const SubtreeFn& subtree) {
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) return subtree(std::countr_zero(n), begin / n);
  std::uint64_t k = split_point(n);
  CS_ASSIGN(auto left, range_hash(begin, begin + k, subtree));
  CS_ASSIGN(auto right, range_hash(begin + k, end, subtree));
  return node_hash(left, right);
}

Result<Hash> tree_root(std::uint64_t size, const SubtreeFn& subtree) {
  if (size == 0) return empty_root();
  return range_hash(0, size, subtree);
}

Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t size, const SubtreeFn& subtree) {
  if (index >= size) return bad_request("the entry index must be below the tree size");
  std::vector<Hash> out;
  CS_TRY(path(index, 0, size, subtree, out));
  return out;
}

Result<std::vector<Hash>> consistency_proof(std::uint64_t m, std::uint64_t n, const SubtreeFn& subtree) {
  if (m == 0 || m > n) return bad_request("a consistency proof needs 0 < old size <= new size");
  std::vector<Hash> out;
  if (m == n) return out;
  CS_TRY(subproof(m, 0, n, true, subtree, out));
  return out;
}

Status verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                        const Hash& root) {
  if (index >= size) return invalid_proof("index beyond the tree size");
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return invalid_proof("proof longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return invalid_proof("proof shorter than the tree is deep");
  if (r != root) return invalid_proof("computed root differs");
  return {};
}

Status verify_consistency(std::uint64_t m, std::uint64_t n, const Hash& root_m, const Hash& root_n,
                          std::span<const Hash> proof) {
  if (m == 0 || m > n) return invalid_proof("sizes out of order");
  if (m == n) {
    if (!proof.empty()) return invalid_proof("non-empty proof between equal sizes");
    if (root_m != root_n) return invalid_proof("two different roots for one size");
    return {};
  }
  std::vector<Hash> path(proof.begin(), proof.end());
  if (std::has_single_bit(m)) path.insert(path.begin(), root_m);
  if (path.empty()) return invalid_proof("empty proof");
  std::uint64_t fn = m - 1, sn = n - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return invalid_proof("proof longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return invalid_proof("proof shorter than the tree is deep");
  if (fr != root_m) return invalid_proof("old root differs");
  if (sr != root_n) return invalid_proof("new root differs");
  return {};
}

void CompactRange::append(const Hash& leaf) {
  stack_.emplace_back(leaf, 0);
  while (stack_.size() >= 2 && stack_[stack_.size() - 1].second == stack_[stack_.size() - 2].second) {
    auto right = stack_.back();
    stack_.pop_back();
    auto& left = stack_.back();
    left.first = node_hash(left.first, right.first);
    left.second += 1;
  }
  ++size_;
}

Hash CompactRange::root() const {
  if (stack_.empty()) return empty_root();
  Hash r = stack_.back().first;
  for (std::size_t i = stack_.size() - 1; i-- > 0;) r = node_hash(stack_[i].first, r);
  return r;
}

Result<Hash> hash_from_bytes(BytesView b) {
  if (b.size() != 32) return invalid_argument("bad_hash", "a SHA-256 hash has 32 bytes");
  Hash h;
  std::memcpy(h.data(), b.data(), 32);
  return h;
}

}  // namespace certseal::crypto::merkle
