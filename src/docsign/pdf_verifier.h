// Checks every signature in a PDF and says, for each, what a relying party needs to know: who
// signed (and with which seal), when (claimed /M and, for B-T, the time-stamp's time), whether the
// signed bytes are intact, whether the certificate chained to a trusted root and was valid at that
// time, and whether what was appended after the signature is only what incremental signing may
// add (ISO 32000-1 §12.8.2.2's "allowed changes" for signing: new signature fields and widgets,
// the /Annots and /AcroForm entries that list them, a DSS).
//
// Long-term validation data: with a DSS, its certificates also serve to build paths, and its CRLs
// and OCSP responses (the VRI entry's and the store's) are checked against the signer's issuer at the
// time-stamp time (else /M); no network is used. Embedded data saying the certificate was revoked then
// makes the signature not valid; data that does not check out is not used and is reported
// (revocation_problem), the level then stays B-T.
//
// How: the signature fields are found through the catalog's /AcroForm (qpdf); each /ByteRange must
// start at 0, leave out exactly the /Contents hex string, and end where its revision's %%EOF ends.
// The ranges are hashed from the file in pieces. For a signature that does not cover the whole
// file, the signed revision is opened on its own and compared object by object with the final
// one.
//
// Contract: thread-safe for different files. Errors (the file as a whole): pdf_unreadable,
// pdf_encrypted, io_error. A signature that is broken is reported in its entry, not as an error.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "pki/signer.h"

namespace certseal::docsign {

struct PdfSignatureReport {
  std::string field_name;
  std::string sub_filter;             // e.g. "ETSI.CAdES.detached"
  std::string signer;                 // the certificate's subject, one line
  Bytes signer_cert;
  std::optional<pki::SigAlg> alg;
  std::optional<SysTime> claimed_time;    // /M
  std::optional<SysTime> timestamp_time;  // B-T genTime (only when the token checks out)
  bool has_timestamp = false;
  bool timestamp_valid = false;
  bool bytes_intact = false;          // the byte ranges' digest matches the signed one
  bool signature_valid = false;       // the CMS signature verifies under the signer's key
  bool signing_certificate_bound = false;  // signing-certificate-v2 names this certificate (required
                                           // for ETSI.CAdES.detached only)
  bool certificate_trusted = false;   // chains to a given root
  bool certificate_valid_then = false;    // at the time-stamp time, else at /M
  std::string certificate_problem;
  bool covers_whole_file = false;
  bool later_changes_allowed = false; // true also when nothing came after
  std::string later_changes;          // what changed after, when not allowed
  Bytes seseal;                       // /CertSeal.SESeal when present
  // PAdES level (ETSI EN 319 142-1 §6): "B-B"; "B-T" with a valid time stamp; "B-LT" when, besides,
  // the Document Security Store (dss.h) holds revocation data for the signer's certificate that
  // checks out (revocation_data.h) and says it was not revoked at the time-stamp time.
  std::string level;
  bool dss_present = false;           // the file has a DSS
  bool vri_present = false;           // with a VRI entry for this signature
  std::string revocation_status;      // from the embedded data: "good", "revoked" (at that time), "" (none counted)
  std::string revocation_source;      // "ocsp", "crl", "ocsp+crl"
  std::optional<SysTime> revoked_at;  // when the embedded data names a revocation (also a later one)
  std::string revocation_problem;     // embedded data that was not used, and why: always what is bad
                                      // on its own (a forged signature, an unauthorised responder);
                                      // data about other certificates or from other issuers only
                                      // when nothing counted (a DSS serves every signature)
  std::string problem;                // the first reason this signature is not good, English
  std::uint64_t revision_end = 0;
  bool ok() const {
    return bytes_intact && signature_valid && (signing_certificate_bound || sub_filter != "ETSI.CAdES.detached") &&
           certificate_trusted &&
           certificate_valid_then && later_changes_allowed && (!has_timestamp || timestamp_valid);
  }
};

Result<std::vector<PdfSignatureReport>> verify_pdf(const std::string& path, const std::vector<Bytes>& trusted_roots);

}  // namespace certseal::docsign
