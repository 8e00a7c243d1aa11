// An OFD package (GB/T 33190-2016 §7): the ZIP's files by path, and what the signer and the
// verifier need from its XML: the main document (OFD.xml's first DocBody: DocRoot and
// Signatures), its pages (Document.xml's Pages: ID and BaseLoc) and the page size
// (CommonData/PageArea/PhysicalBox, else the page's own Area).
//
// Paths: in the package, paths have no leading "/" (ZIP names). In OFD's XML a location is
// absolute ("/Doc_0/Signs/Sign_0/Signature.xml", from the package root) or relative to the
// folder of the file that names it (GB/T 33190 §7.5: ST_Loc); resolve_loc() turns either into a
// package path and refuses anything that would leave the package ("..", empty segments).
//
// Contract: values; thread-compatible. Errors (kInvalidArgument): the ZIP reader's (ofd_zip.h);
// ofd_not_ofd (no OFD.xml, or its root is not ofd:OFD), ofd_bad_xml, ofd_bad_document (no
// DocBody/DocRoot, a location that does not resolve, no pages, a page without ID or BaseLoc, a
// referenced file that is missing).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "docsign/ofd_zip.h"

namespace certseal::docsign {

struct OfdPackage {
  std::vector<ZipEntry> files;  // in ZIP order; names as in the ZIP

  const Bytes* find(std::string_view path) const;
  void put(std::string path, Bytes data);  // replaces a file of that path, else appends
};

// Does this look like an OFD (a ZIP whose entries include OFD.xml)? By content, cheap: the ZIP
// signature at the start and "OFD.xml" among the first bytes of the central directory names.
bool sniff_ofd(BytesView data);

Result<OfdPackage> read_ofd(BytesView data, const ZipLimits& limits = {});
Result<Bytes> write_ofd(const OfdPackage& pkg);

// ST_Loc `loc` as written in the file at package path `base_file`, as a package path.
Result<std::string> resolve_loc(std::string_view base_file, std::string_view loc);

struct OfdPage {
  std::string id;    // ST_ID as written
  std::string path;  // the page's Content.xml, package path
};

struct OfdDocument {
  std::string doc_root;         // e.g. "Doc_0/Document.xml"
  std::string signatures_path;  // e.g. "Doc_0/Signs/Signatures.xml"; empty when not signed yet
  std::vector<OfdPage> pages;
  double page_width_mm = 210, page_height_mm = 297;  // the document's default PhysicalBox
};

Result<OfdDocument> read_ofd_document(const OfdPackage& pkg);

// Signatures.xml (GB/T 33190 §18.1): its entries in order and MaxSignId. A missing file gives an
// empty list. Errors: ofd_bad_xml, ofd_bad_document (an entry without ID or BaseLoc, a BaseLoc
// that does not resolve, more than 1000 entries).
struct OfdSignatureEntry {
  std::string id;
  std::string type;  // "Seal" or "Sign"
  std::string path;  // its Signature.xml, package path
};
struct OfdSignatureList {
  std::vector<OfdSignatureEntry> entries;
  long long max_sign_id = 0;
};
Result<OfdSignatureList> read_signature_list(const OfdPackage& pkg, const std::string& signatures_path);

}  // namespace certseal::docsign
