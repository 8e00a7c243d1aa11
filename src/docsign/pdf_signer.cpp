#include "docsign/pdf_signer.h"

#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>

#include <cinttypes>
#include <cstring>
#include <map>
#include <set>

#include "base/encoding.h"
#include "docsign/keyword_locate.h"
#include "docsign/pades_cms.h"
#include "docsign/pdf_internal.h"
#include "docsign/seal_image.h"

namespace certseal::docsign {
namespace {

using internal::File;
using internal::io_error;

constexpr double kPtPerMm = 72.0 / 25.4;
constexpr std::size_t kByteRangeWidth = 48;  // "[0 a b c]" padded with spaces

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

struct PageBox {
  QPDFObjGen og;
  mutable QPDFObjectHandle page;
  double llx = 0, lly = 0, urx = 0, ury = 0;
};

using internal::array_items;
using internal::entries_except;
using internal::ref;
using internal::stream_obj;
using Obj = internal::NewObject;

struct Widget {
  int page_index = 0;  // 0-based
  double x0 = 0, y0 = 0, w = 0, h = 0;  // Rect in points (PDF user space)
  double shift = 0;                     // how far left the seal is drawn inside the box (骑缝章)
};

Result<std::vector<Widget>> place(const PdfSignRequest& req, const std::vector<PageBox>& pages, double seal_w,
                                  double seal_h) {
  const auto& pl = req.placement;
  const int n = static_cast<int>(pages.size());
  std::vector<Widget> out;
  switch (pl.kind) {
    case SealPlacement::Kind::kPosition: {
      if (pl.page < 1 || pl.page > n) return invalid_argument("bad_page", "页码超出范围");
      const auto& b = pages[static_cast<std::size_t>(pl.page - 1)];
      out.push_back({pl.page - 1, b.llx + pl.x_mm * kPtPerMm, b.ury - pl.y_mm * kPtPerMm - seal_h, seal_w, seal_h, 0});
      break;
    }
    case SealPlacement::Kind::kKeyword: {
      CS_ASSIGN(auto hit, locate_keyword(req.in_path, pl.keyword, pl.page));
      const auto& b = pages[static_cast<std::size_t>(hit.page - 1)];
      const double cx = (hit.left + hit.right) / 2, cy = (hit.top + hit.bottom) / 2;  // from top-left
      out.push_back({hit.page - 1, b.llx + cx - seal_w / 2, b.ury - cy - seal_h / 2, seal_w, seal_h, 0});
      break;
    }
    case SealPlacement::Kind::kStraddle: {
      if (n < 2) return invalid_argument("bad_placement", "骑缝章需要至少两页");
      const double strip = seal_w / n;
      for (int i = 0; i < n; ++i) {
        const auto& b = pages[static_cast<std::size_t>(i)];
        out.push_back({i, b.urx - strip, b.ury - pl.y_mm * kPtPerMm - seal_h, strip, seal_h, strip * i});
      }
      break;
    }
  }
  return out;
}

// The update section: everything appended after the original bytes.
struct Update {
  std::string text;
  std::size_t contents_lt = 0;   // index of '<' of /Contents in text
  std::size_t contents_gt = 0;   // index of '>' of /Contents in text
  std::size_t byte_range_at = 0;  // index of '[' of /ByteRange in text
  int first_page = 1;
};

Result<Update> build_update(const PdfSignRequest& req, QPDF& q, const internal::XrefTail& tail,
                            std::size_t contents_capacity) {
  return internal::guarded("prepare update", [&]() -> Result<Update> {
    std::vector<PageBox> pages;
    for (auto& ph : QPDFPageDocumentHelper(q).getAllPages()) {
      PageBox b;
      b.page = ph.getObjectHandle();
      b.og = b.page.getObjGen();
      auto r = ph.getCropBox(false, false).getArrayAsRectangle();
      b.llx = std::min(r.llx, r.urx);
      b.urx = std::max(r.llx, r.urx);
      b.lly = std::min(r.lly, r.ury);
      b.ury = std::max(r.lly, r.ury);
      pages.push_back(b);
    }
    if (q.anyWarnings()) {
      return invalid_argument("pdf_damaged", "PDF 文件有损坏（交叉引用表需要修复），请先修复后再签章");
    }
    if (pages.empty()) return invalid_argument("pdf_unreadable", "PDF 文件没有页面");
    CS_ASSIGN(auto img, pdf_image_from_png(req.seal_png));
    if (!(req.placement.width_mm >= 5 && req.placement.width_mm <= 200)) {
      return invalid_argument("bad_placement", "印章宽度须在 5 到 200 毫米之间");
    }
    const double seal_w = req.placement.width_mm * kPtPerMm;
    const double seal_h = seal_w * img.height / img.width;
    CS_ASSIGN(auto widgets, place(req, pages, seal_w, seal_h));

    QPDFObjectHandle trailer = q.getTrailer();
    QPDFObjectHandle root = q.getRoot();
    int next = trailer.getKey("/Size").isInteger() ? static_cast<int>(trailer.getKey("/Size").getIntValue()) : 0;
    if (next <= 0) return invalid_argument("pdf_damaged", "PDF 文件的 trailer 缺少 /Size");
    const int sig_n = next++, field_n = next++, img_n = next++, mask_n = next++;
    std::vector<int> widget_n, form_n;
    const bool straddle = req.placement.kind == SealPlacement::Kind::kStraddle;
    for (std::size_t i = 0; i < widgets.size(); ++i) {
      widget_n.push_back(straddle ? next++ : field_n);
      form_n.push_back(next++);
    }
    const std::string field_name = req.field_name.empty() ? "Signature" + std::to_string(sig_n) : req.field_name;

    std::vector<Obj> objs;
    Update u;
    u.first_page = widgets.front().page_index + 1;
    // 1. The signature dictionary, with placeholders.
    std::string sig = std::to_string(sig_n) + " 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached\n/ByteRange ";
    const std::size_t br_at = sig.size();
    sig += std::string(kByteRangeWidth, ' ') + "\n/Contents ";
    const std::size_t lt_at = sig.size();
    sig += "<" + std::string(contents_capacity * 2, '0') + ">";
    sig += "\n/M (" + internal::pdf_date(req.signing_time) + ")";
    if (!req.signer_name.empty()) sig += "\n/Name " + internal::pdf_text(req.signer_name);
    if (!req.reason.empty()) sig += "\n/Reason " + internal::pdf_text(req.reason);
    if (!req.seseal.empty()) sig += "\n/CertSeal.SESeal <" + hex_encode(req.seseal) + ">";
    sig += " >>\nendobj\n";
    objs.push_back({sig_n, 0, sig});
    const std::size_t sig_index = 0;

    // 2. The seal picture and its soft mask.
    objs.push_back({img_n, 0, stream_obj(img_n, " /Type /XObject /Subtype /Image /Width " + std::to_string(img.width) +
                                                    " /Height " + std::to_string(img.height) +
                                                    " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode"
                                                    " /SMask " + ref(mask_n), img.rgb_flate)});
    objs.push_back({mask_n, 0, stream_obj(mask_n, " /Type /XObject /Subtype /Image /Width " + std::to_string(img.width) +
                                                      " /Height " + std::to_string(img.height) +
                                                      " /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                                          img.alpha_flate)});

    // 3. Field, widgets and their appearances.
    std::map<int, std::vector<int>> new_annots;  // page index -> widget numbers
    std::string kids;
    for (std::size_t i = 0; i < widgets.size(); ++i) {
      const Widget& w = widgets[i];
      const std::string content = "q " + num(seal_w) + " 0 0 " + num(seal_h) + " " + num(-w.shift) + " 0 cm /Im0 Do Q\n";
      objs.push_back({form_n[i], 0, stream_obj(form_n[i], " /Type /XObject /Subtype /Form /BBox [0 0 " + num(w.w) + " " +
                                                              num(w.h) + "] /Resources << /XObject << /Im0 " + ref(img_n) +
                                                              " >> >>", as_bytes(content))});
      const PageBox& pb = pages[static_cast<std::size_t>(w.page_index)];
      std::string widget = std::to_string(widget_n[i]) + " 0 obj\n<< /Type /Annot /Subtype /Widget /F 132 /Rect [" +
                           num(w.x0) + " " + num(w.y0) + " " + num(w.x0 + w.w) + " " + num(w.y0 + w.h) + "] /P " +
                           ref(pb.og.getObj(), pb.og.getGen()) + " /AP << /N " + ref(form_n[i]) + " >>";
      if (straddle) {
        widget += " /Parent " + ref(field_n);
        kids += ref(widget_n[i]) + " ";
      } else {
        widget += " /FT /Sig /T " + internal::pdf_text(field_name) + " /V " + ref(sig_n);
      }
      widget += " >>\nendobj\n";
      objs.push_back({widget_n[i], 0, widget});
      new_annots[w.page_index].push_back(widget_n[i]);
    }
    if (straddle) {
      objs.push_back({field_n, 0, std::to_string(field_n) + " 0 obj\n<< /FT /Sig /T " + internal::pdf_text(field_name) +
                                      " /V " + ref(sig_n) + " /Kids [" + kids + "] >>\nendobj\n"});
    }

    // 4. Pages (or their /Annots arrays) with the widgets added.
    for (const auto& [pi, nums] : new_annots) {
      const PageBox& pb = pages[static_cast<std::size_t>(pi)];
      QPDFObjectHandle annots = pb.page.getKey("/Annots");
      std::string added;
      for (int n : nums) added += ref(n) + " ";
      if (annots.isIndirect() && annots.isArray()) {
        QPDFObjGen og = annots.getObjGen();
        objs.push_back({og.getObj(), og.getGen(), std::to_string(og.getObj()) + " " + std::to_string(og.getGen()) +
                                                      " obj\n[" + array_items(annots) + added + "]\nendobj\n"});
      } else {
        objs.push_back({pb.og.getObj(), pb.og.getGen(),
                        std::to_string(pb.og.getObj()) + " " + std::to_string(pb.og.getGen()) + " obj\n<<" +
                            entries_except(pb.page, {"/Annots"}) + "/Annots [" + array_items(annots) + added +
                            "]\n>>\nendobj\n"});
      }
    }

    // 5. The AcroForm (in the catalog, or its own object) with the field added.
    QPDFObjectHandle acro = root.getKey("/AcroForm");
    QPDFObjectHandle fields = acro.isDictionary() ? acro.getKey("/Fields") : QPDFObjectHandle::newNull();
    const std::string new_field = ref(field_n);
    if (fields.isIndirect() && fields.isArray()) {
      QPDFObjGen og = fields.getObjGen();
      objs.push_back({og.getObj(), og.getGen(), std::to_string(og.getObj()) + " " + std::to_string(og.getGen()) +
                                                    " obj\n[" + array_items(fields) + new_field + "]\nendobj\n"});
    }
    const std::string fields_entry =
        fields.isIndirect() && fields.isArray() ? "" : "/Fields [" + array_items(fields) + new_field + "]\n";
    std::string acro_body = (acro.isDictionary() ? entries_except(acro, {"/Fields", "/SigFlags", "/NeedAppearances"}) : "") +
                            fields_entry + "/SigFlags 3\n";
    if (fields.isIndirect() && fields.isArray()) acro_body += "/Fields " + fields.unparse() + "\n";
    const QPDFObjGen root_og = root.getObjGen();
    if (acro.isIndirect() && acro.isDictionary()) {
      QPDFObjGen og = acro.getObjGen();
      objs.push_back({og.getObj(), og.getGen(), std::to_string(og.getObj()) + " " + std::to_string(og.getGen()) +
                                                    " obj\n<<" + acro_body + ">>\nendobj\n"});
    } else {
      objs.push_back({root_og.getObj(), root_og.getGen(),
                      std::to_string(root_og.getObj()) + " " + std::to_string(root_og.getGen()) + " obj\n<<" +
                          entries_except(root, {"/AcroForm"}) + "/AcroForm <<" + acro_body + ">>\n>>\nendobj\n"});
    }

    // 6. Lay the objects out, then the cross-reference section and trailer.
    std::vector<std::uint64_t> offsets;
    u.text = internal::update_section(objs, tail, q, next, &offsets);
    const std::size_t sig_at = static_cast<std::size_t>(offsets[sig_index] - tail.file_size);
    u.byte_range_at = sig_at + br_at;
    u.contents_lt = sig_at + lt_at;
    u.contents_gt = u.contents_lt + 1 + contents_capacity * 2;
    return u;
  });
}

Result<std::size_t> contents_capacity_for(const PdfSignRequest& req) {
  CS_ASSIGN(auto max_sig, pades::max_signature_size(req.alg, req.signer_cert));
  const std::size_t digest_len = pki::digest_alg(req.alg) == crypto::HashAlg::kSha384 ? 48 : 32;
  CS_ASSIGN(Bytes attrs, pades::signed_attributes(req.alg, Bytes(digest_len, 0), req.signer_cert));
  pades::CmsParts parts{req.alg, req.signer_cert, req.chain, attrs, Bytes(max_sig, 0xff), std::nullopt};
  if (req.timestamp_reserve > 0) parts.timestamp_token = Bytes(req.timestamp_reserve, 0);
  CS_ASSIGN(Bytes cms, pades::assemble(parts));
  return cms.size() + 64;  // length octets that grow, a longer token than the probe
}

}  // namespace

Result<int> count_pdf_pages(const std::string& path) {
  CS_ASSIGN(auto tail, internal::read_xref_tail(path));
  (void)tail;
  CS_ASSIGN(auto q, internal::open_pdf(path));
  return internal::guarded("count pages", [&]() -> Result<int> {
    const int n = static_cast<int>(QPDFPageDocumentHelper(*q).getAllPages().size());
    if (q->anyWarnings()) {
      return invalid_argument("pdf_damaged", "PDF 文件有损坏（交叉引用表需要修复），请先修复后再签章");
    }
    if (n == 0) return invalid_argument("pdf_unreadable", "PDF 文件没有页面");
    return n;
  });
}

Result<PreparedPdf> prepare_pdf_signature(const PdfSignRequest& req) {
  if (req.in_path == req.out_path) return invalid_argument("bad_output", "输出文件不能与输入文件相同");
  CS_ASSIGN(std::size_t capacity, contents_capacity_for(req));
  CS_ASSIGN(auto tail, internal::read_xref_tail(req.in_path));
  CS_ASSIGN(auto q, internal::open_pdf(req.in_path));
  CS_ASSIGN(Update u, build_update(req, *q, tail, capacity));

  const std::uint64_t base = tail.file_size;
  // Offsets in the output: the original bytes, then u.text (which starts with "\n" when needed).
  const std::uint64_t lt = base + u.contents_lt, gt = base + u.contents_gt;
  const std::uint64_t total = base + u.text.size();
  std::vector<std::uint64_t> br = {0, lt, gt + 1, total - (gt + 1)};
  std::string br_text = "[0 " + std::to_string(br[1]) + " " + std::to_string(br[2]) + " " + std::to_string(br[3]) + "]";
  if (br_text.size() > kByteRangeWidth) return internal_error("byte range does not fit");
  br_text.resize(kByteRangeWidth, ' ');
  std::memcpy(u.text.data() + u.byte_range_at, br_text.data(), br_text.size());

  // Copy the original while hashing, then the update (hashing all but /Contents).
  crypto::Hasher hasher(pki::digest_alg(req.alg));
  {
    File in(std::fopen(req.in_path.c_str(), "rb"));
    File out(std::fopen(req.out_path.c_str(), "wb"));
    if (!in) return io_error("open " + req.in_path);
    if (!out) return io_error("create " + req.out_path);
    std::vector<std::uint8_t> buf(1 << 20);
    std::uint64_t copied = 0;
    while (true) {
      const std::size_t n = std::fread(buf.data(), 1, buf.size(), in.get());
      if (n == 0) break;
      hasher.update(BytesView(buf.data(), n));
      if (std::fwrite(buf.data(), 1, n, out.get()) != n) return io_error("write " + req.out_path);
      copied += n;
    }
    if (copied != tail.file_size) return io_error("the input changed while it was read");
    const BytesView upd = as_bytes(u.text);
    hasher.update(upd.subspan(0, u.contents_lt));
    hasher.update(upd.subspan(u.contents_gt + 1));
    if (std::fwrite(u.text.data(), 1, u.text.size(), out.get()) != u.text.size()) return io_error("write " + req.out_path);
    if (std::fflush(out.get()) != 0) return io_error("flush " + req.out_path);
  }
  PreparedPdf p;
  p.out_path = req.out_path;
  p.alg = req.alg;
  p.signer_cert = req.signer_cert;
  p.chain = req.chain;
  p.byte_range_digest = hasher.finish();
  CS_ASSIGN(p.signed_attributes, pades::signed_attributes(req.alg, p.byte_range_digest, req.signer_cert));
  p.contents_offset = lt + 1;
  p.contents_capacity = capacity;
  p.byte_range = br;
  p.first_page = u.first_page;
  return p;
}

Status finish_pdf_signature(const PreparedPdf& p, BytesView signature, std::optional<BytesView> timestamp_token,
                            Bytes* contents_out) {
  pades::CmsParts parts{p.alg, p.signer_cert, p.chain, p.signed_attributes, Bytes(signature.begin(), signature.end()),
                        std::nullopt};
  if (timestamp_token) parts.timestamp_token = Bytes(timestamp_token->begin(), timestamp_token->end());
  CS_ASSIGN(Bytes cms, pades::assemble(parts));
  if (cms.size() > p.contents_capacity) {
    return Error(ErrorKind::kInternal, "signature_too_large", "签名数据超出预留空间",
                 std::to_string(cms.size()) + " > " + std::to_string(p.contents_capacity));
  }
  const std::string hex = hex_encode(cms, true);
  File out(std::fopen(p.out_path.c_str(), "r+b"));
  if (!out) return io_error("open " + p.out_path);
  if (std::fseek(out.get(), static_cast<long>(p.contents_offset), SEEK_SET) != 0) return io_error("seek");
  if (std::fwrite(hex.data(), 1, hex.size(), out.get()) != hex.size()) return io_error("write " + p.out_path);
  if (std::fflush(out.get()) != 0) return io_error("flush " + p.out_path);
  if (contents_out) {
    *contents_out = cms;
    contents_out->resize(p.contents_capacity, 0);
  }
  return {};
}

Status add_long_term_data(const std::string& path, const Bytes& signer_cert, std::optional<BytesView> timestamp_token,
                          BytesView contents, const ValidationFunction& lt, SysTime now) {
  CS_ASSIGN(ValidationData vd, lt(signer_cert));
  if (timestamp_token) {
    CS_ASSIGN(auto token, pades::read_signed_data(*timestamp_token));
    if (!token.signer_cert.empty()) {
      vd.certs.insert(vd.certs.begin(), token.signer_cert);
      CS_ASSIGN(ValidationData tsa, lt(token.signer_cert));
      vd.add(tsa);
    }
  }
  ValidationData ordered;  // the signer's certificate first
  ordered.certs.push_back(signer_cert);
  ordered.add(vd);
  return append_dss(path, contents, ordered, now);
}

Result<PreparedPdf> sign_pdf(PdfSignRequest req, const SignFunction& sign, const TsaFunction* tsa,
                             const ValidationFunction* lt) {
  if (lt && !tsa) return invalid_argument("bad_level", "PAdES B-LT 需要时间戳");
  const crypto::HashAlg h = pki::digest_alg(req.alg);
  if (tsa) {
    const Bytes nonce = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    CS_ASSIGN(Bytes probe_resp, (*tsa)(pades::timestamp_request(h, Bytes(1, 0), nonce)));
    CS_ASSIGN(Bytes probe, pades::token_from_response(probe_resp));
    req.timestamp_reserve = probe.size() + 32;
  }
  CS_ASSIGN(PreparedPdf p, prepare_pdf_signature(req));
  CS_ASSIGN(Bytes signature, sign(p.signed_attributes));
  std::optional<Bytes> token;
  if (tsa) {
    Bytes nonce = crypto::digest(crypto::HashAlg::kSha256, signature);
    nonce.resize(8);
    CS_ASSIGN(Bytes resp, (*tsa)(pades::timestamp_request(h, signature, nonce)));
    CS_ASSIGN(token, pades::token_from_response(resp));
  }
  Bytes contents;
  const auto token_view = token ? std::optional<BytesView>(*token) : std::nullopt;
  CS_TRY(finish_pdf_signature(p, signature, token_view, &contents));
  if (lt) CS_TRY(add_long_term_data(p.out_path, p.signer_cert, token_view, contents, *lt, req.signing_time));
  return p;
}

}  // namespace certseal::docsign
