// What the platform holds about a person (个人信息收集清单) and whom it shares data with
// (第三方信息共享清单), per SPEC §3. The first is read from the account's actual records; the
// second is the configured list of outside parties (SMS gateway, identity verification provider,
// CAs, ...), given by the app at start.
#pragma once

#include <string>
#include <vector>

#include "store/db.h"

namespace certseal::service {

struct PersonalInfoItem {
  std::string category;  // stable key, e.g. "phone"
  std::string title;     // e.g. "手机号码 (mobile number)"
  std::string purpose;
  std::int64_t records = 0;  // how many records of it the platform holds for this account
};

struct ThirdParty {
  std::string name;
  std::string purpose;
  std::string data_shared;
};

class PrivacyService {
 public:
  PrivacyService(store::Database& db, std::vector<ThirdParty> third_parties)
      : db_(db), third_parties_(std::move(third_parties)) {}
  Result<std::vector<PersonalInfoItem>> personal_information(const std::string& account_id);
  const std::vector<ThirdParty>& third_parties() const { return third_parties_; }

 private:
  store::Database& db_;
  std::vector<ThirdParty> third_parties_;
};

}  // namespace certseal::service
