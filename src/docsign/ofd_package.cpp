#include "docsign/ofd_package.h"

#include <algorithm>
#include <sstream>

#include "docsign/ofd_xml.h"

namespace certseal::docsign {
namespace {

Error bad_document(const std::string& why) { return invalid_argument("ofd_bad_document", "OFD 文档结构有误：" + why); }

std::string folder_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

}  // namespace

const Bytes* OfdPackage::find(std::string_view path) const {
  for (const ZipEntry& e : files) {
    if (e.name == path) return &e.data;
  }
  return nullptr;
}

void OfdPackage::put(std::string path, Bytes data) {
  for (ZipEntry& e : files) {
    if (e.name == path) {
      e.data = std::move(data);
      return;
    }
  }
  files.push_back({std::move(path), std::move(data)});
}

bool sniff_ofd(BytesView data) {
  if (data.size() < 30 || data[0] != 'P' || data[1] != 'K' || data[2] != 3 || data[3] != 4) return false;
  // OFD.xml is named in some local header (writers put it first or last); look for the name.
  static constexpr std::string_view kName = "OFD.xml";
  const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  for (std::size_t at = s.find(kName); at != std::string_view::npos; at = s.find(kName, at + 1)) {
    // A central directory entry: the name starts 46 bytes after its signature.
    if (at >= 46 && s.compare(at - 46, 4, "PK\x01\x02") == 0) {
      const std::size_t len = static_cast<unsigned char>(s[at - 18]) | (static_cast<unsigned char>(s[at - 17]) << 8);
      if (len == kName.size()) return true;
    }
  }
  return false;
}

Result<OfdPackage> read_ofd(BytesView data, const ZipLimits& limits) {
  CS_ASSIGN(auto entries, read_zip(data, limits));
  OfdPackage pkg{std::move(entries)};
  if (pkg.find("OFD.xml") == nullptr) return invalid_argument("ofd_not_ofd", "不是 OFD 文件（没有 OFD.xml）");
  return pkg;
}

Result<Bytes> write_ofd(const OfdPackage& pkg) { return write_zip(pkg.files); }

Result<std::string> resolve_loc(std::string_view base_file, std::string_view loc) {
  if (loc.empty()) return bad_document("空路径");
  std::string path = loc.front() == '/' ? std::string(loc.substr(1)) : folder_of(base_file) + std::string(loc);
  // "./x" segments are common in relative locations; drop them. ".." is refused.
  std::string clean;
  std::istringstream in(path);
  std::string seg;
  while (std::getline(in, seg, '/')) {
    if (seg == ".") continue;
    if (!clean.empty()) clean += '/';
    clean += seg;
  }
  if (!check_zip_name(clean).ok() || clean.back() == '/') return bad_document("路径不可接受：" + std::string(loc));
  return clean;
}

Result<OfdDocument> read_ofd_document(const OfdPackage& pkg) {
  const Bytes* ofd_xml = pkg.find("OFD.xml");
  if (ofd_xml == nullptr) return invalid_argument("ofd_not_ofd", "不是 OFD 文件（没有 OFD.xml）");
  CS_ASSIGN(XmlDoc ofd, XmlDoc::parse(*ofd_xml, "OFD.xml"));
  if (xml_local_name(ofd.root()) != "OFD") return invalid_argument("ofd_not_ofd", "不是 OFD 文件（OFD.xml 的根不是 OFD）");
  XmlNode body = xml_child(ofd.root(), "DocBody");
  if (body == nullptr) return bad_document("OFD.xml 没有 DocBody");
  OfdDocument doc;
  const std::string root_loc = xml_text(xml_child(body, "DocRoot"));
  CS_ASSIGN(doc.doc_root, resolve_loc("OFD.xml", root_loc));
  if (XmlNode sigs = xml_child(body, "Signatures"); sigs != nullptr) {
    CS_ASSIGN(doc.signatures_path, resolve_loc("OFD.xml", xml_text(sigs)));
  }
  const Bytes* document_xml = pkg.find(doc.doc_root);
  if (document_xml == nullptr) return bad_document("缺少 " + doc.doc_root);
  CS_ASSIGN(XmlDoc d, XmlDoc::parse(*document_xml, doc.doc_root));
  if (xml_local_name(d.root()) != "Document") return bad_document(doc.doc_root + " 的根不是 Document");
  XmlNode area = xml_child(xml_child(xml_child(d.root(), "CommonData"), "PageArea"), "PhysicalBox");
  if (area != nullptr) {
    std::istringstream box(xml_text(area));
    double x = 0, y = 0, w = 0, h = 0;
    if ((box >> x >> y >> w >> h) && w > 0 && h > 0 && w < 10000 && h < 10000) {
      doc.page_width_mm = w;
      doc.page_height_mm = h;
    }
  }
  for (XmlNode p : xml_children(xml_child(d.root(), "Pages"), "Page")) {
    auto id = xml_attr(p, "ID");
    auto loc = xml_attr(p, "BaseLoc");
    if (!id || id->empty() || !loc) return bad_document("页面缺少 ID 或 BaseLoc");
    CS_ASSIGN(std::string path, resolve_loc(doc.doc_root, *loc));
    if (pkg.find(path) == nullptr) return bad_document("缺少页面文件 " + path);
    doc.pages.push_back({*id, path});
    if (doc.pages.size() > 100000) return bad_document("页数过多");
  }
  if (doc.pages.empty()) return bad_document("没有页面");
  return doc;
}

Result<OfdSignatureList> read_signature_list(const OfdPackage& pkg, const std::string& signatures_path) {
  OfdSignatureList list;
  const Bytes* xml = signatures_path.empty() ? nullptr : pkg.find(signatures_path);
  if (xml == nullptr) return list;
  CS_ASSIGN(XmlDoc d, XmlDoc::parse(*xml, signatures_path));
  if (xml_local_name(d.root()) != "Signatures") return bad_document(signatures_path + " 的根不是 Signatures");
  const std::string max = xml_text(xml_child(d.root(), "MaxSignId"));
  if (!max.empty() && max.size() < 12 && max.find_first_not_of("0123456789") == std::string::npos) {
    list.max_sign_id = std::stoll(max);
  }
  for (XmlNode n : xml_children(d.root(), "Signature")) {
    auto id = xml_attr(n, "ID");
    auto loc = xml_attr(n, "BaseLoc");
    if (!id || id->empty() || !loc) return bad_document("签名条目缺少 ID 或 BaseLoc");
    CS_ASSIGN(std::string path, resolve_loc(signatures_path, *loc));
    list.entries.push_back({*id, xml_attr(n, "Type").value_or("Seal"), path});
    if (list.entries.size() > 1000) return bad_document("签名过多");
    if (id->size() < 12 && id->find_first_not_of("0123456789") == std::string::npos) {
      list.max_sign_id = std::max(list.max_sign_id, std::stoll(*id));
    }
  }
  return list;
}

}  // namespace certseal::docsign
