// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256, as C2SP tlog-tiles requires: leaf hash
// SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right), the empty tree's root
// SHA-256(""). Inclusion and consistency proofs are built (RFC 9162 §2.1.3.1, §2.1.4.1) from an
// oracle that returns the hash of any complete subtree, so the caller decides where hashes come
// from (tiles in the database, a vector in a test), and verified (§2.1.3.2, §2.1.4.2).
//
//   auto proof = merkle::inclusion_proof(7, 10, subtree);           // subtree(height, index)
//   CS_TRY(merkle::verify_inclusion(7, 10, leaf_hash, *proof, root));
//
// Contract: pure functions, thread-safe. Errors: "bad_proof_request" (index or sizes out of
// range), "proof_invalid" (verification failed: the proof does not lead to the root), and
// whatever the oracle returns.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::crypto::merkle {

using Hash = std::array<std::uint8_t, 32>;

Hash sha256_of(BytesView data);
Hash leaf_hash(BytesView entry);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();

// MTH over already-hashed leaves (RFC 6962 §2.1 with the leaf hashing done): empty -> empty_root().
Hash root_of(std::span<const Hash> hashes);

// Hash of the complete subtree of 2^height leaves that starts at leaf index * 2^height.
using SubtreeFn = std::function<Result<Hash>(int height, std::uint64_t index)>;

// MTH(D[begin:end]) for a range that is a node of an RFC 6962 tree (begin a multiple of the
// largest power of two below end - begin, which holds for every range the proofs visit).
// REQUIRES: begin < end.
Result<Hash> range_hash(std::uint64_t begin, std::uint64_t end, const SubtreeFn& subtree);

// The root of the tree of the first `size` leaves.
Result<Hash> tree_root(std::uint64_t size, const SubtreeFn& subtree);

// PATH(index, D[0:size]), leaf to root. Errors: bad_proof_request unless index < size.
Result<std::vector<Hash>> inclusion_proof(std::uint64_t index, std::uint64_t size, const SubtreeFn& subtree);

// PROOF(m, D[0:n]). Errors: bad_proof_request unless 0 < m <= n (m == n gives an empty proof).
Result<std::vector<Hash>> consistency_proof(std::uint64_t m, std::uint64_t n, const SubtreeFn& subtree);

Status verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                        const Hash& root);
Status verify_consistency(std::uint64_t m, std::uint64_t n, const Hash& root_m, const Hash& root_n,
                          std::span<const Hash> proof);

// The right edge of a growing tree (perfect subtrees, largest first): append leaf hashes one by
// one and read the root at any size in O(log n). Used by the sequencer's checks and the audit.
class CompactRange {
 public:
  void append(const Hash& leaf);
  Hash root() const;
  std::uint64_t size() const { return size_; }

 private:
  std::vector<std::pair<Hash, int>> stack_;  // (hash, height)
  std::uint64_t size_ = 0;
};

Result<Hash> hash_from_bytes(BytesView b);  // Errors: bad_hash unless exactly 32 bytes

}  // namespace certseal::crypto::merkle
