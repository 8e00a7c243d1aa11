// Two-party ECDSA P-256 ("mobile shield" for international EC certificates, docs/SHIELD.md
// "ECDSA P-256"), after Lindell, "Fast Secure Two-Party ECDSA Signing" (CRYPTO 2017), with the
// device as P1 (it holds the Paillier key) and the server as P2. The key is x = x1·x2 mod q,
// Q = x·G; the device keeps x1 and the seed of its Paillier key (paillier.h), the server keeps x2,
// N and ckey = Enc(x1).
//
//   keygen   device: x1, Q1 = x1·G, Paillier key (N of 2048 bits), ckey = Enc(x1; r), and two
//            non-interactive proofs (Fiat–Shamir, SHA-256 over a transcript binding the context
//            (device id), N, ckey and Q1):
//              modulus  N has no prime factor below 2^16 (the server checks by trial division) and
//                       kModulusRounds N-th roots σ_i of ρ_i = H(transcript, i) mod N; the server
//                       checks σ_i^N = ρ_i. Together they prove gcd(N, φ(N)) = 1 with soundness
//                       error 2^-16 per round (Goldberg, Reyzin, Sagga, Baldimtsi 2019, "Efficient
//                       noninteractive certification of RSA moduli", §3): 8 rounds give 2^-128.
//              range    ckey encrypts the discrete log of Q1, and |x1| < q·2^128: kRangeRounds
//                       rounds of a binary-challenge sigma protocol, y_i in [0, (2^128 − 1)·q),
//                       C_i = Enc(y_i; s_i), Y_i = y_i·G, e = the first 128 bits of
//                       H(transcript, C_1, Y_1, ..., C_128, Y_128), z_i = y_i + e_i·x1,
//                       u_i = s_i·r^e_i mod N. The proof carries e, z_i, u_i; the server
//                       recomputes C_i = Enc(z_i; u_i)·ckey^-e_i and Y_i = z_i·G − e_i·Q1, checks
//                       0 <= z_i < q·2^128 and that they hash to e. Soundness error 2^-128;
//                       z_i hides x1 up to statistical distance 2^-128 per round.
//            -> server: checks both, draws x2, Q = x2·Q1; the certificate certifies Q.
//   sign     device: k1, R1 = k1·G, the SHA-256 digest e -> server: k2, R = k2·R1, r = R.x mod q
//            (again while r = 0), ρ uniform in [0, q²·2^128),
//            c3 = Enc(ρ·q + (k2^-1·e mod q)) · ckey^(k2^-1·r·x2 mod q); answers R2 = k2·G, c3
//            -> device: R = k1·R2, s = k1^-1·Dec(c3) mod q, low-s, and verifies (r, s) under Q.
//            The plaintext is below q³·2^129 < 2^897 < N/2 for any x1 the range proof admits, so
//            it never wraps mod N, and ρ·q hides everything of it but its value mod q (statistical
//            distance < 2^-128).
//            ABORT RULE (Lindell §3.3): a signature that does not verify means the server may be
//            probing x1 through the answer; the device must stop using the key
//            (ecdsa_split_abort; the client marks the key unusable).
//   decrypt  (ECDH with the key, for CMS key agreement) device: b random, T1 = (b·x1)·R after
//            checking R -> server: T2 = x2·T1 -> device: x·R = b^-1·T2. The server sees only
//            T1, a uniformly random point, never x·R for an R it knows.
//
// What is assumed and not proven: the server's k2 and the device's k1 carry no proofs of
// knowledge (Lindell commits to R1 and proves both discrete logs for simulation); the server picks
// k2 only after R1 is fixed and the device checks the result, so neither can steer R, but the
// protocol as run here is the two-message variant. Paillier's security (DCR) and the random oracle
// for the Fiat–Shamir proofs.
//
// Messages have a byte encoding (tag, version 1, fields with 16-bit length prefixes).
// Errors: bad_message, ecdsa_split_bad_key, ecdsa_split_bad_proof, ecdsa_split_abort,
// bad_digest_length, bad_point, paillier_*.
// Thread-safety: pure functions apart from the injected Rng; shares are immutable values.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/paillier.h"

namespace certseal::crypto::ecdsa_split {

inline constexpr int kStatBits = 128;           // λ: statistical hiding of z_i and of ρ·q
inline constexpr int kModulusRounds = 8;        // N-th-root proof rounds (16 bits each)
inline constexpr unsigned kSmallPrimeBound = 1u << 16;  // N has no prime factor below this
inline constexpr int kRangeRounds = 128;        // binary challenges of the range proof
inline constexpr std::size_t kPointSize = 65;   // uncompressed P-256 point
inline constexpr std::size_t kSecretSize = 64;  // x1 (32) ‖ Paillier seed (32)

// The device's half: x1, its Paillier key's seed, and the joint public key Q.
class DeviceShare {
 public:
  // secret: x1 ‖ seed (kSecretSize bytes, e.g. after unmasking it, crypto/unlock.h); spki: Q.
  // Any 64 bytes are accepted (a wrong password gives some other share: only the server can tell).
  static Result<DeviceShare> from_parts(BytesView secret, BytesView spki_der);
  const SecretBytes& secret() const { return secret_; }  // x1 ‖ seed
  BytesView x1() const { return BytesView(secret_.data(), 32); }
  BytesView seed() const { return BytesView(secret_.data() + 32, 32); }
  const Bytes& spki() const { return spki_; }
  const Bytes& public_point() const { return point_; }

 private:
  SecretBytes secret_;
  Bytes spki_, point_;
};

// The server's half: x2, the device's Paillier modulus N, ckey = Enc(x1), and Q.
class ServerShare {
 public:
  // tag 'E' (0x45), version 1, u16-prefixed x2 (32), N, ckey, Q (65).
  SecretBytes export_bytes() const;
  static Result<ServerShare> import_bytes(BytesView b);
  static bool is_ecdsa_share(BytesView b);
  const SecretBytes& x2() const { return x2_; }
  const Bytes& modulus() const { return n_; }
  const Bytes& ckey() const { return ckey_; }
  const Bytes& public_point() const { return q_; }

 private:
  friend struct Access;
  SecretBytes x2_;
  Bytes n_, ckey_, q_;
};

// What the device sends at installation (DeviceEnrolment.p1): tag 'P' (0x50), version 1, Q1, N,
// ckey, e (16 bytes), kModulusRounds σ_i, then kRangeRounds pairs (z_i, u_i); about 42 KB.
struct EnrolRequest {
  Bytes q1, n, ckey, challenge;
  std::vector<Bytes> sigma;
  std::vector<Bytes> z, u;
  Bytes encode() const;
  static Result<EnrolRequest> decode(BytesView b);
  static bool is_ecdsa_enrolment(BytesView b);
};

// ---- key generation ----
struct DeviceKeygen {
  SecretBytes secret;  // x1 ‖ seed
};
struct KeygenStart {
  DeviceKeygen state;
  EnrolRequest request;
};
// context: what the proofs are bound to (the installing device's id).
Result<KeygenStart> device_keygen_start(std::string_view context, Rng& rng);
// TEST ONLY: key generation with a given x1 (big-endian, any size: the plaintext of ckey; Q1 is
// x1·G), to show that the server refuses an out-of-range x1.
Result<KeygenStart> TEST_keygen_start_with(std::string_view context, BytesView x1, Rng& rng);
// The device's share once the server answered Q (65-byte point). Errors: bad_point.
Result<DeviceShare> device_keygen_finish(const DeviceKeygen& state, BytesView q_point);

struct Accepted {
  ServerShare share;
  Bytes public_point;  // Q
};
// Checks Q1, N (bits, small factors, N-th roots) and the range proof, draws x2.
// Errors: ecdsa_split_bad_key (Q1 or N malformed), ecdsa_split_bad_proof.
Result<Accepted> server_accept(const EnrolRequest& request, std::string_view context, Rng& rng);
// The two checks alone (exposed for tests).
Status verify_modulus_proof(const EnrolRequest& request, std::string_view context);
Status verify_range_proof(const EnrolRequest& request, std::string_view context);

// ---- signing ----
// tag 'e' (0x65), version 1, digest (32), R1 (65).
struct SignRequest {
  Bytes digest, r1;
  Bytes encode() const;
  static Result<SignRequest> decode(BytesView b);
};
// tag 'f' (0x66), version 1, R2 (65), c3 (|N²| bytes).
struct SignResponse {
  Bytes r2, c3;
  Bytes encode() const;
  static Result<SignResponse> decode(BytesView b);
};
struct SignState {
  SecretBytes k1;
  Bytes digest;
};
struct SignStart {
  SignState state;
  SignRequest request;
};
// Errors: bad_digest_length unless 32 bytes.
Result<SignStart> device_sign_start(const DeviceShare& share, BytesView sha256_digest, Rng& rng);
Result<SignResponse> server_sign(const ServerShare& share, const SignRequest& request, Rng& rng);
// The DER ECDSA signature (low s), verified under Q. ecdsa_split_abort when the answer does not
// give a valid signature: the caller must stop using the key (the abort rule above).
Result<Bytes> device_sign_finish(const DeviceShare& share, const SignState& state, const SignResponse& response);

// ---- ECDH (decryption of EC key agreement) ----
// tag 'g'/'h' (0x67/0x68), version 1, one 65-byte point.
struct EcdhRequest {
  Bytes t1;
  Bytes encode() const;
  static Result<EcdhRequest> decode(BytesView b);
};
struct EcdhResponse {
  Bytes t2;
  Bytes encode() const;
  static Result<EcdhResponse> decode(BytesView b);
};
struct EcdhState {
  SecretBytes b_inv;
};
struct EcdhStart {
  EcdhState state;
  EcdhRequest request;
};
// peer: the sender's ephemeral public point (65 bytes). Errors: bad_point (not on P-256, infinity).
Result<EcdhStart> device_ecdh_start(const DeviceShare& share, BytesView peer, Rng& rng);
Result<EcdhResponse> server_ecdh(const ServerShare& share, const EcdhRequest& request);
// The shared secret Z: the x coordinate of x·R (32 bytes).
Result<SecretBytes> device_ecdh_finish(const DeviceShare& share, const EcdhState& state, const EcdhResponse& response);

}  // namespace certseal::crypto::ecdsa_split
