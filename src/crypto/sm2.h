// SM2 specifics (GB/T 32918.2-2016 signatures, 32918.4-2016 encryption, recommended curve of
// 32918.5-2017): Z_A and e, ciphertext formats, and fixed-k primitives.
//
// Ciphertext formats: raw C1C3C2 = 04 || x1 || y1 || C3(32) || C2 (the 2016 standard order and
// sm-crypto's default), raw C1C2C3 (the 2010 draft order, for old peers), and DER
// SEQUENCE { x INTEGER, y INTEGER, C3 OCTET STRING, C2 OCTET STRING } (GB/T 35276 §7.2, what
// OpenSSL emits). Raw forms always carry the 04 prefix.
//
// The point arithmetic is the SM2 engine (sm2_engine.h; OpenSSL's EC code when built with
// CERTSEAL_SM2_OPENSSL=ON). Ordinary signing and encryption draw hedged nonces (Scalar::hedged:
// the injected Rng mixed with the private key and the digest); the fixed-k functions exist for
// the published examples and as references in tests.
// Constant time: signing, decryption and the scalar/point steps of encryption, for the private
// key, the nonce and the shared point (see sm2_engine.h); verification is variable time (public).
// Contract: every function is pure and thread-safe apart from the injected Rng.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/pkey.h"
#include "crypto/sm2_curve.h"
#include "crypto/sm2_engine.h"

namespace certseal::crypto {

enum class Sm2CipherOrder { kC1C3C2, kC1C2C3 };

// Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), GB/T 32918.2 §5.5.
// The ID may be at most 8191 bytes ("bad_sm2_id").
Result<Bytes> sm2_za(BytesView public_point, std::string_view id);
// e = SM3(Z_A || M), GB/T 32918.2 §6.1 steps A1-A2.
Result<Bytes> sm2_message_digest(BytesView public_point, std::string_view id, BytesView message);

// DER SEQUENCE { r INTEGER, s INTEGER } of a raw 64-byte r||s (same bytes as ec_sig_raw_to_der,
// without OpenSSL objects); raw must be 64 bytes.
Bytes sm2_signature_der(BytesView raw);

// KDF of GB/T 32918.4 §5.4.3 with SM3.
SecretBytes sm2_kdf(BytesView z, std::size_t len);

struct Sm2Ciphertext {
  Bytes c1;  // 65 bytes, 04 || x1 || y1 (checked on the curve when parsed)
  Bytes c3;  // 32 bytes
  Bytes c2;  // as long as the plaintext

  static Result<Sm2Ciphertext> parse_raw(BytesView raw, Sm2CipherOrder order);
  static Result<Sm2Ciphertext> parse_der(BytesView der);
  Bytes raw(Sm2CipherOrder order) const;
  Bytes der() const;
};

Result<Bytes> sm2_encrypt(const PublicKey& key, BytesView plain, Sm2CipherOrder order = Sm2CipherOrder::kC1C3C2);
Result<SecretBytes> sm2_decrypt(const PrivateKey& key, BytesView cipher,
                                Sm2CipherOrder order = Sm2CipherOrder::kC1C3C2);

// Raw r||s for the 32-byte digest e under the 32-byte private scalar d, with a hedged nonce
// (Scalar::hedged over d, e and 32 bytes of rng). inv_one_plus_d, when given, is (1 + d)^-1 mod n
// (PrivateKey::sm2_sign_factor), saving an inversion. Errors: scalar_out_of_range, bad_digest_length.
Result<Bytes> sm2_sign_digest(BytesView d, BytesView e, Rng& rng, BytesView inv_one_plus_d = {});
// Raw ciphertext of `plain` to the 65-byte public point with a nonce from rng, and its inverse
// with the 32-byte private scalar (errors as sm2_decrypt: bad_ciphertext, decryption_failed).
Result<Bytes> sm2_encrypt_to_point(BytesView public_point, BytesView plain, Rng& rng,
                                   Sm2CipherOrder order = Sm2CipherOrder::kC1C3C2);
Result<SecretBytes> sm2_decrypt_with_scalar(BytesView d, BytesView cipher,
                                            Sm2CipherOrder order = Sm2CipherOrder::kC1C3C2);

// (r, s) as raw r||s for digest e under private scalar d with nonce k, GB/T 32918.2 §6.1 A4-A6.
// Fails with "bad_nonce" when k gives r = 0, r + k = n or s = 0.
Result<Bytes> sm2_sign_digest_with_k(BytesView d, BytesView e, BytesView k);
// Verifies raw r||s (64 bytes) for the 32-byte digest e = SM3(Z_A ‖ M) under the 65-byte public
// point, GB/T 32918.2 §7.1 B1-B7 (B3-B4, the digest, are the caller's). For signers that only
// ever see the digest (the PIN cache signs for a client that hashed the message). Errors:
// bad_signature (any failed step, r or s out of range included), bad_digest_length, and the
// point errors of sm2_curve.h for the public point.
Status sm2_verify_digest(BytesView public_point, BytesView e, BytesView raw_signature);
// Raw ciphertext of `plain` to the public point with nonce k, GB/T 32918.4 §6.1.
Result<Bytes> sm2_encrypt_with_k(BytesView public_point, BytesView plain, BytesView k,
                                 Sm2CipherOrder order = Sm2CipherOrder::kC1C3C2);
// Steps B4-B7 of GB/T 32918.4 §7.1 given the shared point (x2, y2) = d·C1 (two-party decryption
// computes it without d). "decryption_failed" when t is all zero or C3 does not match.
// Constant time in the shared point and the plaintext (the outcome is declassified).
Result<SecretBytes> sm2_decrypt_with_shared_point(const sm2::Point& shared, const Sm2Ciphertext& c);

}  // namespace certseal::crypto
