// OFD packages (GB/T 33190) as a relying party or anyone with `certseal verify` hands them in: the
// ZIP reader (ofd_zip.h) under small limits, the package and its XML (ofd_package.h, ofd_xml.h),
// and the verifier of its §18 signatures (ofd_verifier.h, SES_Signature per GB/T 38540). What the
// reader returns must keep within the limits and pass the name check it promises.
//
// Two forms of input, so that mutations also reach the XML and the SES_Signature (in a ZIP most
// of them die at the CRC): "PK…" is a package as sent; anything else is the package's files
// joined by kSplit in the order of kFiles, which the target zips (write_zip) before reading.
#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>
#include <set>

#include "docsign/ofd_package.h"
#include "docsign/ofd_verifier.h"
#include "docsign/ofd_zip.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;

namespace {

constexpr std::string_view kSplit = "\n--8<--\n";
const char* const kFiles[] = {"OFD.xml",
                              "Doc_0/Document.xml",
                              "Doc_0/Pages/Page_0/Content.xml",
                              "Doc_0/Signs/Signatures.xml",
                              "Doc_0/Signs/Sign_0/Signature.xml",
                              "Doc_0/Signs/Sign_0/SignedValue.dat",
                              "Doc_0/Signs/Sign_0/Seal.esl"};

Bytes zip_of_parts(BytesView in) {
  const std::string_view s(reinterpret_cast<const char*>(in.data()), in.size());
  std::vector<docsign::ZipEntry> files;
  std::size_t at = 0;
  for (const char* name : kFiles) {
    const std::size_t end = std::min(s.find(kSplit, at), s.size());
    files.push_back({name, Bytes(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(end))});
    if (end == s.size()) break;
    at = end + kSplit.size();
  }
  auto z = docsign::write_zip(files);
  return z ? *z : Bytes{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes zipped;
  BytesView in(data, size);
  if (size < 2 || data[0] != 'P' || data[1] != 'K') {
    zipped = zip_of_parts(in);
    in = zipped;
  }
  docsign::ZipLimits limits;
  limits.max_entries = 64;
  limits.max_entry_bytes = 1u << 20;
  limits.max_total_bytes = 4u << 20;
  (void)docsign::sniff_ofd(in);
  auto entries = docsign::read_zip(in, limits);
  if (entries) {
    if (entries->size() > limits.max_entries) std::abort();
    std::uint64_t total = 0;
    std::set<std::string> names;
    for (const auto& e : *entries) {
      total += e.data.size();
      if (!docsign::check_zip_name(e.name).ok() || !names.insert(e.name).second) std::abort();
      (void)fuzz::touch(e.data);
    }
    if (total > limits.max_total_bytes) std::abort();
  }
  auto reports = docsign::verify_ofd(in, {}, limits);
  if (reports) {
    for (const auto& r : *reports) {
      if (r.ok()) std::abort();  // no root is trusted: nothing can be fully valid
      (void)fuzz::touch(r.signer_cert);
    }
  }
  return 0;
}
