#include "api/rp_auth.h"

namespace certseal::api {

Result<Principal> RpAuthenticator::authenticate(const net::Request& req) {
  std::string_view h = req.header("Authorization");
  if (h.rfind("CS1-HMAC-", 0) != 0) return sessions_.authenticate(req);
  CS_ASSIGN(auto app, apps_.authenticate({req.method, req.target, req.body, std::string(h), req.remote_addr}));
  Principal p;
  p.app_id = app.id;
  p.roles.push_back(Role::kRelyingParty);
  return p;
}

Result<Principal> RpAuthenticator::authenticate_head(const net::Request& head) {
  std::string_view h = head.header("Authorization");
  if (h.rfind("CS1-HMAC-", 0) != 0) return sessions_.authenticate_head(head);
  CS_ASSIGN(auto app, apps_.admit_head({head.method, head.target, {}, std::string(h), head.remote_addr}));
  Principal p;
  p.app_id = app.id;
  p.roles.push_back(Role::kRelyingParty);
  return p;
}

}  // namespace certseal::api
