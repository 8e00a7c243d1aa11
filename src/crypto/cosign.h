// Two-party SM2 ("mobile shield", 协同签名/协同解密): the device holds d1, the server holds d2, and
// the SM2 private key d with (1 + d)^-1 = d1·d2 mod n never exists anywhere. See ARCHITECTURE.md
// "Mobile shield: two-party SM2"; curve and signature equations are GB/T 32918.2/.4/.5.
//
//   keygen   device: d1, P1 = d1^-1·G            -> server: d2, P = d2^-1·P1 − G  (P ≠ O, else new d2)
//   sign     device: e = SM3(Z_A‖M), k1, Q1 = k1·G -> server: k2, k3, (x1,y1) = k3·Q1 + k2·G,
//            r = e + x1 (≠ 0), s2 = d2·k3, s3 = d2·(r + k2) (≠ 0)  -> device: s = d1·k1·s2 + d1·s3 − r,
//            rejects s = 0 or s + r = n (caller retries), then verifies (r, s) under P with the
//            ordinary SM2 verification (sm2_verify_digest) before returning it.
//   decrypt  device: checks C1, picks a blinding w, T1 = (w·d1^-1)·C1 -> server: T2 = d2^-1·T1
//            -> device: (x2,y2) = w^-1·T2 − C1 = d·C1, then KDF / C2 / C3 as GB/T 32918.4 §7.1 B4-B7.
//            The blinding w is our addition to the architecture's protocol: without it a server that
//            also sees the ciphertext could compute T2 − C1 itself and read the plaintext.
//   refresh  device: u, new device share d1·u, sends u -> server: new server share d2·u^-1.
//            Used to refresh a device's share (the server replaces that device's server share, so
//            the old device share stops working), and as the first half of adding a device.
//   join     (adding a device, docs/SHIELD.md "Adding a device"; the channel is crypto/pairing.h)
//            old device: u, x = d1·u, x to the new device only (sealed), u to the server, which
//            keeps z = d2·u^-1 pending. New device: its own random share d1', y = x·d1'^-1 to the
//            server -> server: d2' = z·y. Then d1'·d2' = d1·d2 and the server has learnt only the
//            ratio d2'/d2 = d1/d1' (through u and y): never d1, never d1'.
//
// Every received point is checked (encoding, on the curve, not infinity, in the group) and every
// received scalar is checked in [1, n-1]; errors carry codes point_not_on_curve, point_at_infinity,
// bad_point_encoding, scalar_out_of_range (sm2_curve.h), bad_message, cosign_bad_server_answer,
// cosign_retry (kUnavailable: start again with a fresh nonce).
//
// Messages are plain values with a compact byte encoding (tag, version 1, fixed-size fields) so a
// client and a server can run their halves over HTTP (hex or base64 in JSON). Shares export to
// bytes (SecretBytes) for encryption at rest. No function computes or returns d.
// Arithmetic: the SM2 engine (sm2_engine.h), constant time for every secret (shares, k1, k2, k3,
// w, u and the points derived from them); k1, k2, k3 and w are hedged nonces (the injected Rng mixed
// with the share and the request). Tests verify the results with OpenSSL's EVP SM2 independently.
// Thread-safety: all functions are pure apart from the injected Rng; shares are immutable values.
#pragma once

#include <functional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"

namespace certseal::crypto::cosign {

// ---- messages ----
struct KeygenRequest {
  Bytes p1;  // 65-byte point d1^-1·G
  Bytes encode() const;
  static Result<KeygenRequest> decode(BytesView b);
};
struct KeygenResponse {
  Bytes public_key;  // 65-byte point P
  Bytes encode() const;
  static Result<KeygenResponse> decode(BytesView b);
};
struct SignRequest {
  Bytes e;   // 32 bytes
  Bytes q1;  // 65-byte point k1·G
  Bytes encode() const;
  static Result<SignRequest> decode(BytesView b);
};
struct SignResponse {
  Bytes r, s2, s3;  // 32 bytes each
  Bytes encode() const;
  static Result<SignResponse> decode(BytesView b);
};
struct DecryptRequest {
  Bytes t1;  // 65-byte point
  Bytes encode() const;
  static Result<DecryptRequest> decode(BytesView b);
};
struct DecryptResponse {
  Bytes t2;  // 65-byte point
  Bytes encode() const;
  static Result<DecryptResponse> decode(BytesView b);
};
struct RefreshRequest {
  SecretBytes u;  // 32-byte scalar; send only over an authenticated, encrypted channel
  SecretBytes encode() const;
  static Result<RefreshRequest> decode(BytesView b);
};
// The new device's answer when it joins a key: y = x·d1'^-1 (see "join" above).
struct JoinRequest {
  SecretBytes y;  // 32-byte scalar
  SecretBytes encode() const;
  static Result<JoinRequest> decode(BytesView b);
};

// ---- shares ----
class DeviceShare {
 public:
  const Bytes& public_key() const { return public_key_; }  // P, 65 bytes
  SecretBytes export_bytes() const;
  static Result<DeviceShare> import_bytes(BytesView b);
  // From the 32-byte scalar d1 and the 65-byte public key P (e.g. after unmasking d1, unlock.h).
  static Result<DeviceShare> from_parts(BytesView d1, BytesView public_key);
  const SecretBytes& scalar() const { return d1_; }  // d1 (the share, not the key)

 private:
  friend struct Access;
  SecretBytes d1_;
  Bytes public_key_;
};

class ServerShare {
 public:
  const Bytes& public_key() const { return public_key_; }
  SecretBytes export_bytes() const;
  static Result<ServerShare> import_bytes(BytesView b);
  const SecretBytes& scalar() const { return d2_; }  // d2 (the share, not the key)

 private:
  friend struct Access;
  SecretBytes d2_;
  Bytes public_key_;
};

// ---- key generation ----
struct DeviceKeygenState {
  SecretBytes d1;
};
struct DeviceKeygenStart {
  DeviceKeygenState state;
  KeygenRequest request;
};
DeviceKeygenStart device_keygen_start(Rng& rng);

struct ServerKeygenResult {
  ServerShare share;
  KeygenResponse response;
};
Result<ServerKeygenResult> server_keygen(const KeygenRequest& request, Rng& rng);
Result<DeviceShare> device_keygen_finish(DeviceKeygenState state, const KeygenResponse& response);

// ---- signing ----
struct SignState {
  SecretBytes k1;
  Bytes e;
};
struct DeviceSignStart {
  SignState state;
  SignRequest request;
};
Result<DeviceSignStart> device_sign_start(const DeviceShare& share, BytesView message, std::string_view id,
                                          Rng& rng);
Result<SignResponse> server_sign(const ServerShare& share, const SignRequest& request, Rng& rng);
// Returns the signature as raw r||s (64 bytes; ec_sig_raw_to_der gives DER), after verifying it
// under P for (message, id) with the ordinary SM2 verification (sm2_verify_digest).
Result<Bytes> device_sign_finish(const DeviceShare& share, SignState state, const SignResponse& response,
                                 BytesView message, std::string_view id);

// The same two device steps from the digest e = SM3(Z_A ‖ M) (sm2_message_digest), for a device
// half that never sees the message (the PIN cache, client/agent.h, signs for a client that hashed
// it). finish verifies (r, s) for e under P with sm2_verify_digest before returning raw r||s.
Result<DeviceSignStart> device_sign_start_digest(const DeviceShare& share, BytesView e, Rng& rng);
Result<Bytes> device_sign_finish_digest(const DeviceShare& share, SignState state, const SignResponse& response);

// The whole device side with the server reached through `server` (e.g. an HTTP call); retries
// with a fresh nonce up to max_attempts times on cosign_retry.
using SignTransport = std::function<Result<SignResponse>(const SignRequest&)>;
Result<Bytes> device_sign(const DeviceShare& share, BytesView message, std::string_view id, Rng& rng,
                          const SignTransport& server, int max_attempts = 4);

// ---- decryption ----
struct DecryptState {
  Sm2Ciphertext ciphertext;
  SecretBytes w;  // blinding scalar
};
struct DeviceDecryptStart {
  DecryptState state;
  DecryptRequest request;
};
Result<DeviceDecryptStart> device_decrypt_start(const DeviceShare& share, BytesView ciphertext,
                                                Sm2CipherOrder order, Rng& rng);
Result<DecryptResponse> server_decrypt(const ServerShare& share, const DecryptRequest& request);
Result<SecretBytes> device_decrypt_finish(const DeviceShare& share, DecryptState state,
                                          const DecryptResponse& response);

// ---- refresh / add a device ----
struct DeviceRefreshStart {
  DeviceShare new_share;  // d1·u: for this device (refresh) or for the new device (add)
  RefreshRequest request;
};
DeviceRefreshStart device_refresh_start(const DeviceShare& share, Rng& rng);
Result<ServerShare> server_refresh(const ServerShare& share, const RefreshRequest& request);

// ---- join: a new device with a share of its own ----
struct DeviceJoin {
  DeviceShare share;    // (d1', P): d1' drawn here, never sent anywhere
  JoinRequest request;  // y = x·d1'^-1, for the server
};
// x: the old device's refreshed scalar d1·u (received over the pairing channel); public_key: P.
Result<DeviceJoin> device_join(BytesView x, BytesView public_key, Rng& rng);
// pending: z = d2·u^-1 (server_refresh of the old device's share with u); returns d2' = z·y.
Result<ServerShare> server_join(const ServerShare& pending, const JoinRequest& request);

}  // namespace certseal::crypto::cosign
