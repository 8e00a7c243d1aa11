// Certificate profiles: each is a pipeline of steps (validators and modifiers) run over a
// CertTemplate before the CA signs it (ARCHITECTURE.md: "Issuance policy is a pipeline of
// validators and modifiers per certificate profile, not branches inside the signer").
//
// Subject contents follow GM/T 0015-2012 practice: a person's certificate carries the name (CN)
// and the identity code (身份标识码) in the private extension 1.2.156.10260.4.1.1; an
// organisation's carries its name (O, CN) and the unified social credit code (GB 32100) as
// organizationIdentifier (2.5.4.97) and in the extension 1.2.156.10260.4.1.4. All profiles follow
// RFC 5280: AKI/SKI, key usage, extended key usage where the use needs it, CRL distribution point,
// AIA (OCSP and CA issuer), certificate policies.
//
// Contract: profiles are immutable after start; find_profile() is thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/pkey.h"
#include "pki/certificate.h"

namespace certseal::pki {

struct SubjectInfo {
  std::string common_name;
  std::string organization;
  std::string organizational_unit;
  std::string country = "CN";
  std::string province, locality;
  std::string email;
  std::string identity_code;  // person: resident ID number (GB 11643) or another identity code
  std::string uscc;           // organisation: unified social credit code (GB 32100)
};

// What the CA service adds around a profile: URLs, the issuer's key id, validity.
struct IssuanceContext {
  SubjectInfo subject;
  Bytes spki;
  crypto::KeyType key_type = crypto::KeyType::kSm2;
  crypto::KeyType ca_key_type = crypto::KeyType::kSm2;
  int validity_days = 365;
};

struct ProfileState {
  const IssuanceContext& in;
  CertTemplate& tpl;
  std::vector<NameEntry> subject;
};

using ProfileStep = std::function<Status(ProfileState&)>;

struct Profile {
  std::string id;           // "personal_sign", ...
  std::string description;
  int max_validity_days = 1825;
  std::vector<ProfileStep> steps;
};

const Profile* find_profile(std::string_view id);
std::vector<std::string> profile_ids();

// Runs the pipeline: fills tpl.subject, key usage, EKU, policies, private extensions. Errors are
// kInvalidArgument with field errors ("subject_incomplete", "key_not_allowed", "bad_identity_code",
// "bad_uscc", "validity_too_long").
Status apply_profile(const Profile& p, const IssuanceContext& in, CertTemplate& tpl);

// Check digits: GB 11643 (18-character resident ID) and GB 32100 (unified social credit code).
bool valid_resident_id(std::string_view id);
bool valid_uscc(std::string_view code);

}  // namespace certseal::pki
