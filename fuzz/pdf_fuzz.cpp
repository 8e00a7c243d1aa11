// PDF signatures as relying parties hand them in (`certseal verify FILE.pdf`, the scenes'
// document check, the held-document check): docsign/pdf_verifier.h verify_pdf over the input's
// bytes (the signature fields found through /AcroForm, each /ByteRange and its gap, the revision
// end, the embedded CMS, the time stamp, the certificate path, the changes after signing), and the
// embedded CMS alone through pades_cms.h (read_signed_data, signature_valid, check_timestamp) and
// cert_path.h, which verify_pdf reaches only behind a well-formed byte range.
//
// Input: a mode byte, a big-endian 16-bit length and that many bytes of a trusted root's DER (may
// be empty), then for mode 0 (even) the PDF, for mode 1 (odd) the CMS SignedData DER.
// The PDF goes to a memfd read through /proc/self/fd (verify_pdf takes a path; nothing touches the
// disk). Checks beyond "no crash": a report's revision end lies within the file, and it covers the
// whole file exactly when it ends at the file's end; a signature called valid names its
// certificate.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "docsign/cert_path.h"
#include "docsign/pades_cms.h"
#include "docsign/pdf_verifier.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;

namespace {

struct MemFile {
  int fd = -1;
  std::string path;
  MemFile() {
    fd = memfd_create("pdf_fuzz", 0);
    if (fd < 0) std::abort();
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  void write(BytesView b) const {
    if (ftruncate(fd, 0) != 0) std::abort();
    std::size_t at = 0;
    while (at < b.size()) {
      const ssize_t n = pwrite(fd, b.data() + at, b.size() - at, static_cast<off_t>(at));
      if (n <= 0) std::abort();
      at += static_cast<std::size_t>(n);
    }
  }
};

void check_cms(BytesView der, const std::vector<Bytes>& roots) {
  auto v = docsign::pades::read_signed_data(der);
  if (!v) return;
  (void)fuzz::touch(v->signer_cert);
  (void)fuzz::touch(v->signed_attributes);
  (void)fuzz::touch(v->message_digest);
  (void)fuzz::touch(v->signature);
  if (v->econtent) (void)fuzz::touch(*v->econtent);
  const bool valid = docsign::pades::signature_valid(*v);
  if (valid && v->signer_cert.empty()) std::abort();
  if (v->timestamp_token) {
    auto ts = docsign::pades::check_timestamp(*v->timestamp_token, v->signature);
    if (ts) (void)fuzz::touch(ts->tsa_cert);
  }
  const SysTime at = v->signing_time.value_or(SysTime{std::chrono::seconds(1'780'000'000)});
  (void)docsign::check_cert_path(v->signer_cert, v->certificates, roots, at);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const MemFile file;
  fuzz::FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  std::vector<Bytes> roots;
  const std::size_t root_len = static_cast<std::size_t>(in.byte()) << 8 | in.byte();
  if (BytesView root = in.take(root_len); !root.empty()) roots.emplace_back(root.begin(), root.end());
  BytesView rest = in.rest();
  if (mode & 1) {
    check_cms(rest, roots);
    return 0;
  }
  file.write(rest);
  auto reports = docsign::verify_pdf(file.path, roots);
  if (!reports) return 0;
  for (const auto& r : *reports) {
    if (r.revision_end > rest.size()) std::abort();
    if (r.revision_end != 0 && r.covers_whole_file != (r.revision_end == rest.size())) std::abort();
    if (r.signature_valid && r.signer_cert.empty()) std::abort();
    (void)fuzz::touch(r.signer_cert);
    (void)fuzz::touch(r.seseal);
  }
  return 0;
}
