// GB/T 38540 seal data (SESeal v4 and v1) as found in uploaded or relayed documents: parsed by
// seal/seseal.h and, when it parses, the maker's signature checked. The bytes the signature covers
// must lie inside the input's own encoding.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "seal/seseal.h"

using namespace certseal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto seal = seal::parse_seseal(BytesView(data, size));
  if (!seal) return 0;
  if (seal->to_be_signed.size() > size + 16 || seal->seal_info_der.size() > size) std::abort();
  (void)fuzz::touch(seal->maker_certificate);
  (void)fuzz::touch(seal->signature);
  (void)seal::verify_maker_signature(*seal);
  return 0;
}
