#include "pki/profile.h"

#include <map>

#include "pki/der.h"

namespace certseal::pki {
namespace {

Error field_error(std::string code, std::string field, std::string detail) {
  return invalid_argument(code, detail).with_field(std::move(field), std::move(code), detail);
}

// ---- validators ----
ProfileStep require(std::string SubjectInfo::*member, std::string field) {
  return [member, field](ProfileState& s) -> Status {
    if ((s.in.subject.*member).empty()) {
      return field_error("subject_incomplete", "subject." + field, "the subject needs " + field);
    }
    return {};
  };
}

ProfileStep identity_code() {
  return [](ProfileState& s) -> Status {
    const std::string& c = s.in.subject.identity_code;
    if (c.empty()) return field_error("subject_incomplete", "subject.identity_code", "the subject needs identity_code");
    if (c.size() == 18 && !valid_resident_id(c)) {
      return field_error("bad_identity_code", "subject.identity_code", "the ID number's check digit is wrong (GB 11643)");
    }
    if (c.size() > 64) return field_error("bad_identity_code", "subject.identity_code", "identity code too long");
    return {};
  };
}

ProfileStep uscc() {
  return [](ProfileState& s) -> Status {
    const std::string& c = s.in.subject.uscc;
    if (c.empty()) return field_error("subject_incomplete", "subject.uscc", "the subject needs uscc");
    if (!valid_uscc(c)) {
      return field_error("bad_uscc", "subject.uscc", "not a valid unified social credit code (GB 32100)");
    }
    return {};
  };
}

// SM2 CAs certify SM2 keys; international CAs certify P-256 and RSA 2048/3072. Other sizes and
// curves never get here: PublicKey::from_spki_der refuses them.
ProfileStep key_fits_ca() {
  return [](ProfileState& s) -> Status {
    bool sm2_ca = s.in.ca_key_type == crypto::KeyType::kSm2;
    bool sm2_key = s.in.key_type == crypto::KeyType::kSm2;
    if (sm2_ca != sm2_key) {
      return field_error("key_not_allowed", "public_key",
                         sm2_ca ? "this CA certifies SM2 keys only" : "this CA certifies P-256 and RSA keys only");
    }
    return {};
  };
}

ProfileStep validity_cap() {
  return [](ProfileState& s) -> Status {
    if (s.in.validity_days < 1) return field_error("bad_validity", "validity_days", "validity must be at least one day");
    return {};
  };
}

// ---- modifiers ----
ProfileStep person_subject() {
  return [](ProfileState& s) -> Status {
    const auto& sub = s.in.subject;
    s.subject.push_back({"C", sub.country.empty() ? "CN" : sub.country});
    if (!sub.province.empty()) s.subject.push_back({"ST", sub.province});
    if (!sub.locality.empty()) s.subject.push_back({"L", sub.locality});
    if (!sub.organization.empty()) s.subject.push_back({"O", sub.organization});
    if (!sub.organizational_unit.empty()) s.subject.push_back({"OU", sub.organizational_unit});
    s.subject.push_back({"CN", sub.common_name});
    if (!sub.email.empty()) s.subject.push_back({"emailAddress", sub.email});
    return {};
  };
}

ProfileStep org_subject() {
  return [](ProfileState& s) -> Status {
    const auto& sub = s.in.subject;
    s.subject.push_back({"C", sub.country.empty() ? "CN" : sub.country});
    if (!sub.province.empty()) s.subject.push_back({"ST", sub.province});
    if (!sub.locality.empty()) s.subject.push_back({"L", sub.locality});
    s.subject.push_back({"O", sub.organization});
    if (!sub.organizational_unit.empty()) s.subject.push_back({"OU", sub.organizational_unit});
    s.subject.push_back({"2.5.4.97", sub.uscc});
    s.subject.push_back({"CN", sub.common_name.empty() ? sub.organization : sub.common_name});
    return {};
  };
}

ProfileStep service_subject() {
  return [](ProfileState& s) -> Status {
    const auto& sub = s.in.subject;
    s.subject.push_back({"C", sub.country.empty() ? "CN" : sub.country});
    if (!sub.organization.empty()) s.subject.push_back({"O", sub.organization});
    s.subject.push_back({"CN", sub.common_name});
    return {};
  };
}

ProfileStep identity_extension() {
  return [](ProfileState& s) -> Status {
    s.tpl.extra.push_back({std::string(kOidIdentifyCode), false, der::printable(s.in.subject.identity_code)});
    return {};
  };
}

ProfileStep org_code_extension() {
  return [](ProfileState& s) -> Status {
    s.tpl.extra.push_back({std::string(kOidOrganizationCode), false, der::printable(s.in.subject.uscc)});
    return {};
  };
}

ProfileStep usage(std::uint32_t ku, std::vector<std::string> eku, bool eku_critical = false) {
  return [ku, eku, eku_critical](ProfileState& s) -> Status {
    s.tpl.key_usage = ku;
    s.tpl.ext_key_usage = eku;
    s.tpl.eku_critical = eku_critical;
    return {};
  };
}

// The mobile shield's certificates sign and also open what is encrypted to them (scenes 14 and
// 16 use the one certificate a person holds): the key usage says so, by how the key takes part.
// RSA and SM2 keys have content keys encrypted to them (key transport); P-256 keys agree on them
// (ECDH, RFC 5753).
ProfileStep deciphers_too() {
  return [](ProfileState& s) -> Status {
    s.tpl.key_usage |= s.in.key_type == crypto::KeyType::kEcP256 ? kKeyAgreement : kKeyEncipherment;
    return {};
  };
}

// Encryption certificates: RSA keys encipher keys; EC keys (SM2, P-256) agree on them.
ProfileStep encryption_usage() {
  return [](ProfileState& s) -> Status {
    bool rsa = s.in.key_type == crypto::KeyType::kRsa2048 || s.in.key_type == crypto::KeyType::kRsa3072;
    s.tpl.key_usage = rsa ? (kKeyEncipherment | kDataEncipherment) : (kKeyEncipherment | kDataEncipherment | kKeyAgreement);
    return {};
  };
}

ProfileStep policy(std::string suffix) {
  return [suffix](ProfileState& s) -> Status {
    s.tpl.policies.push_back(std::string(kOidPolicyBase) + "." + suffix);
    return {};
  };
}

ProfileStep ocsp_no_check() {
  return [](ProfileState& s) -> Status {
    s.tpl.ocsp_no_check = true;
    return {};
  };
}

std::vector<Profile> build_profiles() {
  const std::string kClient(kOidEkuClientAuth), kEmail(kOidEkuEmailProtection);
  std::vector<Profile> p;
  p.push_back({"personal_sign", "personal signing certificate (个人签名证书)", 1825,
               {require(&SubjectInfo::common_name, "common_name"), identity_code(), key_fits_ca(), validity_cap(),
                person_subject(), identity_extension(), usage(kDigitalSignature | kNonRepudiation, {kClient, kEmail}),
                deciphers_too(), policy("1")}});
  p.push_back({"org_sign", "organisation signing certificate (机构签名证书)", 1825,
               {require(&SubjectInfo::organization, "organization"), uscc(), key_fits_ca(), validity_cap(),
                org_subject(), org_code_extension(), usage(kDigitalSignature | kNonRepudiation, {kClient, kEmail}),
                deciphers_too(), policy("2")}});
  p.push_back({"encryption", "encryption certificate for the dual-certificate case (加密证书)", 1825,
               {require(&SubjectInfo::common_name, "common_name"), key_fits_ca(), validity_cap(), person_subject(),
                encryption_usage(), policy("3")}});
  p.push_back({"seal_maker", "seal maker's signing certificate (制章者证书, GB/T 38540)", 3650,
               {require(&SubjectInfo::organization, "organization"), uscc(), key_fits_ca(), validity_cap(),
                org_subject(), org_code_extension(), usage(kDigitalSignature | kNonRepudiation, {}), policy("4")}});
  p.push_back({"ocsp_signer", "delegated OCSP responder (RFC 6960 §4.2.2.2)", 1825,
               {require(&SubjectInfo::common_name, "common_name"), key_fits_ca(), validity_cap(), service_subject(),
                usage(kDigitalSignature, {std::string(kOidEkuOcspSigning)}), ocsp_no_check(), policy("5")}});
  p.push_back({"tsa_signer", "time-stamp authority (RFC 3161 §2.3: EKU timeStamping, critical)", 3650,
               {require(&SubjectInfo::common_name, "common_name"), key_fits_ca(), validity_cap(), service_subject(),
                usage(kDigitalSignature | kNonRepudiation, {std::string(kOidEkuTimeStamping)}, true), policy("6")}});
  return p;
}

const std::vector<Profile>& profiles() {
  static const std::vector<Profile> kProfiles = build_profiles();
  return kProfiles;
}

}  // namespace

const Profile* find_profile(std::string_view id) {
  for (const auto& p : profiles()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

std::vector<std::string> profile_ids() {
  std::vector<std::string> out;
  for (const auto& p : profiles()) out.push_back(p.id);
  return out;
}

Status apply_profile(const Profile& p, const IssuanceContext& in, CertTemplate& tpl) {
  if (in.validity_days > p.max_validity_days) {
    return field_error("validity_too_long", "validity_days",
                       "profile " + p.id + " allows at most " + std::to_string(p.max_validity_days) + " days");
  }
  ProfileState s{in, tpl, {}};
  for (const auto& step : p.steps) CS_TRY(step(s));
  CS_ASSIGN(tpl.subject, name_der(s.subject));
  tpl.spki = in.spki;
  return {};
}

bool valid_resident_id(std::string_view id) {
  if (id.size() != 18) return false;
  static constexpr int kW[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    char c = id[static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    sum += (c - '0') * kW[i];
  }
  static constexpr char kCheck[] = "10X98765432";
  char last = id[17] == 'x' ? 'X' : id[17];
  return kCheck[sum % 11] == last;
}

bool valid_uscc(std::string_view code) {
  static constexpr std::string_view kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static constexpr int kW[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  if (code.size() != 18) return false;
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    auto pos = kChars.find(code[static_cast<std::size_t>(i)]);
    if (pos == std::string_view::npos) return false;
    sum += static_cast<int>(pos) * kW[i];
  }
  int check = (31 - sum % 31) % 31;
  return code[17] == kChars[static_cast<std::size_t>(check)];
}

}  // namespace certseal::pki
