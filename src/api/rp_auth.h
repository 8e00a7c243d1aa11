// Authenticates relying parties by their request signature (`Authorization: CS1-HMAC-SHA256 …` or
// `CS1-HMAC-SM3 …`, service/scene/rp_apps.h) and everyone else by the next authenticator (user
// sessions). A relying party's Principal has only Role::kRelyingParty and its app id.
#pragma once

#include "api/router.h"
#include "service/scene/rp_apps.h"

namespace certseal::api {

class RpAuthenticator final : public Authenticator {
 public:
  RpAuthenticator(service::RpAppService& apps, Authenticator& sessions) : apps_(apps), sessions_(sessions) {}
  Result<Principal> authenticate(const net::Request& req) override;
  Result<Principal> authenticate_head(const net::Request& head) override;

 private:
  service::RpAppService& apps_;
  Authenticator& sessions_;
};

}  // namespace certseal::api
