// The OFD container reader from the side of whoever sends it: names that would leave the folder,
// duplicates, zip bombs (by ratio, by declared size, by a stream longer than declared), too many
// entries, truncation, damaged data; and the XML parser refusing DTDs (entity bombs, XXE).
#include "docsign/ofd_zip.h"

#include <gtest/gtest.h>

#include <zlib.h>

#include "docsign/ofd_package.h"
#include "docsign/ofd_sample.h"
#include "docsign/ofd_xml.h"

namespace certseal::docsign {
namespace {

void put16(Bytes& o, std::uint32_t v) {
  o.push_back(static_cast<std::uint8_t>(v));
  o.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& o, std::uint32_t v) {
  put16(o, v & 0xffff);
  put16(o, v >> 16);
}

// A stored ZIP with any names at all (write_zip refuses bad ones): what an attacker sends.
Bytes raw_zip(const std::vector<std::pair<std::string, std::string>>& files) {
  Bytes out, cd;
  for (const auto& [name, data] : files) {
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()),
                                                      static_cast<uInt>(data.size())));
    const auto at = static_cast<std::uint32_t>(out.size());
    put32(out, 0x04034b50);
    put16(out, 20); put16(out, 0); put16(out, 0); put16(out, 0); put16(out, 0);
    put32(out, crc); put32(out, static_cast<std::uint32_t>(data.size())); put32(out, static_cast<std::uint32_t>(data.size()));
    put16(out, static_cast<std::uint32_t>(name.size())); put16(out, 0);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), data.begin(), data.end());
    put32(cd, 0x02014b50);
    put16(cd, 20); put16(cd, 20); put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0);
    put32(cd, crc); put32(cd, static_cast<std::uint32_t>(data.size())); put32(cd, static_cast<std::uint32_t>(data.size()));
    put16(cd, static_cast<std::uint32_t>(name.size())); put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0);
    put32(cd, 0); put32(cd, at);
    cd.insert(cd.end(), name.begin(), name.end());
  }
  const auto cd_at = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), cd.begin(), cd.end());
  put32(out, 0x06054b50);
  put16(out, 0); put16(out, 0);
  put16(out, static_cast<std::uint32_t>(files.size())); put16(out, static_cast<std::uint32_t>(files.size()));
  put32(out, static_cast<std::uint32_t>(cd.size())); put32(out, cd_at); put16(out, 0);
  return out;
}

std::string code_of(const Result<std::vector<ZipEntry>>& r) { return r.ok() ? "ok" : r.error().code; }

TEST(OfdZip, WritesAndReadsBack) {
  std::vector<ZipEntry> in = {{"OFD.xml", to_bytes("<ofd:OFD/>")},
                              {"Doc_0/Pages/Page_0/Content.xml", Bytes(60000, 'a')},
                              {"Doc_0/空.txt", {}}};
  auto z = write_zip(in);
  ASSERT_TRUE(z.ok());
  auto out = read_zip(*z);
  ASSERT_TRUE(out.ok()) << out.error().cause;
  ASSERT_EQ(out->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*out)[i].name, in[i].name);
    EXPECT_EQ((*out)[i].data, in[i].data);
  }
  EXPECT_LT(z->size(), 2000u);  // the repeated page was deflated
}

TEST(OfdZip, AttackerNamesThatLeaveTheFolderAreRefused) {
  for (const char* name : {"../evil.xml", "/etc/passwd", "Doc_0/../../x", "a//b", "./a", "C:evil", "a\\..\\b",
                           "Doc_0/..", ""}) {
    EXPECT_EQ(code_of(read_zip(raw_zip({{"OFD.xml", "x"}, {name, "y"}}))), "zip_bad_name") << name;
  }
  std::string nul("a\0b", 3);
  EXPECT_EQ(code_of(read_zip(raw_zip({{nul, "y"}}))), "zip_bad_name");
  EXPECT_EQ(code_of(read_zip(raw_zip({{std::string(600, 'a'), "y"}}))), "zip_bad_name");
  EXPECT_EQ(code_of(read_zip(raw_zip({{"Doc_0/a.xml", "y"}}))), "ok");
}

TEST(OfdZip, AttackerDuplicateNamesAreRefused) {
  EXPECT_EQ(code_of(read_zip(raw_zip({{"OFD.xml", "a"}, {"OFD.xml", "b"}}))), "zip_duplicate");
  EXPECT_EQ(code_of(read_zip(raw_zip({{"OFD.xml", "a"}, {"ofd.XML", "b"}}))), "zip_duplicate");
}

TEST(OfdZip, AttackerZipBombsAreRefused) {
  // 50 MB of zeros deflate to ~50 KB: a ratio of ~1000.
  auto bomb = write_zip({{"OFD.xml", Bytes(50u << 20, 0)}});
  ASSERT_TRUE(bomb.ok());
  EXPECT_EQ(code_of(read_zip(*bomb)), "zip_too_large");
  // A declared size over the per-entry and total limits, refused before inflating.
  auto big = write_zip({{"a", Bytes(1u << 20, 'x')}, {"b", Bytes(1u << 20, 'y')}});
  ASSERT_TRUE(big.ok());
  ZipLimits small;
  small.max_entry_bytes = 1u << 19;
  EXPECT_EQ(code_of(read_zip(*big, small)), "zip_too_large");
  ZipLimits total;
  total.max_total_bytes = (1u << 20) + 10;
  total.max_ratio = 100000;
  EXPECT_EQ(code_of(read_zip(*big, total)), "zip_too_large");
  // Too many entries.
  ZipLimits few;
  few.max_entries = 2;
  EXPECT_EQ(code_of(read_zip(raw_zip({{"a", ""}, {"b", ""}, {"c", ""}}), few)), "zip_too_large");
}

TEST(OfdZip, AttackerStreamLongerThanDeclaredIsRefused) {
  auto z = write_zip({{"a", Bytes(200000, 'q')}});
  ASSERT_TRUE(z.ok());
  Bytes lie = *z;
  // Declare 100000 bytes (local header at 22, central entry's uncompressed size at cd + 24).
  const std::size_t cd = lie[lie.size() - 6] | (lie[lie.size() - 5] << 8) | (lie[lie.size() - 4] << 16);
  for (std::size_t at : {std::size_t{22}, cd + 24}) {
    lie[at] = 0xa0; lie[at + 1] = 0x86; lie[at + 2] = 0x01; lie[at + 3] = 0;
  }
  ZipLimits loose;
  loose.max_ratio = 100000;
  EXPECT_EQ(code_of(read_zip(lie, loose)), "zip_malformed");
}

TEST(OfdZip, TruncatedOrDamagedPackagesAreRefused) {
  auto ofd = make_sample_ofd({"第一页", "second page"});
  ASSERT_TRUE(ofd.ok());
  ASSERT_TRUE(read_zip(*ofd).ok());
  for (std::size_t n = 0; n < ofd->size(); n += 7) {
    EXPECT_FALSE(read_zip(BytesView(ofd->data(), n)).ok()) << n;
  }
  Bytes stored = raw_zip({{"OFD.xml", "<ofd:OFD/>"}});
  stored[32] ^= 0x01;  // a byte of the data: the CRC no longer matches
  EXPECT_EQ(code_of(read_zip(stored)), "zip_malformed");
}

TEST(OfdZip, EncryptedAndZip64AreRefused) {
  Bytes z = raw_zip({{"OFD.xml", "x"}});
  Bytes enc = z;
  const std::size_t cd = z.size() - 22 - (46 + 7);
  enc[cd + 8] = 0x01;
  EXPECT_EQ(code_of(read_zip(enc)), "zip_unsupported");
  Bytes z64 = z;
  z64[cd + 24] = z64[cd + 25] = z64[cd + 26] = z64[cd + 27] = 0xff;
  EXPECT_EQ(code_of(read_zip(z64)), "zip_unsupported");
}

TEST(OfdXml, AttackerDtdEntitiesAndExternalEntitiesAreRefused) {
  const char* lol = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"xxxxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;&x;\">]>"
                    "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\">&y;</ofd:OFD>";
  auto a = XmlDoc::parse(to_bytes(lol), "OFD.xml");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "ofd_bad_xml");
  const char* xxe = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>";
  auto b = XmlDoc::parse(to_bytes(xxe), "OFD.xml");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, "ofd_bad_xml");
  const char* ext = "<?xml version=\"1.0\"?><!DOCTYPE a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a/>";
  EXPECT_FALSE(XmlDoc::parse(to_bytes(ext), "OFD.xml").ok());
  EXPECT_FALSE(XmlDoc::parse(to_bytes("<a><b></a>"), "OFD.xml").ok());
  EXPECT_TRUE(XmlDoc::parse(to_bytes("<a x=\"1&amp;2\"/>"), "OFD.xml").ok());
}

TEST(OfdPackage, ReadsTheSampleAndRefusesWhatIsNotOfd) {
  auto ofd = make_sample_ofd({"一", "二", "三"});
  ASSERT_TRUE(ofd.ok());
  EXPECT_TRUE(sniff_ofd(*ofd));
  auto pkg = read_ofd(*ofd);
  ASSERT_TRUE(pkg.ok());
  auto doc = read_ofd_document(*pkg);
  ASSERT_TRUE(doc.ok()) << doc.error().cause;
  EXPECT_EQ(doc->doc_root, "Doc_0/Document.xml");
  ASSERT_EQ(doc->pages.size(), 3u);
  EXPECT_EQ(doc->pages[2].path, "Doc_0/Pages/Page_2/Content.xml");
  EXPECT_EQ(doc->page_width_mm, 210);
  EXPECT_TRUE(doc->signatures_path.empty());

  EXPECT_FALSE(sniff_ofd(to_bytes("%PDF-1.7\n")));
  auto not_ofd = write_zip({{"word/document.xml", to_bytes("<w/>")}});
  EXPECT_FALSE(sniff_ofd(*not_ofd));
  EXPECT_EQ(read_ofd(*not_ofd).error().code, "ofd_not_ofd");
  // A page location that climbs out of the package.
  auto bad = write_zip({{"OFD.xml", to_bytes("<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>")},
                        {"Doc_0/Document.xml", to_bytes("<Document><Pages><Page ID=\"1\" BaseLoc=\"../../etc/passwd\"/>"
                                                        "</Pages></Document>")}});
  auto bp = read_ofd(*bad);
  ASSERT_TRUE(bp.ok());
  EXPECT_EQ(read_ofd_document(*bp).error().code, "ofd_bad_document");
  EXPECT_EQ(resolve_loc("Doc_0/Document.xml", "Pages/Page_0/Content.xml").value(), "Doc_0/Pages/Page_0/Content.xml");
  EXPECT_EQ(resolve_loc("Doc_0/Document.xml", "/Doc_0/x.xml").value(), "Doc_0/x.xml");
  EXPECT_FALSE(resolve_loc("Doc_0/Document.xml", "../../x").ok());
}

}  // namespace
}  // namespace certseal::docsign
