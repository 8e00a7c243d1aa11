// The Document Security Store (ISO 32000-2 §12.8.4.3; ETSI EN 319 142-1 §5.4.2, PAdES B-LT): the
// certificates, CRLs and OCSP responses a verifier needs to validate a signature later without the
// network, added after the signature in an incremental update of its own.
//
//   /Root << … /DSS N 0 R >>
//   N 0 obj << /Type /DSS /Certs [s s …] /CRLs [s …] /OCSPs [s …]
//              /VRI << /<KEY> << /Cert [s …] /CRL [s …] /OCSP [s …] /TU (D:…) >> … >> >>
// where each s is a stream holding one DER certificate, CertificateList or OCSPResponse, and KEY is
// the upper-case hex SHA-1 of the signature's /Contents string (all its bytes, the zero padding
// included; EN 319 142-1 §5.4.2.2 / ISO 32000-2 §12.8.4.4).
//
// append_dss keeps what an earlier DSS holds (its streams are reused, its VRI entries carried
// over), writes a new DSS dictionary and the catalog with /DSS pointing at it, and nothing else: the
// bytes every earlier signature covers stay as they were, and a verifier sees only an allowed change
// (pdf_verifier.h).
//
// Contract: thread-safe for different files. Errors: pdf_unreadable, pdf_encrypted, pdf_damaged,
// io_error (kInternal).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

class QPDF;

namespace certseal::docsign {

struct ValidationData {
  std::vector<Bytes> certs;  // DER certificates
  std::vector<Bytes> crls;   // DER CertificateLists
  std::vector<Bytes> ocsps;  // DER OCSPResponses
  // Adds what `o` holds and this does not yet (byte for byte).
  void add(const ValidationData& o);
  bool empty() const { return certs.empty() && crls.empty() && ocsps.empty(); }
};

// What a signer's services give for one certificate (the signer's, or the time-stamp unit's): its
// issuers up to the root, the issuer's current CRL and an OCSP answer for it.
using ValidationFunction = std::function<Result<ValidationData>(BytesView cert)>;

// Upper-case hex SHA-1 of a signature's /Contents string.
std::string vri_key(BytesView signature_contents);

// Appends the DSS update to the PDF at `path` (in place). `signature_contents`: the /Contents string
// of the signature the VRI entry is for. `now` goes into the VRI's /TU.
Status append_dss(const std::string& path, BytesView signature_contents, const ValidationData& vd, SysTime now);

struct DssView {
  bool present = false;
  ValidationData all;                         // /Certs, /CRLs, /OCSPs
  std::map<std::string, ValidationData> vri;  // by upper-case key
};
// The DSS of an opened PDF (streams decoded). Never fails: what does not read is left out.
DssView read_dss(QPDF& q);

}  // namespace certseal::docsign
