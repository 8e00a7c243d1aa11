// Checks every signature of an OFD package (GB/T 33190 §18, data per GB/T 38540) and says, for
// each: who signed (the certificate in SignedValue.dat), with which seal (its name and id, and
// whether the seal maker's signature holds), when (TBS_Sign.timeInfo), whether every file its
// References name is present with the same SM3 digest, whether TBS_Sign.dataHash is the SM3 of its
// Signature.xml and propertyInfo names that file, whether the SM2 signature over TBS_Sign verifies
// under the certificate (default ID), whether the certificate chains to a given root and was valid
// at timeInfo (cert_path.h, as for PDF), and which files of the package the signature does not
// cover although it should (uncovered_files).
//
// What a signature need not cover: Signatures.xml, its own Signature.xml and SignedValue.dat, and
// the Signature.xml / SignedValue.dat / Seal.esl of the other signatures listed in Signatures.xml
// that stand on their own — signature, dataHash and seal intact, certificate trusted (later
// signatures: ofd_signer.h). A made-up signature does not excuse its files. Anything else it does not cover —
// a file added after it (a new page or picture) — is listed in uncovered_files, and the signature
// is then not ok(): the document shows something the signer did not sign.
//
// There is no embedded revocation data in an OFD signature; revocation is not checked here.
//
// Contract: pure function, thread-safe. Errors (the package as a whole): those of read_ofd and
// read_ofd_document and read_signature_list (ofd_package.h). A broken signature is reported in
// its entry, not as an error. A package without signatures gives an empty list.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "docsign/ofd_zip.h"

namespace certseal::docsign {

struct OfdSignatureReport {
  std::string id;               // Signatures.xml's ID
  std::string type;             // "Seal" / "Sign"
  std::string signature_path;   // its Signature.xml
  std::string signer;           // the certificate's subject, one line
  Bytes signer_cert;
  std::string seal_name, seal_id;
  bool seal_valid = false;      // the SESeal parses and its maker's signature verifies
  bool seal_file_matches = false;  // Seal.esl (when named) holds the same SESeal as TBS_Sign
  std::optional<SysTime> time;  // TBS_Sign.timeInfo
  std::string page_ref;         // StampAnnot's PageRef
  bool page_found = false;      // ... names a page of the document
  bool references_intact = false;  // every Reference's CheckValue matches its file
  std::vector<std::string> changed_files;    // referenced files that differ or are missing
  std::vector<std::string> uncovered_files;  // files present that it should cover and does not
  bool data_hash_matches = false;  // dataHash == SM3(Signature.xml), propertyInfo names it
  bool signature_valid = false;    // SM2 over TBS_Sign under the certificate
  bool certificate_trusted = false;
  bool certificate_valid_then = false;
  std::string certificate_problem;
  std::string problem;             // the first reason this signature is not good, English
  bool ok() const {
    return seal_valid && seal_file_matches && page_found && references_intact && uncovered_files.empty() &&
           data_hash_matches && signature_valid && certificate_trusted && certificate_valid_then;
  }
};

Result<std::vector<OfdSignatureReport>> verify_ofd(BytesView ofd, const std::vector<Bytes>& trusted_roots,
                                                   const ZipLimits& limits = {});

}  // namespace certseal::docsign
