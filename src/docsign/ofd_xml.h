// Reading the XML parts of an OFD package (GB/T 33190) with libxml2, safely: no network
// (XML_PARSE_NONET), no entity substitution, no DTD loading, and a document that carries a DTD
// at all is refused (an internal subset is where entity bombs and external entities live; OFD
// never needs one). Size is bounded by the ZIP reader's limits and by kMaxXmlBytes here.
//
// Elements are matched by local name in the OFD namespace (http://www.ofdspec.org/2016) or in no
// namespace (writers differ); attributes by plain name.
//
// Writing XML is done with xml_escape() on our own templates (ofd_writer), not through a DOM.
//
// Contract: XmlDoc is move-only and not thread-safe; different documents may be used from
// different threads. Errors (kInvalidArgument): ofd_bad_xml (not well-formed, a DTD, too large).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

struct _xmlDoc;
struct _xmlNode;

namespace certseal::docsign {

inline constexpr std::size_t kMaxXmlBytes = 8u << 20;

using XmlNode = const _xmlNode*;

class XmlDoc {
 public:
  static Result<XmlDoc> parse(BytesView xml, std::string_view what);
  XmlNode root() const;

 private:
  struct Free {
    void operator()(_xmlDoc* d) const;
  };
  std::unique_ptr<_xmlDoc, Free> doc_;
};

std::string xml_local_name(XmlNode n);
// The element children of n with this local name (all element children when name is empty).
std::vector<XmlNode> xml_children(XmlNode n, std::string_view name = {});
XmlNode xml_child(XmlNode n, std::string_view name);  // the first, or nullptr
std::optional<std::string> xml_attr(XmlNode n, std::string_view name);
std::string xml_text(XmlNode n);  // the text content, trimmed of surrounding white space

std::string xml_escape(std::string_view s);

}  // namespace certseal::docsign
