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
// Contract: pure functions apart from the Rng; thread-safe when the Rng is.
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "pki/cms_signed.h"

namespace certseal::pki::cms {

// Errors: bad_certificate, unsupported_recipient (not an SM2 or RSA key).
Result<Bytes> enveloped_data(Form form, BytesView recipient_certificate, BytesView content, Rng& rng);

enum class KeyTransport { kSm2, kRsaPkcs1, kRsaOaepSha1, kRsaOaepSha256 };
enum class ContentCipher { kSm4Cbc, kAesCbc };  // AES key size from the algorithm OID

struct Enveloped {
  Form form = Form::kRfc5652;
  KeyTransport key_transport = KeyTransport::kSm2;
  ContentCipher cipher = ContentCipher::kSm4Cbc;
  std::size_t content_key_size = 16;         // 16 for SM4; 16, 24 or 32 for AES
  Bytes recipient_issuer, recipient_serial;  // Name DER, serial magnitude
  Bytes encrypted_key;                       // GM/T 0009 DER SM2 ciphertext, or the RSA block
  Bytes iv, encrypted_content;
};
// Errors: cms_malformed, cms_unsupported (other algorithms or several recipients).
Result<Enveloped> parse_enveloped(BytesView der);
// The content, with the content key the recipient unwrapped (content_key_size bytes).
// Errors: decryption_failed.
Result<Bytes> open_content(const Enveloped& e, BytesView content_key);

}  // namespace certseal::pki::cms
