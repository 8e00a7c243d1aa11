// The two halves of pdf_signer.h for a service that keeps the document between them (in its
// database, while the user's device signs): scene 13 and the admin-transfer letter. The PDF goes in
// and comes out as bytes; the files pdf_signer.h works on live in a private temporary folder that
// is removed however we leave.
//
// With a TSA (a TimeStampReq DER in, a TimeStampResp DER out) the signature is PAdES B-T: prepare
// sizes the /Contents placeholder from a probe token of that TSA, and finish adds a token over the
// signature value. Without one, B-B. With a TSA and a ValidationFunction (dss.h), finish also
// appends the Document Security Store: B-LT.
//
// Contract: thread-safe. Errors: those of pdf_signer.h and page_preview.h; tsa_refused and
// cms_malformed from the TSA's answer; io_error (kInternal) for the temporary files.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "docsign/pdf_signer.h"
#include "docsign/pdf_verifier.h"

namespace certseal::docsign {

struct HeldPreparation {
  Bytes pdf;                           // the prepared file: the seal drawn, /Contents a placeholder
  Bytes signed_attributes;             // what the signer signs (pades_cms.h)
  std::uint64_t contents_offset = 0;   // as PreparedPdf
  std::size_t contents_capacity = 0;
  int first_page = 1;                  // the (first) page the seal is on
  Bytes preview_png;                   // that page rendered, when preview_dpi > 0
};

// count_pdf_pages (pdf_signer.h) of a PDF held in memory.
Result<int> count_held_pdf_pages(BytesView pdf);

// req.in_path and req.out_path are ignored (the temporary files are used); req.timestamp_reserve
// is replaced when tsa is given.
Result<HeldPreparation> prepare_held_pdf(BytesView pdf, PdfSignRequest req, const TsaFunction* tsa,
                                         double preview_dpi = 0);

// What finish needs besides the prepared bytes: the signer and what it signed.
struct HeldSigner {
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  Bytes signer_cert;                  // DER
  std::vector<Bytes> chain;           // issuers, nearest first
  Bytes signed_attributes;
  std::uint64_t contents_offset = 0;
  std::size_t contents_capacity = 0;
};

struct FinishedPdf {
  Bytes pdf;
  bool timestamped = false;  // B-T
  bool long_term = false;    // B-LT: the DSS was added
  std::string level() const { return long_term ? "PAdES-B-LT" : timestamped ? "PAdES-B-T" : "PAdES-B-B"; }
};

// Writes the CMS (signature over signer.signed_attributes, plus a time-stamp token when tsa is
// given) into the prepared file; with lt (and tsa) then the DSS, its VRI /TU at `now`. The
// signature is not checked here: callers verify it first. Errors: also bad_level (lt without tsa).
Result<FinishedPdf> finish_held_pdf(BytesView prepared, const HeldSigner& signer, BytesView signature,
                                    const TsaFunction* tsa, const ValidationFunction* lt = nullptr,
                                    SysTime now = {});

// verify_pdf (pdf_verifier.h) of a PDF held in memory.
Result<std::vector<PdfSignatureReport>> verify_held_pdf(BytesView pdf, const std::vector<Bytes>& trusted_roots);

// render_page_png (page_preview.h) of a PDF held in memory: page is 1-based, dpi 20..200.
Result<Bytes> render_held_pdf_page(BytesView pdf, int page, double dpi);

}  // namespace certseal::docsign
