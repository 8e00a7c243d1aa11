// A small DER writer (ITU-T X.690 §10) for the structures the CA signs itself: certificates,
// CRLs, OCSP responses and RFC 3161 tokens are assembled here and signed through pki::Signer, so
// the private key never has to be an OpenSSL EVP_PKEY in this process (it may live in an HSM).
//
// Contract: pure functions, thread-safe. Every function returns complete TLV encodings.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace certseal::pki::der {

// Tag bytes (X.690 §8.1.2).
inline constexpr std::uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04,
                              kNull = 0x05, kOid = 0x06, kEnumerated = 0x0a, kUtf8String = 0x0c,
                              kPrintableString = 0x13, kIa5String = 0x16, kUtcTime = 0x17,
                              kGeneralizedTime = 0x18, kSequence = 0x30, kSet = 0x31;
inline constexpr std::uint8_t context(int n, bool constructed) {
  return static_cast<std::uint8_t>(0x80 | (constructed ? 0x20 : 0) | n);
}

Bytes tlv(std::uint8_t tag, BytesView content);
Bytes seq(std::initializer_list<BytesView> parts);
Bytes seq_of(const std::vector<Bytes>& parts);
// SET OF with its elements sorted by their encodings (X.690 §11.6), as DER demands.
Bytes set_of(std::vector<Bytes> parts);
Bytes concat(std::initializer_list<BytesView> parts);
Bytes explicit_tag(int n, BytesView inner);  // [n] EXPLICIT
Bytes implicit(int n, bool constructed, BytesView content);
Bytes boolean(bool v);
Bytes null();
Bytes integer(std::int64_t v);
// A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, 0x00 added when
// the top bit is set).
Bytes integer_unsigned(BytesView magnitude);
Bytes enumerated(int v);
Bytes octet_string(BytesView v);
Bytes bit_string(BytesView v, int unused_bits = 0);
// A KeyUsage-style named bit string: bit 0 is the most significant bit of the first byte; trailing
// zero bits are removed (X.690 §11.2.2).
Bytes named_bits(std::uint32_t bits_lsb_first);
Result<Bytes> oid(std::string_view dotted);  // "1.2.156.10197.1.501"
Bytes oid_or_die(std::string_view dotted);     // for constants in our own code
Bytes utf8(std::string_view s);
Bytes ia5(std::string_view s);
Bytes printable(std::string_view s);
// UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5); seconds precision, "Z".
Bytes x509_time(SysTime t);
Bytes generalized_time(SysTime t);

// Reads one TLV from the front of `in`: tag, header length and content length. Errors
// (malformed_der) on truncation, lengths that do not fit, and what DER forbids or we never read:
// non-minimal or indefinite lengths, high tag numbers.
struct Tlv {
  std::uint8_t tag = 0;
  std::size_t header = 0;
  std::size_t length = 0;
  BytesView content(BytesView in) const { return in.subspan(header, length); }
  std::size_t total() const { return header + length; }
};
Result<Tlv> read_tlv(BytesView in);

}  // namespace certseal::pki::der
