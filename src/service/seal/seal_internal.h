// Private to src/service/seal: the seal row, row mapping and certificate look-ups shared by the
// files of SealService.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "base/result.h"
#include "service/seal/seal_service.h"
#include "store/db.h"

namespace certseal::service {

struct SealRow {
  SealView view;
  std::string design;  // JSON
  Bytes png;
  std::string svg;
  Bytes seseal;
};

namespace seal_internal {

inline constexpr const char* kSealColumns =
    "id, account_id, certificate_id, order_id, maker_id, kind, method, name, design, status, picture_png, picture_svg, "
    "width_mm, height_mm, seseal, reason, reviewed_by, reviewed_at, created_at, updated_at";

SealRow row_from(const store::Row& r);

// The certificate as far as seals care.
struct CertFacts {
  std::string id, account_id, profile, status, organization, common_name;
  std::string order_id;
  bool current = false;
  std::int64_t not_after = 0;
  Bytes der;
};
// The certificate if account_id holds it (account_certificates), else nullopt.
Result<std::optional<CertFacts>> held_certificate(store::Tx& tx, const std::string& account_id,
                                                  const std::string& cert_id);

bool personal_kind(const std::string& kind);
bool organisation_kind(const std::string& kind);

// A seal_events action's entry type in the transparency log and the detail key its text goes
// under (docs/LEDGER.md "Seals"); nullopt for an action the log does not know.
inline std::optional<std::pair<std::string, std::string>> ledger_type(const std::string& action) {
  if (action == "made") return std::pair<std::string, std::string>{"seal.make", "method"};
  if (action == "replaced") return std::pair<std::string, std::string>{"seal.replace", "method"};
  if (action == "deleted") return std::pair<std::string, std::string>{"seal.delete", "note"};
  if (action == "approved") return std::pair<std::string, std::string>{"seal.approve", "note"};
  if (action == "rejected") return std::pair<std::string, std::string>{"seal.reject", "reason"};
  if (action == "bound") return std::pair<std::string, std::string>{"seal.bind", "note"};
  if (action == "rebound") return std::pair<std::string, std::string>{"seal.rebind", "change"};
  if (action == "revoked") return std::pair<std::string, std::string>{"seal.revoke", "reason"};
  if (action == "used" || action == "use_refused") return std::pair<std::string, std::string>{"seal.use", "purpose"};
  return std::nullopt;
}

Error seal_not_found();
Error certificate_not_found();

}  // namespace seal_internal
}  // namespace certseal::service
