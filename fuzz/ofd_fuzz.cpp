// OFD packages (GB/T 33190) as a relying party or anyone with `certseal verify` hands them in: the
// ZIP reader (ofd_zip.h) under small limits, the package and its XML (ofd_package.h, ofd_xml.h),
// and the verifier of its §18 signatures (ofd_verifier.h, SES_Signature per GB/T 38540). What the
// reader returns must keep within the limits and pass the name check it promises.
#include <cstdlib>
#include <set>

#include "docsign/ofd_package.h"
#include "docsign/ofd_verifier.h"
#include "docsign/ofd_zip.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const BytesView in(data, size);
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
