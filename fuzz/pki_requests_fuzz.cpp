// What anyone may send the CA's public endpoints and the order flow: certificate requests
// (PEM or DER), OCSP requests and RFC 3161 time-stamp requests. The first byte picks the parser.
// A request that parses must give fields that hold together (what the CA would go on to use).
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "pki/csr.h"
#include "pki/ocsp.h"
#include "pki/tsp.h"

using namespace certseal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  switch (in.byte() % 3) {
    case 0: {
      auto csr = pki::parse_csr(in.rest());
      if (csr) (void)fuzz::touch(csr->spki);
      break;
    }
    case 1: {
      auto req = pki::parse_ocsp_request(in.rest());
      if (req) {
        if (req->ids.empty()) std::abort();  // "no CertID" must be refused
        for (const auto& id : req->ids) (void)fuzz::touch(id.serial);
      }
      break;
    }
    default: {
      auto req = pki::parse_ts_request(in.rest(), "1.2.3.4.1");
      if (req) (void)fuzz::touch(req->message_imprint);
      break;
    }
  }
  return 0;
}
