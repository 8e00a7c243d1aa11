#include "pki/crl.h"

#include "pki/der.h"

namespace certseal::pki {
namespace {

struct ReasonName {
  RevocationReason r;
  std::string_view camel, snake;
};
constexpr ReasonName kReasons[] = {
    {RevocationReason::kUnspecified, "unspecified", "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise", "key_compromise"},
    {RevocationReason::kCaCompromise, "cACompromise", "ca_compromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged", "affiliation_changed"},
    {RevocationReason::kSuperseded, "superseded", "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation", "cessation_of_operation"},
    {RevocationReason::kCertificateHold, "certificateHold", "certificate_hold"},
    {RevocationReason::kRemoveFromCrl, "removeFromCRL", "remove_from_crl"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn", "privilege_withdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise", "aa_compromise"},
};

Bytes ext(std::string_view oid, BytesView value) {
  return der::seq({der::oid_or_die(oid), der::octet_string(value)});
}

}  // namespace

std::string_view reason_name(RevocationReason r) {
  for (const auto& n : kReasons) {
    if (n.r == r) return n.camel;
  }
  return "unspecified";
}

Result<RevocationReason> reason_from_name(std::string_view name) {
  for (const auto& n : kReasons) {
    if (n.camel == name || n.snake == name) return n.r;
  }
  return invalid_argument("bad_reason", "unknown revocation reason '" + std::string(name) + "'")
      .with_field("reason", "invalid", "one of the RFC 5280 CRLReason names");
}

Result<Bytes> issue_crl(const CrlTemplate& t, Signer& signer) {
  std::vector<Bytes> entries;
  for (const auto& e : t.revoked) {
    Bytes serial = der::integer_unsigned(e.serial);
    Bytes when = der::x509_time(e.revoked_at);
    if (e.reason == RevocationReason::kUnspecified) {
      entries.push_back(der::seq({serial, when}));  // §5.3.1: omit rather than say unspecified
    } else {
      Bytes reason = ext("2.5.29.21", der::enumerated(static_cast<int>(e.reason)));
      entries.push_back(der::seq({serial, when, der::seq({reason})}));
    }
  }
  Bytes aki = ext("2.5.29.35", der::seq({der::implicit(0, false, t.authority_key_id)}));
  Bytes number = ext("2.5.29.20", der::integer(t.number));
  Bytes extensions = der::explicit_tag(0, der::seq({aki, number}));
  Bytes revoked = entries.empty() ? Bytes{} : der::seq_of(entries);
  Bytes tbs = der::seq({der::integer(1), algorithm_identifier(signer.sig_alg()), t.issuer,
                        der::x509_time(t.this_update), der::x509_time(t.next_update), revoked, extensions});
  return sign_structure(signer, tbs);
}

}  // namespace certseal::pki
