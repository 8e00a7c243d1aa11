// Two-party SM2 messages (crypto/cosign.h, crypto/pairing.h) as each side receives them from the
// other through the server: every message type decoded from the input and, when it decodes, the
// receiving side's step run with a fixed key pair made at start-up. A step either refuses
// (bad point, scalar out of range, bad message) or returns a value of the promised size.
#include <cstdlib>

#include "base/rng.h"
#include "crypto/cosign.h"
#include "crypto/pairing.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;
using namespace certseal::crypto;

namespace {

struct Keys {
  cosign::DeviceShare device;
  cosign::ServerShare server;
};

const Keys& keys() {
  static const Keys k = [] {
    SeededRng rng(7);
    auto start = cosign::device_keygen_start(rng);
    auto server = cosign::server_keygen(start.request, rng);
    if (!server) std::abort();
    auto device = cosign::device_keygen_finish(std::move(start.state), server->response);
    if (!device) std::abort();
    return Keys{std::move(device).value(), std::move(server->share)};
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Keys& k = keys();
  SeededRng rng(size);
  fuzz::FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  BytesView msg = in.rest();
  switch (mode % 10) {
    case 0:  // server: a keygen request from a device
      if (auto r = cosign::KeygenRequest::decode(msg)) (void)cosign::server_keygen(*r, rng);
      break;
    case 1: {  // device: the keygen answer
      auto start = cosign::device_keygen_start(rng);
      if (auto r = cosign::KeygenResponse::decode(msg)) (void)cosign::device_keygen_finish(std::move(start.state), *r);
      break;
    }
    case 2:  // server: a signing request
      if (auto r = cosign::SignRequest::decode(msg)) {
        auto s = cosign::server_sign(k.server, *r, rng);
        if (s) (void)s->encode();
      }
      break;
    case 3: {  // device: the signing answer
      const Bytes m = {'m'};
      auto start = cosign::device_sign_start(k.device, m, kSm2DefaultId, rng);
      if (!start) std::abort();
      if (auto r = cosign::SignResponse::decode(msg)) {
        auto sig = cosign::device_sign_finish(k.device, std::move(start->state), *r, m, kSm2DefaultId);
        if (sig && sig->size() != 64) std::abort();
      }
      break;
    }
    case 4:  // server: a decryption request
      if (auto r = cosign::DecryptRequest::decode(msg)) (void)cosign::server_decrypt(k.server, *r);
      break;
    case 5: {  // device: a ciphertext to decrypt, then the server's answer from the same input
      fuzz::FuzzInput parts(msg.data(), msg.size());
      BytesView cipher = parts.field();
      auto start = cosign::device_decrypt_start(k.device, cipher, Sm2CipherOrder::kC1C3C2, rng);
      if (!start) break;
      if (auto r = cosign::DecryptResponse::decode(parts.rest())) {
        (void)cosign::device_decrypt_finish(k.device, std::move(start->state), *r);
      }
      break;
    }
    case 6:  // server: a refresh (first half of adding a device)
      if (auto r = cosign::RefreshRequest::decode(msg)) (void)cosign::server_refresh(k.server, *r);
      break;
    case 7:  // server: a join from a new device
      if (auto r = cosign::JoinRequest::decode(msg)) (void)cosign::server_join(k.server, *r);
      break;
    case 8: {  // shares read back from storage
      (void)cosign::DeviceShare::import_bytes(msg);
      (void)cosign::ServerShare::import_bytes(msg);
      break;
    }
    default: {  // pairing: the code typed by a person, and the envelope relayed by the server
      const auto b = pairing::new_device_start(rng);
      const pairing::PairingContext ctx{"pairing-1", "device-1"};
      fuzz::FuzzInput parts(msg.data(), msg.size());
      BytesView code = parts.field();
      (void)pairing::parse_code(std::string_view(reinterpret_cast<const char*>(code.data()), code.size()));
      (void)pairing::new_device_join(b, ctx, parts.rest(), rng);
      break;
    }
  }
  return 0;
}
