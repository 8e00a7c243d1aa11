// The DER reader (pki/der.h read_tlv), checked against OpenSSL's ASN1_get_object: walks the input
// as nested TLVs; wherever ours accepts a TLV, OpenSSL must read the same tag, header and length;
// wherever OpenSSL refuses, ours must too. Ours is stricter (DER only: minimal lengths, no
// indefinite length, no high tag numbers), so a TLV only OpenSSL accepts is fine.
#include <openssl/asn1.h>

#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "pki/der.h"

using namespace certseal;

namespace {

void check_against_openssl(BytesView in, const pki::der::Tlv& t) {
  const unsigned char* p = in.data();
  long len = 0;
  int tag = 0, cls = 0;
  const int r = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(in.size()));
  if (r & 0x80) std::abort();  // OpenSSL refuses what ours read
  const std::size_t header = static_cast<std::size_t>(p - in.data());
  if (header != t.header || static_cast<std::size_t>(len) != t.length) std::abort();
  const int constructed = (r & V_ASN1_CONSTRUCTED) ? 0x20 : 0;
  if ((cls | constructed | tag) != t.tag) std::abort();
}

void walk(BytesView in, int depth) {
  while (!in.empty()) {
    auto t = pki::der::read_tlv(in);
    if (!t) return;
    check_against_openssl(in, *t);
    BytesView content = t->content(in);
    (void)fuzz::touch(content);
    if ((t->tag & 0x20) && depth < 32) walk(content, depth + 1);
    in = in.subspan(t->total());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  walk(BytesView(data, size), 0);
  return 0;
}
