// Two-party RSA ("mobile shield" for international certificates, docs/SHIELD.md "International
// algorithms"): an additive split of the private exponent. The device generates an ordinary RSA
// key (2048 or 3072 bits, e = 65537), draws d_dev at random with |N| + 128 bits, sets
// d_srv = d − d_dev (almost always negative), hands d_srv to the server and forgets d, p, q and
// φ(N). Neither half alone computes anything the public key accepts; together
//
//     x^d = x^d_srv · x^d_dev  (mod N)        (a negative d_srv: the server uses x^-1)
//
//   keygen   device: key, d_dev, d_srv, check = m0^d_dev with m0 a hash of (public key, device
//            id) -> server: keeps d_srv and accepts the key only if (m0^d_srv · check)^e = m0,
//            which proves the halves add up to the key's d (and that the device had it).
//   sign     device: EM = EMSA-PKCS1-v1_5(SHA-256 digest) (RFC 8017 §9.2) -> server: checks EM is
//            such an encoding (it signs nothing else), y = EM^d_srv -> device: s = y · EM^d_dev,
//            and s^e = EM, else bad server answer (a wrong server half is caught here).
//   decrypt  device: r random, c' = c · r^e -> server: y = c'^d_srv -> device: x = y · c'^d_dev ·
//            r^-1 = c^d, checks x^e = c, then removes the PKCS#1 v1.5 or OAEP padding itself
//            (RFC 8017 §7.1.2, §7.2.2): the server sees a blinded value and never the plaintext.
//
// Why d_srv leaks nothing of d: d_dev is uniform on [0, 2^(|N|+128)) and d < 2^|N|, so
// d_srv = d − d_dev is within statistical distance 2^-128 of −d_dev, which is independent of d.
// The device's share is useless without the server's (and the server counts unlock failures),
// the server's without the device's.
//
// Messages have a compact byte encoding (tag, version 1, 16-bit length prefixes) so the halves run
// over HTTP. Exponentiations with a share run in constant time (BN_mod_exp_mont_consttime).
// Errors: bad_message, rsa_split_bad_key, rsa_split_bad_check, not_a_pkcs1_sha256_encoding,
// cosign_bad_server_answer, decryption_failed, unsupported_key.
// Thread-safety: pure functions apart from the injected Rng; shares are immutable values.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/pkey.h"

namespace certseal::crypto::rsa_split {

inline constexpr std::size_t kExtraBits = 128;  // d_dev has |N| + kExtraBits bits

// The device's half: d_dev (positive, big-endian) and the public key.
class DeviceShare {
 public:
  // From d_dev (e.g. after unmasking it, crypto/unlock.h) and the key's SubjectPublicKeyInfo DER.
  static Result<DeviceShare> from_parts(BytesView d_dev, BytesView spki_der);
  const SecretBytes& exponent() const { return d_; }
  const Bytes& spki() const { return spki_; }
  const Bytes& modulus() const { return n_; }   // N, big-endian, k bytes
  const Bytes& public_exponent() const { return e_; }
  std::size_t size() const { return n_.size(); }  // k

 private:
  SecretBytes d_;
  Bytes spki_, n_, e_;
};

// The server's half: d_srv with its sign, N and e.
class ServerShare {
 public:
  // tag 'S' (0x53), version 1, sign (0 or 1 = negative), u16 |N|, N, u16 |e|, e, u16 |d|, |d_srv|.
  SecretBytes export_bytes() const;
  static Result<ServerShare> import_bytes(BytesView b);
  // Whether `b` is an exported ServerShare (and not a two-party SM2 share).
  static bool is_rsa_share(BytesView b);
  const Bytes& modulus() const { return n_; }
  const Bytes& public_exponent() const { return e_; }
  bool negative() const { return negative_; }
  const SecretBytes& magnitude() const { return d_; }

 private:
  friend struct Access;
  bool negative_ = false;
  SecretBytes d_;
  Bytes n_, e_;
};

// What the device sends at installation (DeviceEnrolment.p1): tag 'K' (0x4B), version 1,
// u16-prefixed SPKI DER, server share (ServerShare encoding) and check value m0^d_dev.
struct EnrolRequest {
  Bytes spki;
  SecretBytes server_share;
  Bytes check;
  SecretBytes encode() const;
  static Result<EnrolRequest> decode(BytesView b);
};

// One step's request and answer: tag 'X'/'Y' (0x58/0x59), version 1, u16 length, k bytes.
struct StepRequest {
  Bytes x;
  Bytes encode() const;
  static Result<StepRequest> decode(BytesView b);
};
struct StepResponse {
  Bytes y;
  Bytes encode() const;
  static Result<StepResponse> decode(BytesView b);
};

// ---- key generation (device) ----
struct Generated {
  DeviceShare device;
  EnrolRequest request;  // for the server; carries d_srv: send only over the authenticated channel
};
// type: kRsa2048 or kRsa3072. d, p, q and φ exist only inside this call (wiped on return).
// device_id binds the check value to the installing device.
Result<Generated> generate(KeyType type, std::string_view device_id, Rng& rng);

// ---- installation (server) ----
// Decodes the enrolment, checks the key (RSA, `bits` bits, e = 65537) and the check value
// (the halves add up to the key's d). Returns the share to keep; its public key is `spki`.
Result<ServerShare> server_accept(const EnrolRequest& request, std::size_t bits, std::string_view device_id);

// ---- signing ----
// EMSA-PKCS1-v1_5 of a SHA-256 digest for a k-byte modulus (RFC 8017 §9.2, DigestInfo §A.2.4).
Result<Bytes> emsa_pkcs1_sha256(BytesView digest, std::size_t k);
// The SHA-256 digest inside such an encoding; not_a_pkcs1_sha256_encoding otherwise.
Result<Bytes> pkcs1_sha256_digest(BytesView em);

struct SignState {
  Bytes em;
};
struct SignStart {
  SignState state;
  StepRequest request;
};
Result<SignStart> device_sign_start(const DeviceShare& share, BytesView sha256_digest);
// The server's step for "sign": refuses anything but an EMSA-PKCS1-v1_5 SHA-256 encoding < N.
Result<StepResponse> server_sign(const ServerShare& share, const StepRequest& request);
// The PKCS#1 v1.5 signature (k bytes), after checking s^e = EM.
Result<Bytes> device_sign_finish(const DeviceShare& share, const SignState& state, const StepResponse& response);

// ---- decryption ----
enum class Padding { kPkcs1v15, kOaepSha1, kOaepSha256 };  // OAEP: MGF1 with the same hash, empty label

struct DecryptState {
  Bytes c;             // the ciphertext as an integer < N, k bytes
  Bytes blinded;       // c · r^e
  SecretBytes r_inv;   // r^-1 mod N
};
struct DecryptStart {
  DecryptState state;
  StepRequest request;
};
// Errors: bad_message (ciphertext not k bytes or not < N).
Result<DecryptStart> device_decrypt_start(const DeviceShare& share, BytesView ciphertext, Rng& rng);
Result<StepResponse> server_decrypt(const ServerShare& share, const StepRequest& request);
// The plaintext after unblinding, the check x^e = c and the padding's removal.
Result<SecretBytes> device_decrypt_finish(const DeviceShare& share, const DecryptState& state,
                                          const StepResponse& response, Padding padding);

// Padding removal alone (exposed for tests): decryption_failed when malformed.
Result<SecretBytes> unpad_pkcs1_v15(BytesView em);
Result<SecretBytes> unpad_oaep(BytesView em, Padding padding);

}  // namespace certseal::crypto::rsa_split
