// Validation, sealing labels and row mapping shared by the files that implement ShieldService
// (shield_service.cpp, shield_install.cpp, shield_certificates.cpp, shield_steps.cpp,
// shield_devices.cpp, shield_recovery.cpp). Internal to src/service/shield.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pki/profile.h"
#include "service/shield/shield_service.h"

namespace certseal::service::shield_internal {

inline constexpr std::size_t kAuthKeySize = 32;      // the device's unlock-proof key
inline constexpr std::size_t kSaltSize = 16;         // salt of the certificate password's derivation
inline constexpr std::size_t kRecoveryKeySize = 32;  // masks the device's recovery copy

// invalid_argument "invalid_field" naming the field.
Error field_error(const std::string& field, const std::string& msg);
Error key_not_found();
Error certificate_not_found();

// Product / key algorithms held as a two-party RSA key (crypto/rsa_split.h).
inline bool is_rsa_algorithm(std::string_view a) { return a == "rsa-2048" || a == "rsa-3072"; }
// Product / key algorithms held as a two-party ECDSA P-256 key (crypto/ecdsa_split.h).
inline bool is_ecdsa_algorithm(std::string_view a) { return a == "ec-p256"; }
// Keys whose shield_keys.public_key is an SPKI DER (RSA, P-256) rather than an SM2 point.
inline bool keeps_spki(std::string_view a) { return is_rsa_algorithm(a) || is_ecdsa_algorithm(a); }

// 8 to 64 of [A-Za-z0-9-_.].
bool valid_device_id(std::string_view id);
// Associated data of a sealed server secret: binds it to its key, device and purpose.
std::string aad(const std::string& key_id, const std::string& device_id, std::string_view what);
// What identifies a device's enrolment request: a retry sends the same device id and p1.
std::string request_hash(const DeviceEnrolment& d);
Status check_enrolment(const DeviceEnrolment& d);

// The certificate subject for an order: the verified organisation, or the buyer's verified name
// and ID number. failed_precondition when that verification is missing.
Result<pki::SubjectInfo> subject_for(store::Tx& tx, const std::string& account_id, const OrderView& o);
std::string profile_for(const OrderView& o);
int validity_days(const ProductView& p);
HeldCertificate held_from_row(const store::Row& r);

// Retires a key: it signs and decrypts no more, on any device (every device's server share and
// unlock key are deleted). Returns 0 when the key was retired already (its devices are cleared
// again all the same), 1 otherwise. `now` is the RFC 3339 time written to the rows.
Result<std::int64_t> retire_key(store::Tx& tx, const std::string& key_id, const std::string& now);

}  // namespace certseal::service::shield_internal
