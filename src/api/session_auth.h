// Authenticates `Authorization: Bearer <session token>` through the account service.
#pragma once

#include "api/router.h"
#include "service/account/account_service.h"

namespace certseal::api {

class SessionAuthenticator final : public Authenticator {
 public:
  explicit SessionAuthenticator(service::AccountService& accounts) : accounts_(accounts) {}
  Result<Principal> authenticate(const net::Request& req) override;

 private:
  service::AccountService& accounts_;
};

}  // namespace certseal::api
