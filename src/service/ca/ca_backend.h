// CaBackend: who signs for a CA. The certificate contents (serial, validity, subject, extensions)
// are decided by the CA service and the profile pipeline; the backend only turns a template into a
// signed certificate or CRL. LocalCaBackend signs with the issuing key held in a
// keystore::KeyManager (software or PKCS#11). An external CA (a vendor API, CMP, EST) plugs in
// by implementing this interface and returning the DER it got back (docs/PKI.md).
//
// Contract: implementations are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "keystore/key_manager.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/signer.h"

namespace certseal::service::ca {

// pki::Signer over one key of a KeyManager (SM2 keys sign with the configured signer ID).
class KeyManagerSigner final : public pki::Signer {
 public:
  KeyManagerSigner(keystore::KeyManager& km, std::string key_id, crypto::KeyType type, std::string sm2_id)
      : km_(km), key_id_(std::move(key_id)), type_(type), sm2_id_(std::move(sm2_id)) {}
  crypto::KeyType key_type() const override { return type_; }
  std::string_view sm2_id() const override { return sm2_id_; }
  Result<Bytes> sign(BytesView tbs) override;
  const std::string& key_id() const { return key_id_; }

 private:
  keystore::KeyManager& km_;
  std::string key_id_;
  crypto::KeyType type_;
  std::string sm2_id_;
};

class CaBackend {
 public:
  virtual ~CaBackend() = default;
  virtual std::string_view kind() const = 0;  // "local", ...
  virtual Result<Bytes> issue_certificate(const pki::CertTemplate& tpl) = 0;
  virtual Result<Bytes> issue_crl(const pki::CrlTemplate& tpl) = 0;
};

class LocalCaBackend final : public CaBackend {
 public:
  LocalCaBackend(keystore::KeyManager& km, std::string issuing_key_id, crypto::KeyType type, std::string sm2_id)
      : signer_(km, std::move(issuing_key_id), type, std::move(sm2_id)) {}
  std::string_view kind() const override { return "local"; }
  Result<Bytes> issue_certificate(const pki::CertTemplate& tpl) override {
    return pki::issue_certificate(tpl, signer_);
  }
  Result<Bytes> issue_crl(const pki::CrlTemplate& tpl) override { return pki::issue_crl(tpl, signer_); }

 private:
  KeyManagerSigner signer_;
};

}  // namespace certseal::service::ca
