// SealGrantGate: how SealService lets an employee use an organisation seal under a seal grant
// (单位印章授权, docs/GRANTS.md). The grant area (service/grant) implements it; SealService calls
// it inside the use's own transaction, so the check, the count and the use's record commit
// together or not at all.
//
// Contract: implementations are thread-safe and run inside the caller's store::Tx.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

class SealGrantGate {
 public:
  virtual ~SealGrantGate() = default;
  // The account holding seal_id when account_id has an approved seal grant of it (not counted,
  // not checked for its window): nullopt when there is none, so the caller answers as for a
  // stranger's seal.
  virtual Result<std::optional<std::string>> seal_holder(store::Tx& tx, const std::string& account_id,
                                                         const std::string& seal_id) = 0;
  // Checks one live grant of seal_id for account_id (approved, not taken back, inside its window,
  // uses left, still an active member, the certificate valid) and counts the use, in one
  // statement; records the use (or the refusal) with its purpose. A refusal is an Error the
  // caller commits.
  virtual Status use_seal(store::Tx& tx, const std::string& account_id, const std::string& seal_id,
                          const std::string& purpose) = 0;
};

}  // namespace certseal::service
