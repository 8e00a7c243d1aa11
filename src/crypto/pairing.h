// The channel between two devices of one person when a device is added to a mobile-shield key
// (docs/SHIELD.md "Adding a device", docs/CRYPTO.md "Pairing channel"). The server relays every
// message but must not be able to read or forge what matters, so the user carries one short
// value by hand (typed, or scanned as a QR payload) from the new device B to the old device A:
//
//   code   = base32(s ‖ tag), 24 characters in six groups of four ("ABCD-EFGH-...")
//            s   = 8 random bytes that B keeps and the server never sees
//            tag = SM3("certseal-pairing-code v1\n" ‖ pairing_id ‖ "\n" ‖ device_id ‖ "\n" ‖ E_B ‖ s)[0..7)
//   E_B    = e_B·G, B's ephemeral SM2 key, relayed by the server (the pairing's public_key).
//
//   A: refuses (pairing_code_mismatch) unless tag matches the E_B and device id the server relayed;
//      then picks an ephemeral a, E_A = a·G, and seals
//        K        = SM2-KDF(x(a·E_B) ‖ y(a·E_B) ‖ s ‖ SM3(transcript), 16)
//        envelope = 0x20 ‖ 0x01 ‖ E_A ‖ SM4-AEAD(K, x ‖ P ‖ key_id, aad = transcript)
//        transcript = "certseal-pairing v1\n" ‖ pairing_id ‖ "\n" ‖ device_id ‖ "\n" ‖ E_A ‖ E_B
//      where x = d1·u is the old share times the refresh factor (crypto/cosign.h "join").
//   B: opens the envelope with e_B and s (pairing_envelope_forged when it does not open), and
//      signs the completion message (completion_message below) with e_B: proof that the device
//      that completes is the one whose key the user confirmed.
//
// Why both halves of the code: the tag authenticates E_B to A (a swapped key is refused before A
// sends anything); s authenticates A's envelope to B (a forged envelope does not open, so B never
// answers with y for an x the server chose). Neither s nor the tag ever reaches the server.
// Contract: pure functions apart from the injected Rng; secrets in SecretBytes.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/cosign.h"

namespace certseal::crypto::pairing {

inline constexpr std::size_t kCodeSecretSize = 8;
inline constexpr std::size_t kCodeTagSize = 7;
inline constexpr std::size_t kCodeChars = 24;  // base32 of 15 bytes

// What the pairing is about, as both devices know it (the server relays both fields; the code's
// tag binds them).
struct PairingContext {
  std::string pairing_id, device_id;
};

// ---- new device (B) ----
struct NewDeviceSecrets {
  SecretBytes ephemeral;    // e_B, 32 bytes
  Bytes ephemeral_public;   // E_B, 65 bytes
  SecretBytes code_secret;  // s, 8 bytes
};
NewDeviceSecrets new_device_start(Rng& rng);
// The code B shows once the server gave the pairing its id.
std::string pairing_code(const NewDeviceSecrets& b, const PairingContext& ctx);

struct Joined {
  cosign::DeviceShare share;     // B's own share d1' for the key P
  cosign::JoinRequest request;   // y, for the server
  std::string key_id;            // as sealed by A
};
// Opens A's envelope (relayed by the server) and joins the key. Errors: pairing_envelope_forged
// (kPermissionDenied) when the envelope is not A's for this pairing and code; bad_message.
Result<Joined> new_device_join(const NewDeviceSecrets& b, const PairingContext& ctx, BytesView envelope, Rng& rng);

// The bytes B signs with e_B (SM2, default ID) to complete: binds pairing, the server's challenge
// and exactly what B hands the server.
Bytes completion_message(std::string_view pairing_id, std::string_view challenge, BytesView join_request,
                         BytesView auth_key, BytesView salt);

// ---- old device (A) ----
struct Grant {
  Bytes envelope;                  // for B, through the server
  cosign::RefreshRequest request;  // u, for the server
};
// Errors: bad_pairing_code (kInvalidArgument) for a code that is not 24 base32 characters;
// pairing_code_mismatch (kPermissionDenied) when the relayed key or device id is not the one the
// code was made for (nothing is computed or sent then).
Result<Grant> old_device_grant(const cosign::DeviceShare& share, std::string_view key_id, std::string_view code,
                               const PairingContext& ctx, BytesView relayed_public, Rng& rng);

// "ABCD-EFGH-..." from 15 bytes, and back (case, spaces and dashes ignored).
std::string format_code(BytesView fifteen);
Result<Bytes> parse_code(std::string_view code);

}  // namespace certseal::crypto::pairing
