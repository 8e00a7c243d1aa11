#include "crypto/cosign.h"

#include <string>

#include "crypto/sm2_engine.h"

namespace certseal::crypto::cosign {

struct Access {
  static DeviceShare device(SecretBytes d1, Bytes pub) {
    DeviceShare s;
    s.d1_ = std::move(d1);
    s.public_key_ = std::move(pub);
    return s;
  }
  static ServerShare server(SecretBytes d2, Bytes pub) {
    ServerShare s;
    s.d2_ = std::move(d2);
    s.public_key_ = std::move(pub);
    return s;
  }
};

namespace {

constexpr std::uint8_t kVersion = 1;
enum Tag : std::uint8_t {
  kKeygenRequest = 0x01,
  kKeygenResponse = 0x02,
  kSignRequest = 0x03,
  kSignResponse = 0x04,
  kDecryptRequest = 0x05,
  kDecryptResponse = 0x06,
  kRefreshRequest = 0x07,
  kJoinRequest = 0x08,
  kDeviceShare = 0x10,
  kServerShare = 0x11,
};

Error bad_message(const char* what) {
  return invalid_argument("bad_message", std::string("the ") + what + " message is malformed");
}

template <class Out = Bytes>
Out frame(Tag tag, std::initializer_list<BytesView> fields) {
  Out out;
  out.push_back(tag);
  out.push_back(kVersion);
  for (BytesView f : fields) out.insert(out.end(), f.begin(), f.end());
  return out;
}

// Checks tag, version and total length; returns the body.
Result<BytesView> unframe(BytesView b, Tag tag, std::size_t body_len, const char* what) {
  if (b.size() != 2 + body_len || b[0] != tag || b[1] != kVersion) return bad_message(what);
  return b.subspan(2);
}

Bytes sub(BytesView b, std::size_t off, std::size_t len) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(off), b.begin() + static_cast<std::ptrdiff_t>(off + len));
}

Error bad_server_answer(std::string cause) {
  return Error(ErrorKind::kInvalidArgument, "cosign_bad_server_answer",
               "the server's answer does not produce a valid signature for this key", std::move(cause));
}

}  // namespace

// ---- message encodings ----

Bytes KeygenRequest::encode() const { return frame(kKeygenRequest, {p1}); }
Result<KeygenRequest> KeygenRequest::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kKeygenRequest, 65, "key generation request"));
  return KeygenRequest{Bytes(body.begin(), body.end())};
}
Bytes KeygenResponse::encode() const { return frame(kKeygenResponse, {public_key}); }
Result<KeygenResponse> KeygenResponse::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kKeygenResponse, 65, "key generation response"));
  return KeygenResponse{Bytes(body.begin(), body.end())};
}
Bytes SignRequest::encode() const { return frame(kSignRequest, {e, q1}); }
Result<SignRequest> SignRequest::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kSignRequest, 32 + 65, "sign request"));
  return SignRequest{sub(body, 0, 32), sub(body, 32, 65)};
}
Bytes SignResponse::encode() const { return frame(kSignResponse, {r, s2, s3}); }
Result<SignResponse> SignResponse::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kSignResponse, 96, "sign response"));
  return SignResponse{sub(body, 0, 32), sub(body, 32, 32), sub(body, 64, 32)};
}
Bytes DecryptRequest::encode() const { return frame(kDecryptRequest, {t1}); }
Result<DecryptRequest> DecryptRequest::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kDecryptRequest, 65, "decrypt request"));
  return DecryptRequest{Bytes(body.begin(), body.end())};
}
Bytes DecryptResponse::encode() const { return frame(kDecryptResponse, {t2}); }
Result<DecryptResponse> DecryptResponse::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kDecryptResponse, 65, "decrypt response"));
  return DecryptResponse{Bytes(body.begin(), body.end())};
}
SecretBytes RefreshRequest::encode() const { return frame<SecretBytes>(kRefreshRequest, {u}); }
Result<RefreshRequest> RefreshRequest::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kRefreshRequest, 32, "share refresh request"));
  CS_TRY(sm2::Scalar::parse(body, "the refresh factor u"));
  return RefreshRequest{SecretBytes(body.begin(), body.end())};
}

SecretBytes JoinRequest::encode() const { return frame<SecretBytes>(kJoinRequest, {y}); }
Result<JoinRequest> JoinRequest::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kJoinRequest, 32, "join request"));
  CS_TRY(sm2::Scalar::parse(body, "the join factor y"));
  return JoinRequest{SecretBytes(body.begin(), body.end())};
}

// ---- shares ----

SecretBytes DeviceShare::export_bytes() const { return frame<SecretBytes>(kDeviceShare, {d1_, public_key_}); }
Result<DeviceShare> DeviceShare::import_bytes(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kDeviceShare, 32 + 65, "device share"));
  CS_TRY(sm2::Scalar::parse(body.first(32), "the device share"));
  CS_TRY(sm2::Point::parse(body.subspan(32), "the public key"));
  return Access::device(SecretBytes(body.begin(), body.begin() + 32), sub(body, 32, 65));
}

Result<DeviceShare> DeviceShare::from_parts(BytesView d1, BytesView public_key) {
  if (d1.size() != 32 || public_key.size() != 65) {
    return invalid_argument("bad_message", "a device share is a 32-byte scalar and a 65-byte point");
  }
  CS_TRY(sm2::Scalar::parse(d1, "the device share"));
  CS_TRY(sm2::Point::parse(public_key, "the public key"));
  return Access::device(SecretBytes(d1.begin(), d1.end()), Bytes(public_key.begin(), public_key.end()));
}

SecretBytes ServerShare::export_bytes() const { return frame<SecretBytes>(kServerShare, {d2_, public_key_}); }
Result<ServerShare> ServerShare::import_bytes(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kServerShare, 32 + 65, "server share"));
  CS_TRY(sm2::Scalar::parse(body.first(32), "the server share"));
  CS_TRY(sm2::Point::parse(body.subspan(32), "the public key"));
  return Access::server(SecretBytes(body.begin(), body.begin() + 32), sub(body, 32, 65));
}

// ---- key generation ----
// All arithmetic runs on the SM2 engine (sm2_engine.h): secret scalars (shares, nonces, blinding
// factors) only through its constant-time functions. Values sent to the peer are declassified
// (Scalar::public_bytes, declassify_point) because they are public from then on.

namespace {
using sm2::Point;
using sm2::Scalar;

Bytes public_point(const Point& p) {
  Bytes b = p.bytes();
  sm2::ct_declassify(BytesView(b));
  return b;
}

Error retry() {
  return Error(ErrorKind::kUnavailable, "cosign_retry", "the signature must be made again with a new nonce");
}
}  // namespace

DeviceKeygenStart device_keygen_start(Rng& rng) {
  Scalar d1 = Scalar::random(rng);
  Point p1 = sm2::mul_base(d1.inverse());
  return {DeviceKeygenState{d1.bytes()}, KeygenRequest{public_point(p1)}};
}

Result<ServerKeygenResult> server_keygen(const KeygenRequest& request, Rng& rng) {
  CS_ASSIGN(Point p1, Point::parse(request.p1, "the device's point P1"));
  const Point minus_g = sm2::neg(Point::generator());
  for (;;) {
    Scalar d2 = Scalar::random(rng);
    Point p = sm2::add(sm2::mul(p1, d2.inverse()), minus_g);
    if (p.is_infinity()) continue;  // d1·d2 = 1 would mean d = 0
    Bytes pub = public_point(p);
    KeygenResponse response{pub};
    return ServerKeygenResult{Access::server(d2.bytes(), std::move(pub)), std::move(response)};
  }
}

Result<DeviceShare> device_keygen_finish(DeviceKeygenState state, const KeygenResponse& response) {
  CS_TRY(Scalar::parse(state.d1, "the device share"));
  CS_TRY(Point::parse(response.public_key, "the server's public key P"));
  return Access::device(std::move(state.d1), response.public_key);
}

// ---- signing ----

Result<DeviceSignStart> device_sign_start(const DeviceShare& share, BytesView message, std::string_view id,
                                          Rng& rng) {
  CS_ASSIGN(Bytes e, sm2_message_digest(share.public_key(), id, message));
  return device_sign_start_digest(share, e, rng);
}

Result<DeviceSignStart> device_sign_start_digest(const DeviceShare& share, BytesView e_view, Rng& rng) {
  if (e_view.size() != 32) return invalid_argument("bad_message", "the digest e is not 32 bytes");
  Bytes e(e_view.begin(), e_view.end());
  // k1 hedged with the device share and e (a weak device RNG alone does not repeat k1).
  Scalar k1 = Scalar::hedged(rng, "cosign k1", share.scalar(), e);
  SignRequest req{e, public_point(sm2::mul_base(k1))};
  return DeviceSignStart{SignState{k1.bytes(), std::move(e)}, std::move(req)};
}

Result<SignResponse> server_sign(const ServerShare& share, const SignRequest& request, Rng& rng) {
  if (request.e.size() != 32) return invalid_argument("bad_message", "the sign request's e is not 32 bytes");
  CS_ASSIGN(Point q1, Point::parse(request.q1, "the device's point Q1"));
  CS_ASSIGN(Scalar d2, Scalar::parse(share.scalar(), "the server share"));
  Scalar e = Scalar::reduce(request.e);
  Bytes context = request.e;
  context.insert(context.end(), request.q1.begin(), request.q1.end());
  for (;;) {
    Scalar k2 = Scalar::hedged(rng, "cosign k2", share.scalar(), context);
    Scalar k3 = Scalar::hedged(rng, "cosign k3", share.scalar(), context);
    Point pt = sm2::mul_base_add(k2, q1, k3);
    if (pt.is_infinity()) continue;
    std::uint8_t x1[32], y1[32];
    pt.xy(x1, y1);
    Scalar r = e + Scalar::reduce(BytesView(x1, 32));
    if (r.is_zero_public()) continue;  // r = 0: new k2, k3
    Scalar r_k2 = r + k2;
    if (r_k2.is_zero_public()) continue;  // s3 would be 0
    Scalar s2 = d2 * k3;
    Scalar s3 = d2 * r_k2;
    return SignResponse{r.public_bytes(), s2.public_bytes(), s3.public_bytes()};
  }
}

namespace {
// s = d1·k1·s2 + d1·s3 − r; raw r||s, not yet verified.
Result<Bytes> combine_signature(const DeviceShare& share, const SignState& state, const SignResponse& response) {
  CS_ASSIGN(Scalar r, Scalar::parse(response.r, "the server's r"));
  CS_ASSIGN(Scalar s2, Scalar::parse(response.s2, "the server's s2"));
  CS_ASSIGN(Scalar s3, Scalar::parse(response.s3, "the server's s3"));
  CS_ASSIGN(Scalar d1, Scalar::parse(share.scalar(), "the device share"));
  CS_ASSIGN(Scalar k1, Scalar::parse(state.k1, "the sign state's k1"));
  Scalar s = d1 * k1 * s2 + d1 * s3 - r;
  if (s.is_zero_public() || (s + r).is_zero_public()) return retry();
  Bytes raw = r.public_bytes();
  Bytes sb = s.public_bytes();
  raw.insert(raw.end(), sb.begin(), sb.end());
  return raw;
}
}  // namespace

Result<Bytes> device_sign_finish_digest(const DeviceShare& share, SignState state, const SignResponse& response) {
  CS_ASSIGN(Bytes raw, combine_signature(share, state, response));
  // Never hand out a signature the public key does not accept (see device_sign_finish).
  if (!sm2_verify_digest(share.public_key(), state.e, raw).ok()) {
    return bad_server_answer("final signature failed SM2 verification under P");
  }
  return raw;
}

Result<Bytes> device_sign_finish(const DeviceShare& share, SignState state, const SignResponse& response,
                                 BytesView message, std::string_view id) {
  CS_ASSIGN(Bytes e, sm2_message_digest(share.public_key(), id, message));
  if (!constant_time_equal(e, state.e)) {
    return invalid_argument("cosign_state_mismatch", "the sign state belongs to another message, ID or key");
  }
  CS_ASSIGN(Bytes raw, combine_signature(share, state, response));
  // Never hand out a signature the public key does not accept (a tampered or wrong server answer,
  // or a server share that no longer belongs to this device share): the ordinary SM2 verification
  // (GB/T 32918.2 §7.1) of (r, s) for e = SM3(Z_A ‖ M), e recomputed above from message and id.
  if (!sm2_verify_digest(share.public_key(), e, raw).ok()) {
    return bad_server_answer("final signature failed SM2 verification under P");
  }
  return raw;
}

Result<Bytes> device_sign(const DeviceShare& share, BytesView message, std::string_view id, Rng& rng,
                          const SignTransport& server, int max_attempts) {
  Error last = retry();
  for (int i = 0; i < max_attempts; ++i) {
    CS_ASSIGN(DeviceSignStart start, device_sign_start(share, message, id, rng));
    CS_ASSIGN(SignResponse resp, server(start.request));
    auto sig = device_sign_finish(share, std::move(start.state), resp, message, id);
    if (sig.ok()) return sig;
    if (sig.error().code != "cosign_retry") return std::move(sig).error();
    last = std::move(sig).error();
  }
  return last;
}

// ---- decryption ----

Result<DeviceDecryptStart> device_decrypt_start(const DeviceShare& share, BytesView ciphertext,
                                                Sm2CipherOrder order, Rng& rng) {
  CS_ASSIGN(Sm2Ciphertext c, Sm2Ciphertext::parse_raw(ciphertext, order));  // checks C1
  CS_ASSIGN(Point c1, Point::parse(c.c1, "the ciphertext's C1"));
  CS_ASSIGN(Scalar d1, Scalar::parse(share.scalar(), "the device share"));
  Scalar w = Scalar::hedged(rng, "cosign w", share.scalar(), c.c1);
  Point t1 = sm2::mul(c1, w * d1.inverse());
  DecryptRequest req{public_point(t1)};
  return DeviceDecryptStart{DecryptState{std::move(c), w.bytes()}, std::move(req)};
}

Result<DecryptResponse> server_decrypt(const ServerShare& share, const DecryptRequest& request) {
  CS_ASSIGN(Point t1, Point::parse(request.t1, "the device's point T1"));
  CS_ASSIGN(Scalar d2, Scalar::parse(share.scalar(), "the server share"));
  return DecryptResponse{public_point(sm2::mul(t1, d2.inverse()))};
}

Result<SecretBytes> device_decrypt_finish(const DeviceShare& share, DecryptState state,
                                          const DecryptResponse& response) {
  (void)share;
  CS_ASSIGN(Point t2, Point::parse(response.t2, "the server's point T2"));
  CS_ASSIGN(Point c1, Point::parse(state.ciphertext.c1, "the ciphertext's C1"));
  CS_ASSIGN(Scalar w, Scalar::parse(state.w, "the decrypt state's w"));
  Point shared = sm2::add(sm2::mul(t2, w.inverse()), sm2::neg(c1));
  if (shared.is_infinity()) {
    return invalid_argument("point_at_infinity", "the server's point T2 gives the point at infinity");
  }
  return sm2_decrypt_with_shared_point(shared, state.ciphertext);
}

// ---- refresh / add a device ----

DeviceRefreshStart device_refresh_start(const DeviceShare& share, Rng& rng) {
  Scalar u = Scalar::random(rng);
  Scalar d1 = Scalar::reduce(share.scalar());
  return DeviceRefreshStart{Access::device((d1 * u).bytes(), share.public_key()), RefreshRequest{u.bytes()}};
}

Result<ServerShare> server_refresh(const ServerShare& share, const RefreshRequest& request) {
  CS_ASSIGN(Scalar u, Scalar::parse(request.u, "the refresh factor u"));
  CS_ASSIGN(Scalar d2, Scalar::parse(share.scalar(), "the server share"));
  return Access::server((d2 * u.inverse()).bytes(), share.public_key());
}

// ---- join ----

Result<DeviceJoin> device_join(BytesView x_bytes, BytesView public_key, Rng& rng) {
  CS_ASSIGN(Scalar x, Scalar::parse(x_bytes, "the old device's factor x"));
  CS_TRY(Point::parse(public_key, "the public key"));
  Scalar d1 = Scalar::random(rng);
  Scalar y = x * d1.inverse();
  return DeviceJoin{Access::device(d1.bytes(), Bytes(public_key.begin(), public_key.end())), JoinRequest{y.bytes()}};
}

Result<ServerShare> server_join(const ServerShare& pending, const JoinRequest& request) {
  CS_ASSIGN(Scalar y, Scalar::parse(request.y, "the join factor y"));
  CS_ASSIGN(Scalar z, Scalar::parse(pending.scalar(), "the pending server share"));
  return Access::server((z * y).bytes(), pending.public_key());
}

}  // namespace certseal::crypto::cosign
