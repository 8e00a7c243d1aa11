// Acting identity (身份切换): a session acts as one identity of its account — the natural person,
// or an employee, admin or legal representative of one organisation (docs/ACCOUNTS.md,
// "Identities"). What the session may do for an organisation follows from that identity, on top
// of the membership checks of the services: acting as the natural person, or as an identity of
// organisation C, a session does nothing for organisation B, even when its account is B's admin.
//
// The identity is stored with the session (sessions.identity_id, chosen through
// PUT /api/v1/sessions/current/identity), never taken from the request. An identity follows its
// membership: it ends with the membership and its kind follows role changes (admin transfer).
// Contract: free functions over the database; each runs in its own read transaction.
#pragma once

#include <string>

#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

struct ActingIdentity {
  std::string id;
  std::string kind;    // person | employee | admin | legal_representative
  std::string org_id;  // empty for the natural person
  bool is_org_admin() const { return kind == "admin" || kind == "legal_representative"; }
};

// The live identity identity_id of account_id. Errors: permission_denied identity_required when
// the session has none or it ended (switch identity again).
Result<ActingIdentity> acting_identity(store::Database& db, const std::string& account_id,
                                       const std::string& identity_id);

// Passes when the session acts for org_id: as its admin or legal representative when `as_admin`,
// as any of its identities otherwise. Errors: not_found org_not_found, permission_denied
// wrong_identity (says which identity to switch to), identity_required.
Status require_acting_for(store::Database& db, const std::string& account_id, const std::string& identity_id,
                          const std::string& org_id, bool as_admin);

// As require_acting_for, but only once org_id is verified: before that the organisation is a
// draft that belongs to its creator's natural person (docs/ACCOUNTS.md, "Organisations").
Status require_acting_for_verified(store::Database& db, const std::string& account_id,
                                   const std::string& identity_id, const std::string& org_id, bool as_admin);

// The organisation of a to-do task; empty when there is no such task (the service answers 404).
Result<std::string> task_org_id(store::Database& db, const std::string& task_id);

}  // namespace certseal::service
