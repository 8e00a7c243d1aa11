// prepare_held_pdf / finish_held_pdf (pdf_held.h).
#include "docsign/pdf_held.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "crypto/hash.h"
#include "docsign/pades_cms.h"
#include "docsign/page_preview.h"

namespace certseal::docsign {
namespace {

Error io_error(const std::string& why) { return Error(ErrorKind::kInternal, "io_error", "文件读写失败", why); }

// A private temporary folder, removed with what it holds however we leave.
class TempDir {
 public:
  TempDir() {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/certseal-doc-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (path_.empty()) return;
    for (const char* f : {"/in.pdf", "/out.pdf"}) std::remove((path_ + f).c_str());
    ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  std::string f(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Status write_file(const std::string& path, BytesView data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!f) return io_error("write " + path);
  return {};
}

Result<Bytes> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return io_error("read " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return to_bytes(ss.str());
}

}  // namespace

Result<int> count_held_pdf_pages(BytesView pdf) {
  TempDir dir;
  if (!dir.ok()) return io_error("mkdtemp");
  CS_TRY(write_file(dir.f("in.pdf"), pdf));
  return count_pdf_pages(dir.f("in.pdf"));
}

Result<std::vector<PdfSignatureReport>> verify_held_pdf(BytesView pdf, const std::vector<Bytes>& trusted_roots) {
  TempDir dir;
  if (!dir.ok()) return io_error("mkdtemp");
  CS_TRY(write_file(dir.f("in.pdf"), pdf));
  return verify_pdf(dir.f("in.pdf"), trusted_roots);
}

Result<Bytes> render_held_pdf_page(BytesView pdf, int page, double dpi) {
  TempDir dir;
  if (!dir.ok()) return io_error("mkdtemp");
  CS_TRY(write_file(dir.f("in.pdf"), pdf));
  return render_page_png(dir.f("in.pdf"), page, dpi);
}

Result<HeldPreparation> prepare_held_pdf(BytesView pdf, PdfSignRequest req, const TsaFunction* tsa,
                                         double preview_dpi) {
  TempDir dir;
  if (!dir.ok()) return io_error("mkdtemp");
  CS_TRY(write_file(dir.f("in.pdf"), pdf));
  req.in_path = dir.f("in.pdf");
  req.out_path = dir.f("out.pdf");
  if (tsa) {
    // B-T: room for a token like the one the TSA gives now.
    const Bytes nonce = {0x13, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    CS_ASSIGN(Bytes resp, (*tsa)(pades::timestamp_request(pki::digest_alg(req.alg), Bytes(1, 0), nonce)));
    CS_ASSIGN(Bytes probe, pades::token_from_response(resp));
    req.timestamp_reserve = probe.size() + 64;
  }
  CS_ASSIGN(auto prepared, prepare_pdf_signature(req));
  HeldPreparation out;
  CS_ASSIGN(out.pdf, read_file(dir.f("out.pdf")));
  out.signed_attributes = prepared.signed_attributes;
  out.contents_offset = prepared.contents_offset;
  out.contents_capacity = prepared.contents_capacity;
  out.first_page = prepared.first_page;
  if (preview_dpi > 0) {
    CS_ASSIGN(out.preview_png, render_page_png(dir.f("out.pdf"), prepared.first_page, preview_dpi));
  }
  return out;
}

Result<FinishedPdf> finish_held_pdf(BytesView prepared, const HeldSigner& signer, BytesView signature,
                                    const TsaFunction* tsa, const ValidationFunction* lt, SysTime now) {
  if (lt && !tsa) return invalid_argument("bad_level", "PAdES B-LT 需要时间戳");
  TempDir dir;
  if (!dir.ok()) return io_error("mkdtemp");
  CS_TRY(write_file(dir.f("out.pdf"), prepared));
  PreparedPdf p;
  p.out_path = dir.f("out.pdf");
  p.alg = signer.alg;
  p.signer_cert = signer.signer_cert;
  p.chain = signer.chain;
  p.signed_attributes = signer.signed_attributes;
  p.contents_offset = signer.contents_offset;
  p.contents_capacity = signer.contents_capacity;
  std::optional<Bytes> token;
  if (tsa) {
    Bytes nonce = crypto::sha256(signature);
    nonce.resize(8);
    CS_ASSIGN(Bytes resp, (*tsa)(pades::timestamp_request(pki::digest_alg(signer.alg), signature, nonce)));
    CS_ASSIGN(token, pades::token_from_response(resp));
  }
  Bytes contents;
  const auto token_view = token ? std::optional<BytesView>(*token) : std::nullopt;
  CS_TRY(finish_pdf_signature(p, signature, token_view, &contents));
  if (lt) CS_TRY(add_long_term_data(p.out_path, p.signer_cert, token_view, contents, *lt, now));
  FinishedPdf out;
  CS_ASSIGN(out.pdf, read_file(dir.f("out.pdf")));
  out.timestamped = token.has_value();
  out.long_term = lt != nullptr;
  return out;
}

}  // namespace certseal::docsign
