#include "api/session_auth.h"

#include <strings.h>

namespace certseal::api {

Result<Principal> SessionAuthenticator::authenticate(const net::Request& req) {
  std::string_view h = req.header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || strncasecmp(h.data(), kBearer.data(), kBearer.size()) != 0) {
    return Error(ErrorKind::kUnauthenticated, "unauthenticated", "please log in");
  }
  CS_ASSIGN(auto s, accounts_.authenticate(h.substr(kBearer.size())));
  Principal p;
  p.account_id = s.account_id;
  p.session_id = s.session_id;
  p.identity_id = s.identity_id;
  p.roles.push_back(Role::kAccount);
  if (s.password_set) {
    p.roles.push_back(Role::kUser);
    if (s.is_operator) p.roles.push_back(Role::kOperator);
  } else {
    p.password_pending = true;
  }
  return p;
}

}  // namespace certseal::api
