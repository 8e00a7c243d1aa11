// Two-party ECDSA P-256 and its Paillier layer (crypto/ecdsa_split.h, crypto/paillier.h): every
// message each side parses from the other, decoded from the input and, when it decodes, the
// receiving side's step run with a fixed key (fuzz/ecdsa_split_keys.h, made at start-up):
//   server  the device's enrolment (modulus and range proofs), a signing request, an ECDH request;
//           its own stored share read back
//   device  the server's Q at key generation, a signing answer (R2, c3: Paillier decryption of a
//           ciphertext the server chose), an ECDH answer after the sender's ephemeral point
//   paillier a modulus and a ciphertext from anyone (from_modulus, valid_ciphertext, decrypt,
//           the homomorphic operations the server runs over a stored ckey)
// A step either refuses or returns a value of the promised shape: a device signature verifies
// (the step verifies it itself; here: it is a DER SEQUENCE), an ECDH secret is 32 bytes, a
// decryption is below N, an accepted enrolment gives a 65-byte point.
#include <cstdlib>

#include "base/rng.h"
#include "crypto/bn_codec.h"
#include "crypto/ecdsa_split.h"
#include "crypto/paillier.h"
#include "fuzz/ecdsa_split_keys.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;
namespace es = certseal::crypto::ecdsa_split;
namespace paillier = certseal::crypto::paillier;

namespace {

struct Fixed {
  fuzz::EcdsaKeys keys;
  paillier::SecretKey paillier_key;  // the device's, from its seed
};

const Fixed& fixed() {
  static const Fixed f = [] {
    fuzz::EcdsaKeys k = fuzz::make_ecdsa_keys();
    auto sk = paillier::SecretKey::from_seed(k.device.seed());
    if (!sk) std::abort();
    return Fixed{std::move(k), std::move(sk).value()};
  }();
  return f;
}

void paillier_ops(BytesView msg) {
  const auto& sk = fixed().paillier_key;
  fuzz::FuzzInput parts(msg.data(), msg.size());
  const std::uint8_t which = parts.byte();
  BytesView a = parts.take(static_cast<std::size_t>(parts.byte()) * 4);
  BytesView b = parts.rest();
  crypto::BnCtx ctx = crypto::bn_ctx_new();
  if (which & 1) {
    // A modulus from anyone (a stored share's N), then the server's operations over ckey = b.
    auto pk = paillier::PublicKey::from_modulus(a);
    if (!pk) return;
    crypto::Bignum c = crypto::bn_codec::bn(b);
    (void)pk->valid_ciphertext(c.get(), ctx.get());
    if (c && BN_cmp(c.get(), pk->n_squared()) < 0) {
      crypto::Bignum k = crypto::bn_codec::bn(a.first(a.size() < 32 ? a.size() : 32));
      (void)pk->scale(c.get(), k.get(), ctx.get());
      (void)pk->add(c.get(), c.get(), ctx.get());
    }
    return;
  }
  // A ciphertext for the device's key.
  crypto::Bignum c = crypto::bn_codec::bn(b);
  auto m = sk.decrypt(c.get(), ctx.get());
  if (m && BN_cmp(m->get(), sk.public_key().n()) >= 0) std::abort();
}

}  // namespace

// The fixed key is made before the first input (key generation and its proofs take seconds,
// which must not count against an input's time limit).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fixed();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixed& f = fixed();
  const auto& k = f.keys;
  SeededRng rng(size);
  fuzz::FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  BytesView msg = in.rest();
  switch (mode % 8) {
    case 0:  // server: a device's enrolment
      if (auto r = es::EnrolRequest::decode(msg)) {
        auto a = es::server_accept(*r, fuzz::kEcdsaContext, rng);
        if (a && a->public_point.size() != es::kPointSize) std::abort();
      }
      break;
    case 1: {  // device: the server's Q at key generation
      auto d = es::device_keygen_finish(k.start.state, msg);
      if (d) (void)fuzz::touch(d->public_point());
      break;
    }
    case 2:  // server: a signing request
      if (auto r = es::SignRequest::decode(msg)) {
        auto s = es::server_sign(k.accepted.share, *r, rng);
        if (s) (void)s->encode();
      }
      break;
    case 3: {  // device: the signing answer
      const Bytes digest(32, 0x5a);
      auto start = es::device_sign_start(k.device, digest, rng);
      if (!start) std::abort();
      if (auto r = es::SignResponse::decode(msg)) {
        auto sig = es::device_sign_finish(k.device, start->state, *r);
        if (sig && (sig->size() < 8 || (*sig)[0] != 0x30)) std::abort();
      }
      break;
    }
    case 4:  // server: an ECDH request
      if (auto r = es::EcdhRequest::decode(msg)) {
        auto t2 = es::server_ecdh(k.accepted.share, *r);
        if (t2 && t2->t2.size() != es::kPointSize) std::abort();
      }
      break;
    case 5: {  // device: the sender's ephemeral point, then the server's ECDH answer
      fuzz::FuzzInput parts(msg.data(), msg.size());
      BytesView peer = parts.take(es::kPointSize);
      auto start = es::device_ecdh_start(k.device, peer, rng);
      if (!start) break;
      if (auto r = es::EcdhResponse::decode(parts.rest())) {
        auto z = es::device_ecdh_finish(k.device, start->state, *r);
        if (z && z->size() != 32) std::abort();
      }
      break;
    }
    case 6: {  // shares read back from storage, and the device's share from its parts
      if (auto s = es::ServerShare::import_bytes(msg)) {
        const es::SignRequest req{Bytes(32, 1), k.start.request.q1};
        (void)es::server_sign(*s, req, rng);
      }
      fuzz::FuzzInput parts(msg.data(), msg.size());
      BytesView secret = parts.take(es::kSecretSize);
      (void)es::DeviceShare::from_parts(secret, parts.rest());
      (void)es::EnrolRequest::is_ecdsa_enrolment(msg);
      (void)es::ServerShare::is_ecdsa_share(msg);
      break;
    }
    default:
      paillier_ops(msg);
      break;
  }
  return 0;
}
