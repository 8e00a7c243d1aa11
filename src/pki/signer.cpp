#include "pki/signer.h"

#include "pki/der.h"

namespace certseal::pki {

SigAlg sig_alg_for(crypto::KeyType t) {
  switch (t) {
    case crypto::KeyType::kSm2: return SigAlg::kSm2Sm3;
    case crypto::KeyType::kEcP256: return SigAlg::kEcdsaSha256;
    case crypto::KeyType::kRsa2048:
    case crypto::KeyType::kRsa3072: return SigAlg::kRsaSha256;
  }
  return SigAlg::kRsaSha256;
}

crypto::SignScheme sign_scheme(SigAlg a) {
  switch (a) {
    case SigAlg::kSm2Sm3: return crypto::SignScheme::kSm2Sm3;
    case SigAlg::kEcdsaSha256: return crypto::SignScheme::kEcdsaSha256;
    case SigAlg::kRsaSha256: return crypto::SignScheme::kRsaPkcs1Sha256;
  }
  return crypto::SignScheme::kRsaPkcs1Sha256;
}

crypto::HashAlg digest_alg(SigAlg a) {
  return a == SigAlg::kSm2Sm3 ? crypto::HashAlg::kSm3 : crypto::HashAlg::kSha256;
}

std::string_view sig_alg_oid(SigAlg a) {
  switch (a) {
    case SigAlg::kSm2Sm3: return "1.2.156.10197.1.501";
    case SigAlg::kEcdsaSha256: return "1.2.840.10045.4.3.2";
    case SigAlg::kRsaSha256: return "1.2.840.113549.1.1.11";
  }
  return "";
}

std::string_view sig_alg_name(SigAlg a) {
  switch (a) {
    case SigAlg::kSm2Sm3: return "sm2-sm3";
    case SigAlg::kEcdsaSha256: return "ecdsa-sha256";
    case SigAlg::kRsaSha256: return "rsa-sha256";
  }
  return "";
}

std::string_view digest_oid(crypto::HashAlg h) {
  switch (h) {
    case crypto::HashAlg::kSm3: return "1.2.156.10197.1.401";
    case crypto::HashAlg::kSha256: return "2.16.840.1.101.3.4.2.1";
    case crypto::HashAlg::kSha384: return "2.16.840.1.101.3.4.2.2";
  }
  return "";
}

Bytes algorithm_identifier(SigAlg a) {
  Bytes o = der::oid_or_die(sig_alg_oid(a));
  if (a == SigAlg::kRsaSha256) return der::seq({o, der::null()});
  return der::seq({o});
}

Bytes digest_algorithm_identifier(crypto::HashAlg h) { return der::seq({der::oid_or_die(digest_oid(h))}); }

Result<Bytes> LocalSigner::sign(BytesView tbs) {
  return crypto::sign(key_, sign_scheme(sig_alg_for(key_.type())), tbs, sm2_id_);
}

Result<Bytes> sign_structure(Signer& signer, BytesView tbs, BytesView trailer) {
  CS_ASSIGN(Bytes sig, signer.sign(tbs));
  Bytes alg = algorithm_identifier(signer.sig_alg());
  return der::seq({tbs, alg, der::bit_string(sig), trailer});
}

Status verify_signature(BytesView spki_der, SigAlg alg, BytesView tbs, BytesView sig, std::string_view sm2_id) {
  CS_ASSIGN(auto key, crypto::PublicKey::from_spki_der(spki_der));
  bool fits = (alg == SigAlg::kSm2Sm3 && key.type() == crypto::KeyType::kSm2) ||
              (alg == SigAlg::kEcdsaSha256 && key.type() == crypto::KeyType::kEcP256) ||
              (alg == SigAlg::kRsaSha256 &&
               (key.type() == crypto::KeyType::kRsa2048 || key.type() == crypto::KeyType::kRsa3072));
  if (!fits) return invalid_argument("signature_invalid", "the signature algorithm does not fit the key");
  return crypto::verify(key, sign_scheme(alg), tbs, sig, sm2_id);
}

Result<SigAlg> sig_alg_from_oid(std::string_view dotted) {
  for (SigAlg a : {SigAlg::kSm2Sm3, SigAlg::kEcdsaSha256, SigAlg::kRsaSha256}) {
    if (sig_alg_oid(a) == dotted) return a;
  }
  return invalid_argument("unsupported_signature_algorithm",
                          "unsupported signature algorithm " + std::string(dotted));
}

}  // namespace certseal::pki
