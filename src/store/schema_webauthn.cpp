// Unlocking mobile-shield steps with a platform authenticator (指纹/面容替代手机盾密码, docs/SHIELD.md
// "Unlocking with a platform authenticator"). Versions 1200-1299.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> webauthn_migrations() {
  return {
      // 1200: one enrolled credential per device of a key: its id (base64url, as the browser
      // gives it back in every assertion), its P-256 public key (SubjectPublicKeyInfo DER, sealed
      // under the platform's master key like the device's auth key, so a changed row does not
      // verify) and the authenticator's signature counter, which must grow with every assertion.
      // Dropped with a password change, a recovery, and the device's removal.
      {1200, "shield_webauthn",
       R"sql(
CREATE TABLE shield_webauthn (
  key_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  credential_id TEXT NOT NULL,
  public_key_enc BLOB NOT NULL,
  sign_count BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, device_id)
);
)sql",
       ""},
  };
}

}  // namespace certseal::store
