// Hardware and file-based tokens (`certseal token …`, docs/CLI.md): the PKCS#11 modules
// registered with p11-kit (SoftHSM2 for file tokens, OpenSC for smart cards, a vendor's module for
// a Bluetooth key), or one module named by path, their tokens, the certificates in them, and the
// few changes a holder makes: change the user PIN, delete a certificate, keep a seal picture as a
// data object.
//
// Ownership: Tokens loads and initialises the modules when opened and finalises and releases
// them when destroyed (p11-kit's managed modules: each caller gets its own initialisation).
// Sessions are opened per call and closed before it returns (RAII). Not thread-safe.
// Errors: p11_load (no module could be loaded), token_not_found, object_not_found, pin_incorrect,
// pin_locked, pin_invalid (a new PIN the token refuses), pkcs11 (any other CKR_*, named in the
// message).
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::client {

struct TokenRef {
  std::string module;  // the module's p11-kit name, or its file name
  CK_FUNCTION_LIST* functions = nullptr;
  CK_SLOT_ID slot = 0;
  std::string label, manufacturer, model, serial;
  bool login_required = false, protected_path = false, write_protected = false;
};

struct TokenCertificate {
  std::string label;
  Bytes id, der;
};

// The seal picture on a token: a CKO_DATA object of this application.
inline constexpr std::string_view kSealPictureApplication = "CertSeal seal picture";

class Tokens {
 public:
  // module_path empty: every module registered with p11-kit; else only that module.
  static Result<std::unique_ptr<Tokens>> open(const std::string& module_path);
  ~Tokens();
  Tokens(const Tokens&) = delete;
  Tokens& operator=(const Tokens&) = delete;

  Result<std::vector<TokenRef>> list();
  // The token with this label (or serial), else token_not_found; the only token when label is
  // empty and there is exactly one (else a usage error naming them).
  Result<TokenRef> find(const std::string& label);
  Result<std::vector<TokenCertificate>> certificates(const TokenRef& t);
  // label or hex id names the certificate (one of them).
  Result<TokenCertificate> certificate(const TokenRef& t, const std::string& label,
                                       const std::string& id_hex);
  Status change_pin(const TokenRef& t, const SecretString& old_pin, const SecretString& new_pin);
  // Logs in with the PIN and destroys the certificate object (keys stay).
  Status delete_certificate(const TokenRef& t, const SecretString& pin, const std::string& label,
                            const std::string& id_hex);
  // Writes (replacing one of the same label) a private data object holding the bytes.
  Status write_picture(const TokenRef& t, const SecretString& pin, const std::string& label,
                       BytesView picture);
  Result<Bytes> read_picture(const TokenRef& t, const SecretString& pin, const std::string& label);

  // Self-service certificates: an EC P-256 key pair generated inside the token (private key
  // sensitive, not extractable, so CKA_NEVER_EXTRACTABLE), with CKA_ID = SHA-1 of its public
  // point. Returns the SubjectPublicKeyInfo DER.
  Result<Bytes> generate_key(const TokenRef& t, const SecretString& pin, const std::string& label);
  // ECDSA of SHA-256(message) with the private key whose CKA_ID is key_id: DER signature.
  Result<Bytes> sign_sha256(const TokenRef& t, const SecretString& pin, BytesView key_id,
                            BytesView message);
  // Whether the token holds a private key with this CKA_ID.
  Result<bool> has_private_key(const TokenRef& t, BytesView key_id);
  // Stores a certificate with the CKA_ID of its key and removes the token's other certificates
  // of that key (a renewal replaces the old one). Nothing changes when that exact certificate is
  // there already (returns false).
  Result<bool> install_certificate(const TokenRef& t, const SecretString& pin, BytesView der,
                                   BytesView key_id, const std::string& label);
  // Attributes of the private key with this CKA_ID (CKA_SENSITIVE, CKA_EXTRACTABLE,
  // CKA_NEVER_EXTRACTABLE, CKA_LOCAL), for showing the user where the key lives.
  Result<std::vector<std::pair<std::string, bool>>> private_key_flags(const TokenRef& t,
                                                                      const SecretString& pin,
                                                                      BytesView key_id);

 private:
  Tokens() = default;
  struct Module {
    std::string name;
    CK_FUNCTION_LIST* functions = nullptr;
  };
  std::vector<Module> modules_;
  CK_FUNCTION_LIST** registered_ = nullptr;  // p11-kit's array when all modules were loaded
  CK_FUNCTION_LIST* single_ = nullptr;       // the module loaded by path
};

// A CKR_* value by its name (for messages).
std::string ckr_name(CK_RV rv);

}  // namespace certseal::client
