// Versioned agreements (用户协议, 隐私政策, 实名认证协议, 机构认证协议) and the record of each
// acceptance with time, version and address. Texts are data (migrations publish new versions).
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

struct Agreement {
  std::string kind, title, body, published_at;
  std::int64_t version = 0;
};

struct Acceptance {
  std::string id, kind, accepted_at;
  std::int64_t version = 0;
};

class AgreementService {
 public:
  AgreementService(store::Database& db, const Clock& clock, Rng& rng)
      : db_(db), clock_(clock), rng_(rng) {}
  // The newest version of `kind`; 404 agreement_not_found.
  Result<Agreement> current(const std::string& kind);
  // Records acceptance of exactly the newest version; an older one is 409 agreement_outdated.
  Result<Acceptance> accept(const std::string& account_id, const std::string& kind,
                            std::int64_t version, const std::string& remote_addr);
  // Within a transaction: did the account accept the newest version of `kind`?
  static Result<bool> has_accepted_current(store::Tx& tx, const std::string& account_id,
                                           const std::string& kind);
  Result<std::vector<Acceptance>> acceptances(const std::string& account_id);

 private:
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace certseal::service
