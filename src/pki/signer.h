// The one thing the CA needs from a private key: a signature over bytes. The service layer adapts
// a keystore::KeyManager key (software or PKCS#11) to this interface; tests and benchmarks use
// LocalSigner over an in-process key. pki/ never sees where the key lives.
//
// Signature algorithms (AlgorithmIdentifier DER, RFC 5280 §4.1.1.2):
//   SM2-with-SM3  1.2.156.10197.1.501 (GM/T 0006, no parameters)
//   ECDSA-SHA256  1.2.840.10045.4.3.2 (RFC 5758 §3.2, no parameters)
//   RSA-SHA256    1.2.840.113549.1.1.11 (RFC 4055 §5, NULL parameters)
// SM2 signer ID: GM/T 0009 / GB/T 35276 §5.1 say 1234567812345678 (crypto::kSm2DefaultId), and
// that is what GmSSL, Tongsuo, BouncyCastle and sm-crypto assume. OpenSSL 3.0 (Debian 12) instead
// signs and verifies SM2 in certificates, CRLs, CSRs and OCSP with an EMPTY ID unless told
// otherwise (pinned by PkiSm2Id.OpensslCliDefaultIdIsEmpty), and `openssl ocsp` / `openssl ts`
// cannot be told. So the ID is a property of the signer (per CA: ca.<id>.sm2_id, docs/PKI.md).
//
// Contract: sign() may be called from several threads when the implementation says so
// (KeyManager-backed and LocalSigner are thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"

namespace certseal::pki {

enum class SigAlg { kSm2Sm3, kEcdsaSha256, kRsaSha256 };

SigAlg sig_alg_for(crypto::KeyType t);
crypto::SignScheme sign_scheme(SigAlg a);
crypto::HashAlg digest_alg(SigAlg a);  // SM3 or SHA-256
std::string_view sig_alg_oid(SigAlg a);
std::string_view sig_alg_name(SigAlg a);  // sm2-sm3 | ecdsa-sha256 | rsa-sha256 (the API's names)
std::string_view digest_oid(crypto::HashAlg h);
Bytes algorithm_identifier(SigAlg a);
Bytes digest_algorithm_identifier(crypto::HashAlg h);  // no parameters (RFC 5754 §2)

class Signer {
 public:
  virtual ~Signer() = default;
  virtual crypto::KeyType key_type() const = 0;
  // The signature value as it goes into a BIT STRING / OCTET STRING: DER SEQUENCE{r,s} for SM2 and
  // ECDSA, the raw PKCS#1 v1.5 block for RSA.
  virtual Result<Bytes> sign(BytesView tbs) = 0;
  SigAlg sig_alg() const { return sig_alg_for(key_type()); }
  // The SM2 signer ID used (ignored for other keys).
  virtual std::string_view sm2_id() const { return crypto::kSm2DefaultId; }
};

class LocalSigner final : public Signer {
 public:
  explicit LocalSigner(const crypto::PrivateKey& key, std::string sm2_id = std::string(crypto::kSm2DefaultId))
      : key_(key), sm2_id_(std::move(sm2_id)) {}
  crypto::KeyType key_type() const override { return key_.type(); }
  Result<Bytes> sign(BytesView tbs) override;
  std::string_view sm2_id() const override { return sm2_id_; }

 private:
  const crypto::PrivateKey& key_;
  std::string sm2_id_;
};

// SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }: the outer shape shared by
// Certificate (RFC 5280 §4.1), CertificateList (§5.1) and BasicOCSPResponse (RFC 6960 §4.2.1,
// which appends `trailer`, e.g. the [0] certs field).
Result<Bytes> sign_structure(Signer& signer, BytesView tbs, BytesView trailer = {});

// Verifies a signature made with `alg` by `spki` (for CSRs and tests).
Status verify_signature(BytesView spki_der, SigAlg alg, BytesView tbs, BytesView sig,
                        std::string_view sm2_id = crypto::kSm2DefaultId);
// Maps an AlgorithmIdentifier's OID text to SigAlg ("unsupported_signature_algorithm").
Result<SigAlg> sig_alg_from_oid(std::string_view dotted);

}  // namespace certseal::pki
