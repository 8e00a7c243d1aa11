// RFC 3161 time-stamp protocol: request parsing and TimeStampResp assembly. The token is a CMS
// SignedData (RFC 5652 §5) over TSTInfo (RFC 3161 §2.4.2) with the signed attributes contentType,
// messageDigest and signingCertificateV2 (RFC 5816 / RFC 5035), signed through a Signer.
//
// Contract: pure functions; thread-safe. Accepted imprint hashes: SHA-256, SHA-384, SHA-512, SM3.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "pki/signer.h"

namespace certseal::pki {

// PKIFailureInfo bits (RFC 3161 §2.4.2).
enum class TsFailure { kBadAlg = 0, kBadRequest = 2, kBadDataFormat = 5, kUnacceptedPolicy = 15 };

struct TsRequest {
  Bytes message_imprint;       // MessageImprint DER as received
  std::optional<Bytes> nonce;  // INTEGER DER as received
  bool cert_req = false;
  std::optional<std::string> policy;  // dotted
};

// On a request we refuse, the error's code is "ts_bad_alg", "ts_bad_request",
// "ts_bad_data_format" or "ts_unaccepted_policy" (see ts_failure_of()).
Result<TsRequest> parse_ts_request(BytesView der, std::string_view our_policy);
TsFailure ts_failure_of(const Error& e);

struct TsTemplate {
  std::string policy;  // dotted
  Bytes serial;        // magnitude, unique per TSA
  SysTime gen_time;
  Bytes tsa_cert;      // DER of the TSA certificate
  Bytes tsa_issuer;    // issuer Name DER of the TSA certificate
  Bytes tsa_serial;    // serial magnitude of the TSA certificate
  std::vector<Bytes> extra_certs;  // chain certificates to include when certReq is set
};

Result<Bytes> sign_timestamp(const TsRequest& req, const TsTemplate& t, Signer& signer);
// A TimeStampResp with status rejection (2) and the failure bit.
Bytes ts_rejection(TsFailure f);

}  // namespace certseal::pki
