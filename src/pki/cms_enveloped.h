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
// Contract: pure functions apart from the Rng; thread-safe when the Rng is.
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "pki/cms_signed.h"

namespace certseal::pki::cms {

// Errors: bad_certificate, unsupported_recipient (not an SM2 key).
Result<Bytes> enveloped_data(Form form, BytesView recipient_certificate, BytesView content, Rng& rng);

struct Enveloped {
  Form form = Form::kRfc5652;
  Bytes recipient_issuer, recipient_serial;  // Name DER, serial magnitude
  Bytes encrypted_key;                       // GM/T 0009 DER SM2 ciphertext
  Bytes iv, encrypted_content;
};
// Errors: cms_malformed, cms_unsupported (other algorithms or several recipients).
Result<Enveloped> parse_enveloped(BytesView der);
// The content, with the content key the recipient unwrapped. Errors: decryption_failed.
Result<Bytes> open_content(const Enveloped& e, BytesView content_key);

}  // namespace certseal::pki::cms
