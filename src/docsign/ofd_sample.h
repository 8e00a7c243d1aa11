// A small, valid OFD (GB/T 33190) written by our own code: one page per text given, A4, each page
// showing its text in one TextObject with the font 宋体. For tests, the fuzz seeds and demos:
//
//   OFD.xml                         ofd:OFD, one DocBody: DocInfo (DocID, CreationDate), DocRoot
//   Doc_0/Document.xml              CommonData (MaxUnitID, PageArea 0 0 210 297, PublicRes), Pages
//   Doc_0/PublicRes.xml             Fonts: one Font (ID 2)
//   Doc_0/Pages/Page_K/Content.xml  Content/Layer/TextObject (Boundary, Font, Size)/TextCode
//
// Contract: pure function. Errors: zip_too_large (more than 1000 pages).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::docsign {

Result<Bytes> make_sample_ofd(const std::vector<std::string>& page_texts);

}  // namespace certseal::docsign
