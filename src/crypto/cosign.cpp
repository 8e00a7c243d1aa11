#include "crypto/cosign.h"

#include <string>

#include "crypto/sm2_curve.h"

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
  CS_TRY(scalar_from_bytes(body, "the refresh factor u"));
  return RefreshRequest{SecretBytes(body.begin(), body.end())};
}

SecretBytes JoinRequest::encode() const { return frame<SecretBytes>(kJoinRequest, {y}); }
Result<JoinRequest> JoinRequest::decode(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kJoinRequest, 32, "join request"));
  CS_TRY(scalar_from_bytes(body, "the join factor y"));
  return JoinRequest{SecretBytes(body.begin(), body.end())};
}

// ---- shares ----

SecretBytes DeviceShare::export_bytes() const { return frame<SecretBytes>(kDeviceShare, {d1_, public_key_}); }
Result<DeviceShare> DeviceShare::import_bytes(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kDeviceShare, 32 + 65, "device share"));
  CS_TRY(scalar_from_bytes(body.first(32), "the device share"));
  CS_TRY(point_from_bytes(body.subspan(32), "the public key"));
  return Access::device(SecretBytes(body.begin(), body.begin() + 32), sub(body, 32, 65));
}

Result<DeviceShare> DeviceShare::from_parts(BytesView d1, BytesView public_key) {
  if (d1.size() != 32 || public_key.size() != 65) {
    return invalid_argument("bad_message", "a device share is a 32-byte scalar and a 65-byte point");
  }
  CS_TRY(scalar_from_bytes(d1, "the device share"));
  CS_TRY(point_from_bytes(public_key, "the public key"));
  return Access::device(SecretBytes(d1.begin(), d1.end()), Bytes(public_key.begin(), public_key.end()));
}

SecretBytes ServerShare::export_bytes() const { return frame<SecretBytes>(kServerShare, {d2_, public_key_}); }
Result<ServerShare> ServerShare::import_bytes(BytesView b) {
  CS_ASSIGN(BytesView body, unframe(b, kServerShare, 32 + 65, "server share"));
  CS_TRY(scalar_from_bytes(body.first(32), "the server share"));
  CS_TRY(point_from_bytes(body.subspan(32), "the public key"));
  return Access::server(SecretBytes(body.begin(), body.begin() + 32), sub(body, 32, 65));
}

// ---- key generation ----

DeviceKeygenStart device_keygen_start(Rng& rng) {
  BnCtx ctx = bn_ctx_new();
  Bignum d1 = random_scalar(rng);
  Bignum d1_inv = mod_n_inverse(d1.get(), ctx.get());
  EcPoint p1 = mul_generator(d1_inv.get(), ctx.get());
  return {DeviceKeygenState{bn_to_secret32(d1.get())}, KeygenRequest{point_to_bytes(p1.get())}};
}

Result<ServerKeygenResult> server_keygen(const KeygenRequest& request, Rng& rng) {
  CS_ASSIGN(EcPoint p1, point_from_bytes(request.p1, "the device's point P1"));
  BnCtx ctx = bn_ctx_new();
  const EC_POINT* g = EC_GROUP_get0_generator(Sm2Curve::get().group());
  for (;;) {
    Bignum d2 = random_scalar(rng);
    Bignum d2_inv = mod_n_inverse(d2.get(), ctx.get());
    EcPoint p = point_sub(mul_point(p1.get(), d2_inv.get(), ctx.get()).get(), g, ctx.get());
    if (point_is_infinity(p.get())) continue;  // d1·d2 = 1 would mean d = 0
    Bytes pub = point_to_bytes(p.get());
    KeygenResponse response{pub};
    return ServerKeygenResult{Access::server(bn_to_secret32(d2.get()), std::move(pub)), std::move(response)};
  }
}

Result<DeviceShare> device_keygen_finish(DeviceKeygenState state, const KeygenResponse& response) {
  CS_TRY(scalar_from_bytes(state.d1, "the device share"));
  CS_TRY(point_from_bytes(response.public_key, "the server's public key P"));
  return Access::device(std::move(state.d1), response.public_key);
}

// ---- signing ----

Result<DeviceSignStart> device_sign_start(const DeviceShare& share, BytesView message, std::string_view id,
                                          Rng& rng) {
  CS_ASSIGN(Bytes e, sm2_message_digest(share.public_key(), id, message));
  return device_sign_start_digest(share, e, rng);
}

Result<DeviceSignStart> device_sign_start_digest(const DeviceShare& share, BytesView e_view, Rng& rng) {
  (void)share;  // k1 and Q1 = k1·G need no share; e was bound to P by the caller
  if (e_view.size() != 32) return invalid_argument("bad_message", "the digest e is not 32 bytes");
  Bytes e(e_view.begin(), e_view.end());
  BnCtx ctx = bn_ctx_new();
  Bignum k1 = random_scalar(rng);
  EcPoint q1 = mul_generator(k1.get(), ctx.get());
  SignRequest req{e, point_to_bytes(q1.get())};
  return DeviceSignStart{SignState{bn_to_secret32(k1.get()), std::move(e)}, std::move(req)};
}

Result<SignResponse> server_sign(const ServerShare& share, const SignRequest& request, Rng& rng) {
  if (request.e.size() != 32) return invalid_argument("bad_message", "the sign request's e is not 32 bytes");
  CS_ASSIGN(EcPoint q1, point_from_bytes(request.q1, "the device's point Q1"));
  CS_ASSIGN(Bignum d2, scalar_from_bytes(share.scalar(), "the server share"));
  BnCtx ctx = bn_ctx_new();
  Bignum e = mod_n(bn_from_bytes(request.e).get(), ctx.get());
  for (;;) {
    Bignum k2 = random_scalar(rng);
    Bignum k3 = random_scalar(rng);
    EcPoint pt = mul_add(k2.get(), q1.get(), k3.get(), ctx.get());
    if (point_is_infinity(pt.get())) continue;
    Bytes x1, y1;
    point_xy(pt.get(), x1, y1, ctx.get());
    Bignum r = mod_n_add(e.get(), mod_n(bn_from_bytes(x1).get(), ctx.get()).get(), ctx.get());
    if (scalar_is_zero(r.get())) continue;  // r = 0: new k2, k3
    Bignum r_k2 = mod_n_add(r.get(), k2.get(), ctx.get());
    if (scalar_is_zero(r_k2.get())) continue;  // s3 would be 0
    Bignum s2 = mod_n_mul(d2.get(), k3.get(), ctx.get());
    Bignum s3 = mod_n_mul(d2.get(), r_k2.get(), ctx.get());
    return SignResponse{bn_to_bytes32(r.get()), bn_to_bytes32(s2.get()), bn_to_bytes32(s3.get())};
  }
}

namespace {
// s = d1·k1·s2 + d1·s3 − r; raw r||s, not yet verified.
Result<Bytes> combine_signature(const DeviceShare& share, const SignState& state, const SignResponse& response) {
  CS_ASSIGN(Bignum r, scalar_from_bytes(response.r, "the server's r"));
  CS_ASSIGN(Bignum s2, scalar_from_bytes(response.s2, "the server's s2"));
  CS_ASSIGN(Bignum s3, scalar_from_bytes(response.s3, "the server's s3"));
  CS_ASSIGN(Bignum d1, scalar_from_bytes(share.scalar(), "the device share"));
  CS_ASSIGN(Bignum k1, scalar_from_bytes(state.k1, "the sign state's k1"));
  BnCtx ctx = bn_ctx_new();
  // s = d1·k1·s2 + d1·s3 − r  (mod n)
  Bignum a = mod_n_mul(mod_n_mul(d1.get(), k1.get(), ctx.get()).get(), s2.get(), ctx.get());
  Bignum b = mod_n_mul(d1.get(), s3.get(), ctx.get());
  Bignum s = mod_n_sub(mod_n_add(a.get(), b.get(), ctx.get()).get(), r.get(), ctx.get());
  Bignum s_r = mod_n_add(s.get(), r.get(), ctx.get());
  if (scalar_is_zero(s.get()) || scalar_is_zero(s_r.get())) {
    return Error(ErrorKind::kUnavailable, "cosign_retry", "the signature must be made again with a new nonce");
  }
  Bytes raw = bn_to_bytes32(r.get());
  Bytes sb = bn_to_bytes32(s.get());
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
  // or a server share that no longer belongs to this device share).
  CS_ASSIGN(PublicKey pub, PublicKey::sm2_from_point(share.public_key()));
  CS_ASSIGN(Bytes der, ec_sig_raw_to_der(raw));
  Status ok = verify(pub, SignScheme::kSm2Sm3, message, der, id);
  if (!ok.ok()) return bad_server_answer("final signature failed SM2 verification under P");
  return raw;
}

Result<Bytes> device_sign(const DeviceShare& share, BytesView message, std::string_view id, Rng& rng,
                          const SignTransport& server, int max_attempts) {
  Error last = Error(ErrorKind::kUnavailable, "cosign_retry", "the signature must be made again with a new nonce");
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
  CS_ASSIGN(EcPoint c1, point_from_bytes(c.c1, "the ciphertext's C1"));
  CS_ASSIGN(Bignum d1, scalar_from_bytes(share.scalar(), "the device share"));
  BnCtx ctx = bn_ctx_new();
  Bignum w = random_scalar(rng);
  Bignum f = mod_n_mul(w.get(), mod_n_inverse(d1.get(), ctx.get()).get(), ctx.get());
  EcPoint t1 = mul_point(c1.get(), f.get(), ctx.get());
  DecryptRequest req{point_to_bytes(t1.get())};
  return DeviceDecryptStart{DecryptState{std::move(c), bn_to_secret32(w.get())}, std::move(req)};
}

Result<DecryptResponse> server_decrypt(const ServerShare& share, const DecryptRequest& request) {
  CS_ASSIGN(EcPoint t1, point_from_bytes(request.t1, "the device's point T1"));
  CS_ASSIGN(Bignum d2, scalar_from_bytes(share.scalar(), "the server share"));
  BnCtx ctx = bn_ctx_new();
  EcPoint t2 = mul_point(t1.get(), mod_n_inverse(d2.get(), ctx.get()).get(), ctx.get());
  return DecryptResponse{point_to_bytes(t2.get())};
}

Result<SecretBytes> device_decrypt_finish(const DeviceShare& share, DecryptState state,
                                          const DecryptResponse& response) {
  (void)share;
  CS_ASSIGN(EcPoint t2, point_from_bytes(response.t2, "the server's point T2"));
  CS_ASSIGN(EcPoint c1, point_from_bytes(state.ciphertext.c1, "the ciphertext's C1"));
  CS_ASSIGN(Bignum w, scalar_from_bytes(state.w, "the decrypt state's w"));
  BnCtx ctx = bn_ctx_new();
  EcPoint unblinded = mul_point(t2.get(), mod_n_inverse(w.get(), ctx.get()).get(), ctx.get());
  EcPoint shared = point_sub(unblinded.get(), c1.get(), ctx.get());
  if (point_is_infinity(shared.get())) {
    return invalid_argument("point_at_infinity", "the server's point T2 gives the point at infinity");
  }
  return sm2_decrypt_with_shared_point(shared.get(), state.ciphertext);
}

// ---- refresh / add a device ----

DeviceRefreshStart device_refresh_start(const DeviceShare& share, Rng& rng) {
  BnCtx ctx = bn_ctx_new();
  Bignum u = random_scalar(rng);
  Bignum d1 = bn_from_bytes(share.scalar());
  Bignum nd1 = mod_n_mul(d1.get(), u.get(), ctx.get());
  return DeviceRefreshStart{Access::device(bn_to_secret32(nd1.get()), share.public_key()),
                            RefreshRequest{bn_to_secret32(u.get())}};
}

Result<ServerShare> server_refresh(const ServerShare& share, const RefreshRequest& request) {
  CS_ASSIGN(Bignum u, scalar_from_bytes(request.u, "the refresh factor u"));
  CS_ASSIGN(Bignum d2, scalar_from_bytes(share.scalar(), "the server share"));
  BnCtx ctx = bn_ctx_new();
  Bignum nd2 = mod_n_mul(d2.get(), mod_n_inverse(u.get(), ctx.get()).get(), ctx.get());
  return Access::server(bn_to_secret32(nd2.get()), share.public_key());
}

// ---- join ----

Result<DeviceJoin> device_join(BytesView x_bytes, BytesView public_key, Rng& rng) {
  CS_ASSIGN(Bignum x, scalar_from_bytes(x_bytes, "the old device's factor x"));
  CS_TRY(point_from_bytes(public_key, "the public key"));
  BnCtx ctx = bn_ctx_new();
  Bignum d1 = random_scalar(rng);
  Bignum y = mod_n_mul(x.get(), mod_n_inverse(d1.get(), ctx.get()).get(), ctx.get());
  return DeviceJoin{Access::device(bn_to_secret32(d1.get()), Bytes(public_key.begin(), public_key.end())),
                    JoinRequest{bn_to_secret32(y.get())}};
}

Result<ServerShare> server_join(const ServerShare& pending, const JoinRequest& request) {
  CS_ASSIGN(Bignum y, scalar_from_bytes(request.y, "the join factor y"));
  CS_ASSIGN(Bignum z, scalar_from_bytes(pending.scalar(), "the pending server share"));
  BnCtx ctx = bn_ctx_new();
  Bignum d2 = mod_n_mul(z.get(), y.get(), ctx.get());
  return Access::server(bn_to_secret32(d2.get()), pending.public_key());
}

}  // namespace certseal::crypto::cosign
