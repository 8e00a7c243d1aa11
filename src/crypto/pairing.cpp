#include "crypto/pairing.h"

#include <cctype>
#include <cstring>

#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/sm2.h"
#include "crypto/sm2_curve.h"

namespace certseal::crypto::pairing {
namespace {

constexpr std::uint8_t kEnvelopeTag = 0x20;
constexpr std::uint8_t kEnvelopeVersion = 1;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";  // RFC 4648 base32: no 0/1/8/9

// resize + memcpy rather than insert: GCC 12 at -O3 warns falsely (stringop-overflow) on
// inserting a range into an empty vector.
void append(Bytes& out, std::string_view s) {
  const std::size_t at = out.size();
  out.resize(at + s.size());
  if (!s.empty()) std::memcpy(out.data() + at, s.data(), s.size());
}
void append(Bytes& out, BytesView b) { out.insert(out.end(), b.begin(), b.end()); }

Bytes code_tag(BytesView secret, const PairingContext& ctx, BytesView e_b) {
  Bytes in;
  append(in, "certseal-pairing-code v1\n");
  append(in, ctx.pairing_id);
  append(in, "\n");
  append(in, ctx.device_id);
  append(in, "\n");
  append(in, e_b);
  append(in, secret);
  Bytes h = sm3(in);
  h.resize(kCodeTagSize);
  return h;
}

Bytes transcript(const PairingContext& ctx, BytesView e_a, BytesView e_b) {
  Bytes t;
  append(t, "certseal-pairing v1\n");
  append(t, ctx.pairing_id);
  append(t, "\n");
  append(t, ctx.device_id);
  append(t, "\n");
  append(t, e_a);
  append(t, e_b);
  return t;
}

// K = SM2-KDF(x ‖ y of the ECDH point ‖ s ‖ SM3(transcript)).
Result<SecretBytes> channel_key(BytesView own_scalar, BytesView peer_point, BytesView secret, BytesView tr) {
  CS_ASSIGN(Bignum k, scalar_from_bytes(own_scalar, "the ephemeral key"));
  CS_ASSIGN(EcPoint peer, point_from_bytes(peer_point, "the other device's ephemeral key"));
  BnCtx bn = bn_ctx_new();
  EcPoint shared = mul_point(peer.get(), k.get(), bn.get());
  if (point_is_infinity(shared.get())) return invalid_argument("point_at_infinity", "the shared point is infinity");
  Bytes x, y;
  point_xy(shared.get(), x, y, bn.get());
  SecretBytes z;
  z.insert(z.end(), x.begin(), x.end());
  z.insert(z.end(), y.begin(), y.end());
  z.insert(z.end(), secret.begin(), secret.end());
  const Bytes h = sm3(tr);
  z.insert(z.end(), h.begin(), h.end());
  secure_wipe(x.data(), x.size());
  secure_wipe(y.data(), y.size());
  return sm2_kdf(z, 16);
}

Error forged() {
  return permission_denied("pairing_envelope_forged",
                           "the key share did not come from your other device for this pairing code; nothing was "
                           "accepted");
}

}  // namespace

std::string format_code(BytesView b) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : b) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  std::string grouped;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i > 0 && i % 4 == 0) grouped.push_back('-');
    grouped.push_back(out[i]);
  }
  return grouped;
}

Result<Bytes> parse_code(std::string_view code) {
  auto bad = [] {
    return invalid_argument("bad_pairing_code", "the pairing code is 24 letters and digits 2-7, as the new device shows it")
        .with_field("code", "invalid", "24 characters A-Z, 2-7");
  };
  Bytes out;
  std::uint32_t buffer = 0;
  int bits = 0, chars = 0;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int v = -1;
    if (u >= 'A' && u <= 'Z') v = u - 'A';
    if (u >= '2' && u <= '7') v = 26 + (u - '2');
    if (v < 0) return bad();
    ++chars;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  if (chars != static_cast<int>(kCodeChars) || out.size() != kCodeSecretSize + kCodeTagSize) return bad();
  return out;
}

NewDeviceSecrets new_device_start(Rng& rng) {
  BnCtx bn = bn_ctx_new();
  Bignum e = random_scalar(rng);
  EcPoint p = mul_generator(e.get(), bn.get());
  Bytes s = rng.bytes(kCodeSecretSize);
  NewDeviceSecrets out{bn_to_secret32(e.get()), point_to_bytes(p.get()), SecretBytes(s.begin(), s.end())};
  secure_wipe(s.data(), s.size());
  return out;
}

std::string pairing_code(const NewDeviceSecrets& b, const PairingContext& ctx) {
  Bytes raw(b.code_secret.begin(), b.code_secret.end());
  append(raw, code_tag(b.code_secret, ctx, b.ephemeral_public));
  std::string code = format_code(raw);
  secure_wipe(raw.data(), raw.size());
  return code;
}

Result<Grant> old_device_grant(const cosign::DeviceShare& share, std::string_view key_id, std::string_view code,
                               const PairingContext& ctx, BytesView relayed_public, Rng& rng) {
  CS_ASSIGN(Bytes raw, parse_code(code));
  const SecretBytes secret(raw.begin(), raw.begin() + kCodeSecretSize);
  const BytesView given_tag = BytesView(raw).subspan(kCodeSecretSize);
  // The relayed key must be a valid point and the one the code was made for.
  const bool point_ok = point_from_bytes(relayed_public, "the new device's key").ok();
  const bool tag_ok = point_ok && constant_time_equal(code_tag(secret, ctx, relayed_public), given_tag);
  secure_wipe(raw.data(), raw.size());
  if (!tag_ok) {
    return permission_denied("pairing_code_mismatch",
                             "the pairing code does not match the new device's key as the server relayed it: nothing "
                             "was sent (check the code; if it is right, the connection is not trustworthy)");
  }
  if (key_id.empty() || key_id.size() > 200) return invalid_argument("bad_message", "a key id is 1 to 200 bytes");

  cosign::DeviceRefreshStart r = cosign::device_refresh_start(share, rng);  // x = d1·u, and u
  BnCtx bn = bn_ctx_new();
  Bignum a = random_scalar(rng);
  const Bytes e_a = point_to_bytes(mul_generator(a.get(), bn.get()).get());
  const Bytes tr = transcript(ctx, e_a, relayed_public);
  CS_ASSIGN(SecretBytes k, channel_key(bn_to_secret32(a.get()), relayed_public, secret, tr));
  SecretBytes plain(r.new_share.scalar().begin(), r.new_share.scalar().end());
  plain.insert(plain.end(), share.public_key().begin(), share.public_key().end());
  plain.insert(plain.end(), key_id.begin(), key_id.end());
  CS_ASSIGN(Bytes sealed, sm4_aead_seal(k, plain, tr, rng));
  Grant g;
  g.envelope = {kEnvelopeTag, kEnvelopeVersion};
  append(g.envelope, e_a);
  append(g.envelope, sealed);
  g.request = std::move(r.request);
  return g;
}

Result<Joined> new_device_join(const NewDeviceSecrets& b, const PairingContext& ctx, BytesView envelope, Rng& rng) {
  if (envelope.size() < 2 + 65 + 1 || envelope[0] != kEnvelopeTag || envelope[1] != kEnvelopeVersion) {
    return forged();
  }
  const BytesView e_a = envelope.subspan(2, 65);
  if (!point_from_bytes(e_a, "the old device's ephemeral key").ok()) return forged();
  const Bytes tr = transcript(ctx, e_a, b.ephemeral_public);
  CS_ASSIGN(SecretBytes k, channel_key(b.ephemeral, e_a, b.code_secret, tr));
  auto plain = sm4_aead_open(k, envelope.subspan(2 + 65), tr);
  if (!plain) return forged();
  if (plain->size() <= 32 + 65) return forged();
  const BytesView p(plain->data(), plain->size());
  CS_ASSIGN(cosign::DeviceJoin j, cosign::device_join(p.first(32), p.subspan(32, 65), rng));
  const BytesView kid = p.subspan(32 + 65);
  return Joined{std::move(j.share), std::move(j.request), std::string(kid.begin(), kid.end())};
}

Bytes completion_message(std::string_view pairing_id, std::string_view challenge, BytesView join_request,
                         BytesView auth_key, BytesView salt) {
  Bytes bound;
  append(bound, join_request);
  append(bound, auth_key);
  append(bound, salt);
  Bytes m;
  append(m, "certseal-pairing-completion v1\n");
  append(m, pairing_id);
  append(m, "\n");
  append(m, challenge);
  append(m, "\n");
  append(m, sm3(bound));
  return m;
}

}  // namespace certseal::crypto::pairing
