// Signs a PDF with a visible seal as an incremental update (ISO 32000-1 §7.5.6), so that the
// bytes already there — and every earlier signature over them — stay as they were.
//
// What is appended: a signature dictionary (/Filter /Adobe.PPKLite, /SubFilter
// /ETSI.CAdES.detached, /ByteRange, /Contents, /M, /Name, /Reason), a signature field whose
// widget(s) show the seal picture as their normal appearance, the page(s) with the widget added to
// /Annots, the catalog's /AcroForm with the field added and /SigFlags 3, and a cross-reference
// section of the same kind as the file's last one (table or stream) with /Prev pointing at it.
// The CMS in /Contents is pades_cms.h's (PAdES B-B; B-T with a time stamp). B-LT adds, after the
// signature, a second incremental update with the Document Security Store (dss.h): the signer's
// and the time-stamp unit's chains, CRLs and OCSP answers, and a VRI entry for this signature.
//
// Placement (coordinates in mm from the top-left corner of the page's crop box; the page's
// /Rotate is not applied):
//   kPosition  the seal's top-left corner at (x_mm, y_mm) on page `page` (1-based).
//   kKeyword   the seal centred on the first place where `keyword` is written on page `page`
//              (0: the first page that has it), found with poppler's text extraction.
//   kStraddle  骑缝章: the seal cut into as many vertical strips as the document has pages,
//              strip i shown at the right edge of page i, its top at y_mm; laid edge to edge the
//              pages show the whole seal. One signature field with a widget per page.
//
// The seal's GB/T 38540 data (SESeal DER), when given, is written into the signature dictionary
// as /CertSeal.SESeal (a byte string); that dictionary lies inside the byte ranges, so the
// signature covers it. docs/SEALS.md says which readers look at it (only ours today).
//
// The two halves of the signature are apart so the signing key can be elsewhere (the two-party
// shield): prepare() writes the output file with a /Contents placeholder and returns the signed
// attributes to sign; finish() writes the CMS into the placeholder. sign_pdf() does both with a
// callback.
//
// Memory: the input file is read by qpdf on demand and copied to the output in 1 MiB pieces while
// its digest is computed; it is never held whole. The /Contents placeholder is sized from the
// real chain, the largest signature the key can give and, with a TSA, the size of a probe token
// from that TSA (+ a margin), so it neither overflows nor wastes much.
//
// Contract: functions are thread-safe for different output files. Errors (kInvalidArgument unless
// said): pdf_unreadable, pdf_encrypted, pdf_damaged (qpdf had to repair the file: an update on top
// of a repaired file would not mean what it shows), bad_page, keyword_not_found, bad_placement,
// bad_certificate, bad_image/unreadable_image/image_too_large, signature_too_large (the CMS did
// not fit: an internal error, the placeholder sizing is wrong), io_error (kInternal).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "docsign/dss.h"
#include "pki/signer.h"

namespace certseal::docsign {

struct SealPlacement {
  enum class Kind { kPosition, kKeyword, kStraddle };
  Kind kind = Kind::kPosition;
  int page = 1;            // 1-based; kKeyword: 0 = search every page
  double x_mm = 20, y_mm = 20;
  double width_mm = 40;    // the seal's width; its height follows the picture's aspect
  std::string keyword;     // kKeyword
};

struct PdfSignRequest {
  std::string in_path, out_path;  // must differ
  SealPlacement placement;
  Bytes seal_png;                 // the appearance (transparent PNG)
  Bytes seseal;                   // GB/T 38540 SESeal DER, optional
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  Bytes signer_cert;              // DER
  std::vector<Bytes> chain;       // issuers, nearest first (DER)
  SysTime signing_time;           // goes into /M
  std::string signer_name;        // /Name
  std::string reason;             // /Reason
  std::string field_name;         // empty: "Signature<object number>"
  std::size_t timestamp_reserve = 0;  // bytes reserved for a B-T token (0: B-B only)
};

struct PreparedPdf {
  std::string out_path;
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  Bytes signer_cert;
  std::vector<Bytes> chain;
  Bytes byte_range_digest;          // SM3 or SHA-256 over the byte ranges
  Bytes signed_attributes;          // what the signer signs
  std::uint64_t contents_offset = 0;    // file offset of the first hex digit in /Contents
  std::size_t contents_capacity = 0;    // bytes of DER that fit
  std::vector<std::uint64_t> byte_range;  // the four numbers
  int first_page = 1;                     // the (first) page the seal is on, 1-based
};

Result<PreparedPdf> prepare_pdf_signature(const PdfSignRequest& req);

// How many pages the PDF has, refusing what prepare would refuse (pdf_unreadable, pdf_encrypted,
// pdf_damaged): to check a document when it is handed in.
Result<int> count_pdf_pages(const std::string& path);

// Writes the CMS (with the time-stamp token when given) into the placeholder. contents_out, when
// given, receives the whole /Contents string (the CMS and its zero padding: what a VRI key hashes).
// Errors: signature_too_large, io_error.
Status finish_pdf_signature(const PreparedPdf& p, BytesView signature, std::optional<BytesView> timestamp_token,
                            Bytes* contents_out = nullptr);

// B-LT, after finish: asks `lt` for the validation data of the signer's certificate and (with a
// token) of the time-stamp unit's, and appends the DSS to p.out_path (dss.h). `now`: the VRI's /TU.
// Errors: those of lt, of the token (cms_malformed) and of append_dss.
Status add_long_term_data(const std::string& path, const Bytes& signer_cert, std::optional<BytesView> timestamp_token,
                          BytesView contents, const ValidationFunction& lt, SysTime now);

using SignFunction = std::function<Result<Bytes>(BytesView signed_attributes)>;
// A TimeStampReq DER in, a TimeStampResp DER out (our TSA's /tsa, or in-process).
using TsaFunction = std::function<Result<Bytes>(BytesView timestamp_request)>;

// prepare, sign, (time-stamp over the signature value: B-T), finish, (the DSS: B-LT, only with a
// TSA). With a TSA, a probe token is requested first to size the placeholder (timestamp_reserve is
// then ignored). Errors: also bad_level (lt without tsa: B-LT is B-T plus the DSS).
Result<PreparedPdf> sign_pdf(PdfSignRequest req, const SignFunction& sign, const TsaFunction* tsa = nullptr,
                             const ValidationFunction* lt = nullptr);

}  // namespace certseal::docsign
