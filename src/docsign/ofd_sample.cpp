#include "docsign/ofd_sample.h"

#include "docsign/ofd_xml.h"
#include "docsign/ofd_zip.h"

namespace certseal::docsign {
namespace {

constexpr std::string_view kHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

Result<Bytes> make_sample_ofd(const std::vector<std::string>& page_texts) {
  if (page_texts.size() > 1000) return invalid_argument("zip_too_large", "页数过多");
  const std::string ns = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";
  std::vector<ZipEntry> files;
  files.push_back({"OFD.xml", text(std::string(kHead) + "<ofd:OFD " + ns +
                                   " Version=\"1.0\" DocType=\"OFD\">\n  <ofd:DocBody>\n    <ofd:DocInfo>\n"
                                   "      <ofd:DocID>6f66645f73616d706c655f30303030303031</ofd:DocID>\n"
                                   "      <ofd:CreationDate>2026-11-30</ofd:CreationDate>\n"
                                   "      <ofd:Creator>CertSeal</ofd:Creator>\n    </ofd:DocInfo>\n"
                                   "    <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>\n  </ofd:DocBody>\n</ofd:OFD>\n")});
  std::string pages;
  int next_id = 3;  // 1: reserved, 2: the font
  for (std::size_t i = 0; i < page_texts.size(); ++i) {
    const int page_id = next_id++, layer_id = next_id++, text_id = next_id++;
    pages += "    <ofd:Page ID=\"" + std::to_string(page_id) + "\" BaseLoc=\"Pages/Page_" + std::to_string(i) +
             "/Content.xml\"/>\n";
    files.push_back({"Doc_0/Pages/Page_" + std::to_string(i) + "/Content.xml",
                     text(std::string(kHead) + "<ofd:Page " + ns + ">\n  <ofd:Content>\n    <ofd:Layer ID=\"" +
                          std::to_string(layer_id) + "\">\n      <ofd:TextObject ID=\"" + std::to_string(text_id) +
                          "\" Boundary=\"20 30 170 12\" Font=\"2\" Size=\"6\">\n"
                          "        <ofd:FillColor Value=\"0 0 0\"/>\n        <ofd:TextCode X=\"0\" Y=\"8\">" +
                          xml_escape(page_texts[i]) +
                          "</ofd:TextCode>\n      </ofd:TextObject>\n    </ofd:Layer>\n  </ofd:Content>\n</ofd:Page>\n")});
  }
  files.insert(files.begin() + 1,
               {"Doc_0/Document.xml",
                text(std::string(kHead) + "<ofd:Document " + ns + ">\n  <ofd:CommonData>\n    <ofd:MaxUnitID>" +
                     std::to_string(next_id - 1) +
                     "</ofd:MaxUnitID>\n    <ofd:PageArea>\n      <ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>\n"
                     "    </ofd:PageArea>\n    <ofd:PublicRes>PublicRes.xml</ofd:PublicRes>\n  </ofd:CommonData>\n"
                     "  <ofd:Pages>\n" + pages + "  </ofd:Pages>\n</ofd:Document>\n")});
  files.insert(files.begin() + 2,
               {"Doc_0/PublicRes.xml",
                text(std::string(kHead) + "<ofd:Res " + ns +
                     " BaseLoc=\"Res\">\n  <ofd:Fonts>\n    <ofd:Font ID=\"2\" FontName=\"宋体\" FamilyName=\"宋体\"/>\n"
                     "  </ofd:Fonts>\n</ofd:Res>\n")});
  return write_zip(files);
}

}  // namespace certseal::docsign
