// Handlers' side of the acting identity (service/org/acting_identity.h): an organisation's
// admin pages and actions need the session to act as that organisation's admin (or legal
// representative); acting for an organisation in orders needs any identity of it.
#pragma once

#include <string>

#include "api/router.h"
#include "api/services.h"
#include "service/org/acting_identity.h"

namespace certseal::api {

inline Status acting_for(RequestContext& ctx, const std::string& org_id, bool as_admin) {
  const Principal& p = *ctx.principal();
  return service::require_acting_for(ctx.services().db, p.account_id, p.identity_id, org_id, as_admin);
}

}  // namespace certseal::api
