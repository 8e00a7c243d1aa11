#include "docsign/ofd_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>

namespace certseal::docsign {
namespace {

constexpr std::string_view kOfdNs = "http://www.ofdspec.org/2016";

bool ours(XmlNode n) {
  if (n->ns == nullptr || n->ns->href == nullptr) return true;
  return std::string_view(reinterpret_cast<const char*>(n->ns->href)) == kOfdNs;
}

// libxml2 reports errors through a global handler; keep them out of stderr.
void quiet(void*, const char*, ...) {}

}  // namespace

void XmlDoc::Free::operator()(_xmlDoc* d) const { xmlFreeDoc(d); }

Result<XmlDoc> XmlDoc::parse(BytesView xml, std::string_view what) {
  auto bad = [&](const char* why) {
    return invalid_argument("ofd_bad_xml", "OFD 文件中的 " + std::string(what) + " 不是可接受的 XML（" + why + "）");
  };
  if (xml.size() > kMaxXmlBytes) return bad("过大");
  if (xml.empty()) return bad("为空");
  xmlSetGenericErrorFunc(nullptr, quiet);
  // No XML_PARSE_NOENT (entities stay references), no XML_PARSE_DTDLOAD/DTDATTR/DTDVALID, no
  // XML_PARSE_HUGE; XML_PARSE_NONET in case anything would still reach out.
  const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  XmlDoc d;
  d.doc_.reset(xmlReadMemory(reinterpret_cast<const char*>(xml.data()), static_cast<int>(xml.size()), nullptr,
                             nullptr, opts));
  if (!d.doc_) return bad("格式错误");
  if (d.doc_->intSubset != nullptr || d.doc_->extSubset != nullptr) return bad("含 DTD");
  if (xmlDocGetRootElement(d.doc_.get()) == nullptr) return bad("没有根元素");
  return d;
}

XmlNode XmlDoc::root() const { return xmlDocGetRootElement(doc_.get()); }

std::string xml_local_name(XmlNode n) {
  return n == nullptr || n->name == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(n->name));
}

std::vector<XmlNode> xml_children(XmlNode n, std::string_view name) {
  std::vector<XmlNode> out;
  if (n == nullptr) return out;
  for (XmlNode c = n->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !ours(c)) continue;
    if (name.empty() || xml_local_name(c) == name) out.push_back(c);
  }
  return out;
}

XmlNode xml_child(XmlNode n, std::string_view name) {
  auto v = xml_children(n, name);
  return v.empty() ? nullptr : v.front();
}

std::optional<std::string> xml_attr(XmlNode n, std::string_view name) {
  if (n == nullptr) return std::nullopt;
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->name == nullptr || std::string_view(reinterpret_cast<const char*>(a->name)) != name) continue;
    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
    std::string s = v == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(v));
    xmlFree(v);
    return s;
  }
  return std::nullopt;
}

std::string xml_text(XmlNode n) {
  if (n == nullptr) return {};
  xmlChar* v = xmlNodeGetContent(n);
  std::string s = v == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(v));
  xmlFree(v);
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace certseal::docsign
