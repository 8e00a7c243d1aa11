// The fixed two-party P-256 key the ecdsa_split target runs every step with, made the same way
// by fuzz_seeds (so the seeds it writes are answers to exactly this key): key generation from
// SeededRng(7) with the context kContext, accepted by the server, finished by the device.
#pragma once

#include <cstdlib>
#include <string_view>

#include "base/rng.h"
#include "crypto/ecdsa_split.h"

namespace certseal::fuzz {

inline constexpr std::string_view kEcdsaContext = "device-fuzz";

struct EcdsaKeys {
  crypto::ecdsa_split::KeygenStart start;  // the enrolment the device sent (and its state)
  crypto::ecdsa_split::Accepted accepted;  // the server's share and Q
  crypto::ecdsa_split::DeviceShare device;
};

inline EcdsaKeys make_ecdsa_keys() {
  namespace es = crypto::ecdsa_split;
  SeededRng rng(7);
  auto start = es::device_keygen_start(kEcdsaContext, rng);
  if (!start) std::abort();
  auto accepted = es::server_accept(start->request, kEcdsaContext, rng);
  if (!accepted) std::abort();
  auto device = es::device_keygen_finish(start->state, accepted->public_point);
  if (!device) std::abort();
  return EcdsaKeys{std::move(start).value(), std::move(accepted).value(), std::move(device).value()};
}

}  // namespace certseal::fuzz
