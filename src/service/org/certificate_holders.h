// CertificateHolders: the seam between membership and certificates (security review 1, H2 and L7).
//
// An organisation certificate is held by a person for an organisation; it follows the
// membership it was granted for. The services that end or change memberships and accounts
// (OrgService: removal, leaving, admin transfer; AccountService: closure) call sync() after
// their transaction committed; the side that holds certificates (ShieldService, wired in
// src/app) implements it. The scheduled jobs call sweep(), so a sync that failed after a commit
// (a crash, a CA error) is made up for at the next run.
//
// Who may hold an organisation certificate (HolderPolicy in the implementation): an active
// member of the verified organisation whose role is admin or legal_representative, or the same
// role the certificate was ordered under (an employee who bought one as an employee keeps it as
// long as they are an employee). A closed account holds nothing.
//
// Contract: thread-safe; idempotent; each call opens its own transactions (never call it inside
// one: on SQLite that would wait for itself).
#pragma once

#include <string>

#include "base/result.h"

namespace certseal::service {

class CertificateHolders {
 public:
  virtual ~CertificateHolders() = default;
  // Revokes every current certificate of account_id that it may no longer hold (organisation
  // certificates: reason affiliationChanged; all certificates of a closed account: reason
  // cessationOfOperation), retires their keys (all devices' server shares deleted) and notifies
  // the holder (kCertificateRevokedMembership).
  virtual Status sync(const std::string& account_id) = 0;
  // sync() for every account that holds a current organisation certificate or is closed with a
  // live key. For the scheduled jobs.
  virtual Status sweep() = 0;
};

}  // namespace certseal::service
