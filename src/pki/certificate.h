// X.509 v3 certificates (RFC 5280 §4.1) assembled in DER and signed through a Signer.
//
// Contract: pure functions over their arguments; thread-safe. Names are built with OpenSSL's
// X509_NAME (UTF8String values, RFC 5280 §4.1.2.4) and given here as DER.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "pki/signer.h"

namespace certseal::pki {

// KeyUsage bits (RFC 5280 §4.2.1.3), bit n = 1u << n.
enum KeyUsageBit : std::uint32_t {
  kDigitalSignature = 1u << 0,
  kNonRepudiation = 1u << 1,
  kKeyEncipherment = 1u << 2,
  kDataEncipherment = 1u << 3,
  kKeyAgreement = 1u << 4,
  kKeyCertSign = 1u << 5,
  kCrlSign = 1u << 6,
};

// Well-known OIDs.
inline constexpr std::string_view kOidEkuServerAuth = "1.3.6.1.5.5.7.3.1";
inline constexpr std::string_view kOidEkuClientAuth = "1.3.6.1.5.5.7.3.2";
inline constexpr std::string_view kOidEkuEmailProtection = "1.3.6.1.5.5.7.3.4";
inline constexpr std::string_view kOidEkuTimeStamping = "1.3.6.1.5.5.7.3.8";
inline constexpr std::string_view kOidEkuOcspSigning = "1.3.6.1.5.5.7.3.9";
// GM/T 0015-2012 §6.3 private extensions (个人身份标识码, 组织机构代码/统一社会信用代码).
inline constexpr std::string_view kOidIdentifyCode = "1.2.156.10260.4.1.1";
inline constexpr std::string_view kOidOrganizationCode = "1.2.156.10260.4.1.4";
// Our certificate-policy arc (a private enterprise arc placeholder; see docs/PKI.md).
inline constexpr std::string_view kOidPolicyBase = "1.3.6.1.4.1.61234.1";

struct NameEntry {
  std::string type;   // OpenSSL short name or dotted OID: "C", "O", "OU", "CN", "serialNumber", "2.5.4.97"
  std::string value;  // UTF-8
};
Result<Bytes> name_der(const std::vector<NameEntry>& entries);
// RFC 2253-style one-line text of a Name in DER (for storage and display).
std::string name_text(BytesView name_der);
// True when the bytes are exactly one DER X.509 Name (for names read from messages, e.g. a CMS
// recipient's issuer, before they are compared with a certificate's).
bool is_name_der(BytesView der);

struct Extension {
  std::string oid;
  bool critical = false;
  Bytes value;  // the DER that goes inside the extnValue OCTET STRING
};

struct CertTemplate {
  Bytes serial;  // big-endian magnitude, positive, at most 20 bytes (RFC 5280 §4.1.2.2)
  SysTime not_before, not_after;
  Bytes issuer;   // Name DER
  Bytes subject;  // Name DER
  Bytes spki;     // SubjectPublicKeyInfo DER
  bool is_ca = false;
  int path_len = -1;           // -1: absent
  std::uint32_t key_usage = 0;  // KeyUsageBit set; 0: no extension
  std::vector<std::string> ext_key_usage;
  bool eku_critical = false;
  Bytes authority_key_id;  // issuer's key identifier; empty for a self-signed root
  std::string crl_url;     // CRL distribution point (RFC 5280 §4.2.1.13)
  std::string ocsp_url;    // AIA id-ad-ocsp (§4.2.2.1)
  std::string ca_issuers_url;  // AIA id-ad-caIssuers
  std::vector<std::string> policies;  // certificate policies (§4.2.1.4)
  bool ocsp_no_check = false;         // id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)
  std::vector<Extension> extra;
};

// Key identifier: SHA-1 of the subjectPublicKey BIT STRING value (RFC 5280 §4.2.1.2 method 1).
Result<Bytes> key_identifier(BytesView spki_der);
// The subjectPublicKey bits (for OCSP issuerKeyHash, RFC 6960 §4.1.1).
Result<Bytes> public_key_bits(BytesView spki_der);

// TBSCertificate DER (for tests) and the signed Certificate DER.
Result<Bytes> tbs_certificate(const CertTemplate& t, SigAlg alg);
Result<Bytes> issue_certificate(const CertTemplate& t, Signer& signer);

// Facts read back from a certificate DER.
struct CertFacts {
  Bytes serial;       // magnitude
  Bytes issuer;       // Name DER
  Bytes subject;      // Name DER
  Bytes spki;
  SysTime not_before, not_after;
};
Result<CertFacts> read_certificate(BytesView der);

}  // namespace certseal::pki
