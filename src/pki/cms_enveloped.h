// CMS EnvelopedData (RFC 5652 §6) to an SM2 certificate, assembled in DER by our own code: the
// content is encrypted with SM4-CBC (1.2.156.10197.1.104.2, a random 16-byte key and IV, PKCS#7
// padding) and the key transported to the recipient with SM2 encryption (1.2.156.10197.1.301.3;
// encryptedKey is the GM/T 0009 DER SM2Cipher SEQUENCE {x, y, hash, ciphertext}, which
// `openssl pkeyutl -decrypt` reads). One KeyTransRecipientInfo, identified by issuer and serial.
// Forms as for SignedData (cms_signed.h): kRfc5652 (id-envelopedData 1.2.840.113549.1.7.3,
// id-data) or kGmt0010 (1.2.156.10197.6.1.4.2.3, 1.2.156.10197.6.1.4.2.1).
//
// The recipient's two-party key unwraps the content key through the shield's decryption step
// (the device sends only a blinded point), so the content key never reaches the server.
//
// RSA recipients (international certificates, always kRfc5652): the content is encrypted with
// AES-256-CBC (2.16.840.1.101.3.4.1.42, RFC 3565) and the key transported with RSAES-OAEP
// (1.2.840.113549.1.1.7) with SHA-256 and MGF1-SHA-256 (RFC 4055 §4.1), which
// `openssl cms -decrypt` reads. Parsing also accepts what `openssl cms -encrypt` makes: key
// transport rsaEncryption (PKCS#1 v1.5) or OAEP with SHA-1 or SHA-256, content AES-128/192/256-CBC.
//
// EC (P-256) recipients (RFC 5753 key agreement, kRfc5652): one KeyAgreeRecipientInfo with an
// ephemeral originator key. Written: dhSinglePass-stdDH-sha256kdf-scheme (1.3.132.1.11.1), the
// X9.63 KDF with SHA-256 over ECC-CMS-SharedInfo, id-aes256-wrap (2.16.840.1.101.3.4.1.45),
// content AES-256-CBC; `openssl cms -decrypt` with an ordinary P-256 key opens it. Read: the
// stdDH schemes with SHA-1 (what `openssl cms -encrypt` 3.0 uses by default: with id-alg-CMS3DESwrap
// and DES-EDE3-CBC content), SHA-224/256/384/512; AES-128/192/256 key wrap or the 3DES wrap;
// content AES-CBC or DES-EDE3-CBC. The recipient computes Z = x·R (for a two-party key through the
// shield, crypto/ecdsa_split.h) and kari_unwrap() does the rest.
//
// AuthEnvelopedData (RFC 5083, id-ct-authEnvelopedData 1.2.840.113549.1.9.16.1.23) with AES-GCM
// (RFC 5084): the default for RSA and P-256 recipients (ContentEncryption::kAesGcm). Written:
// version 0, the same recipient info as above, id-aes256-GCM (2.16.840.1.101.3.4.1.46) with
// GCMParameters { aes-nonce 12 random octets, aes-ICVlen 16 } and the 16-byte tag in `mac`; no
// authAttrs or unauthAttrs (OpenSSL 3.0 releases before 3.0.21 do not authenticate authAttrs,
// so an envelope with them would not open everywhere). aes-ICVlen is DEFAULT 12: written only
// when it is not 12 (DER), read as 12 when absent. `openssl cms -decrypt` opens ours.
// Read: id-aes128/192/256-GCM; what the reader refuses (cms_malformed / cms_unsupported), a
// superset of what OpenSSL 3.0 refuses: a version other than 0; a nonce other than 12 octets
// (OpenSSL reads only 12); aes-ICVlen outside 12..16 or a `mac` of another length (OpenSSL
// takes a tag of any length from 1 byte, a forgery risk); no `mac`; a content type other than
// id-data; a CBC cipher in AuthEnvelopedData or GCM in EnvelopedData; unauthAttrs (content
// nobody authenticates). authAttrs, when present, are authenticated: their DER with the SET OF
// tag (0x31) in place of [1] is the GCM additional data (RFC 5083 §2.2), so a changed attribute
// fails the tag; a content-type attribute in them must name id-data. open_content() releases
// the plaintext only when the tag verifies.
//
// Contract: pure functions apart from the Rng; thread-safe when the Rng is.
#pragma once

#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/key_wrap.h"
#include "pki/cms_signed.h"

namespace certseal::pki::cms {

// How content to an RSA or P-256 certificate is encrypted: AES-256-GCM in AuthEnvelopedData
// (the default) or AES-256-CBC in EnvelopedData (for relying parties that ask for it). SM2
// recipients always get SM4-CBC EnvelopedData, whichever is asked.
enum class ContentEncryption { kAesGcm, kAesCbc };
std::string_view content_encryption_name(ContentEncryption c);  // "aes-256-gcm", "aes-256-cbc"
std::optional<ContentEncryption> content_encryption_from_name(std::string_view name);

// Errors: bad_certificate, unsupported_recipient (not an SM2, RSA or P-256 key).
Result<Bytes> enveloped_data(Form form, BytesView recipient_certificate, BytesView content, Rng& rng,
                             ContentEncryption encryption = ContentEncryption::kAesGcm);

// GCMParameters (RFC 5084 §3.2) DER: { aes-nonce, aes-ICVlen } with aes-ICVlen left out when 12
// (its DEFAULT).
Bytes gcm_parameters(BytesView nonce, std::size_t icv_len);

enum class KeyTransport { kSm2, kRsaPkcs1, kRsaOaepSha1, kRsaOaepSha256, kEcdh };
// AES key size from the algorithm OID; kAesGcm only in AuthEnvelopedData.
enum class ContentCipher { kSm4Cbc, kAesCbc, kDes3Cbc, kAesGcm };
enum class KeyWrap { kAes128, kAes192, kAes256, kCms3Des };

struct Enveloped {
  Form form = Form::kRfc5652;
  KeyTransport key_transport = KeyTransport::kSm2;
  ContentCipher cipher = ContentCipher::kSm4Cbc;
  std::size_t content_key_size = 16;         // 16 for SM4; 16, 24 or 32 for AES
  Bytes recipient_issuer, recipient_serial;  // Name DER, serial magnitude
  Bytes encrypted_key;                       // GM/T 0009 DER SM2 ciphertext, the RSA block, or the wrapped key
  Bytes iv, encrypted_content;  // kAesGcm: iv is the 12-byte nonce
  // AuthEnvelopedData (cipher kAesGcm): the tag length (aes-ICVlen), the tag (`mac`, icv_len
  // bytes) and the additional data (authAttrs re-tagged as a SET OF; empty when absent).
  bool authenticated = false;
  std::size_t icv_len = 0;
  Bytes mac, aad;
  // kEcdh only: the originator's ephemeral point (65 bytes), the user keying material (may be
  // empty), the KDF's hash, the key wrap and its AlgorithmIdentifier DER (for the SharedInfo).
  Bytes originator_point, ukm;
  crypto::KdfHash kdf = crypto::KdfHash::kSha256;
  KeyWrap wrap = KeyWrap::kAes256;
  Bytes wrap_algorithm;
};
// Errors: cms_malformed, cms_unsupported (other algorithms or several recipients).
Result<Enveloped> parse_enveloped(BytesView der);
// The content, with the content key the recipient unwrapped (content_key_size bytes); for
// AuthEnvelopedData only when the GCM tag verifies over the content and authAttrs.
// Errors: decryption_failed.
Result<Bytes> open_content(const Enveloped& e, BytesView content_key);
// kEcdh: the content key from the shared secret Z (x coordinate of x·R, 32 bytes): the X9.63 KDF
// over ECC-CMS-SharedInfo (RFC 5753 §7.2) and the key unwrap. Errors: decryption_failed,
// cms_unsupported (not a key agreement envelope).
Result<SecretBytes> kari_unwrap(const Enveloped& e, BytesView z);

}  // namespace certseal::pki::cms
