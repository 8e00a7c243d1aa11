// Signs an OFD package with an electronic seal per GB/T 33190-2016 §18, the signature data being a
// GB/T 38540-2020 SES_Signature (ofd_ses_signature.h). docs/DOCSIGN.md ("OFD") shows the files.
//
// What is added or changed, for the N-th signature of a document whose DocRoot is Doc_0/Document.xml:
//   OFD.xml                       DocBody gets <ofd:Signatures>Doc_0/Signs/Signatures.xml</…> (first
//                                 signature only; afterwards OFD.xml is left as it is)
//   Doc_0/Signs/Signatures.xml    rewritten: MaxSignId and one <ofd:Signature ID Type="Seal" BaseLoc>
//                                 per signature, the earlier ones kept
//   Doc_0/Signs/Sign_K/Seal.esl   the SESeal (seal/seseal.h) as given
//   Doc_0/Signs/Sign_K/Signature.xml
//                                 SignedInfo: Provider, SignatureMethod 1.2.156.10197.1.501,
//                                 SignatureDateTime, References (CheckMethod 1.2.156.10197.1.401 = SM3)
//                                 with one Reference per file of the package, StampAnnot (PageRef,
//                                 Boundary in mm from the page's top-left), Seal/BaseLoc; SignedValue
//   Doc_0/Signs/Sign_K/SignedValue.dat
//                                 SES_Signature: TBS_Sign{4, the SESeal, time, SM3(Signature.xml),
//                                 "/Doc_0/Signs/Sign_K/Signature.xml"}, the signer's certificate,
//                                 SM2-with-SM3 and the signature over the DER of TBS_Sign
// The references cover every file present when signing, this signature's Seal.esl and the updated
// OFD.xml included, except Signatures.xml (every later signature rewrites it) and this
// signature's own Signature.xml and SignedValue.dat (the first holds the references, the second
// the signature over the first's digest). Files of earlier signatures are covered; a later
// signature adds only files under its own Sign_K folder and rewrites Signatures.xml, so earlier
// signatures stay valid.
//
// Two halves, for the two-party signature: prepare_ofd_signature() returns the TBS_Sign DER to
// sign; finish_ofd_signature() takes the same request (prepare is deterministic: same request,
// same bytes) and the DER SM2 signature, and returns the signed package. sign_ofd() does both.
//
// Contract: pure functions, thread-safe. Errors (kInvalidArgument): those of read_ofd and
// read_ofd_document (ofd_package.h); ofd_needs_sm2 (the certificate's key is not SM2: GB/T 38540
// signatures are SM2); bad_certificate; bad_seal_data (not a v4 SESeal); bad_page; bad_placement
// (the seal would not lie inside the page, or its width is not 5–200 mm); ofd_signature_mismatch
// (finish: the request no longer gives the bytes that were signed); the signer's errors.
#pragma once

#include <functional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "docsign/ofd_package.h"

namespace certseal::docsign {

struct OfdSignRequest {
  Bytes ofd;                   // the package as received
  int page = 1;                // 1-based, in Document.xml's Pages order
  double x_mm = 20, y_mm = 20; // the seal's top-left corner, from the page's top-left
  double width_mm = 0;         // 0: the seal picture's own width; the height keeps its aspect
  Bytes seseal;                // the seal (v4 SESeal DER)
  Bytes signer_cert;           // DER, SM2 key
  SysTime signing_time{};
  std::string provider = "CertSeal";
};

struct PreparedOfd {
  OfdPackage package;          // without SignedValue.dat yet
  std::string signature_path;  // "Doc_0/Signs/Sign_K/Signature.xml"
  std::string signed_value_path;
  Bytes tbs_sign;              // sign this (SM2, SM3, default ID)
  int page = 1;
};

Result<PreparedOfd> prepare_ofd_signature(const OfdSignRequest& req);

// Errors: ofd_signature_mismatch when `tbs_sign` (what was signed) is not what the request gives
// now; those of prepare.
Result<Bytes> finish_ofd_signature(const OfdSignRequest& req, BytesView tbs_sign, BytesView signature);

// A prepared package held between the two halves (scene 13 keeps it in the database): the ZIP of
// PreparedOfd::package, and its completion. finish_held_ofd() finds the newest signature (the last
// entry of Signatures.xml), checks that its SignedValue.dat is still missing and that `tbs_sign`
// has dataHash = SM3 of that Signature.xml, and writes the SES_Signature.
// Errors: ofd_signature_mismatch; those of read_ofd/read_ofd_document/read_signature_list.
Result<Bytes> hold_prepared_ofd(const PreparedOfd& p);
Result<Bytes> finish_held_ofd(BytesView held, BytesView signer_cert, BytesView tbs_sign, BytesView signature);

Result<Bytes> sign_ofd(const OfdSignRequest& req, const std::function<Result<Bytes>(BytesView tbs)>& sign);

}  // namespace certseal::docsign
