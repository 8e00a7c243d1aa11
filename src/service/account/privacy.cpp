#include "service/account/privacy.h"

namespace certseal::service {

Result<std::vector<PersonalInfoItem>> PrivacyService::personal_information(const std::string& account_id) {
  struct Source {
    const char* category;
    const char* title;
    const char* purpose;
    const char* count_sql;  // one parameter: the account id
  };
  static constexpr Source kSources[] = {
      {"phone", "手机号码 (mobile number)", "login, SMS codes, notifications",
       "SELECT COUNT(*) AS n FROM accounts WHERE id = ?"},
      {"password", "登录密码摘要 (password hash, Argon2id)", "login",
       "SELECT COUNT(*) AS n FROM accounts WHERE id = ? AND password_hash IS NOT NULL"},
      {"identity", "姓名与身份证号 (name and ID number)", "real-name verification, certificate subject",
       "SELECT COUNT(*) AS n FROM person_verifications WHERE account_id = ?"},
      {"id_card_photos", "身份证照片 (ID-card photos)", "real-name verification",
       "SELECT COUNT(*) AS n FROM blobs WHERE owner_account_id = ? AND purpose IN ('id_card_front', 'id_card_back')"},
      {"face_images", "人脸照片 (face images of the liveness step)", "real-name verification",
       "SELECT COUNT(*) AS n FROM blobs WHERE owner_account_id = ? AND purpose = 'face_image'"},
      {"uploads", "上传的文件 (all uploaded files)", "verification of people and organisations",
       "SELECT COUNT(*) AS n FROM blobs WHERE owner_account_id = ?"},
      {"sessions", "登录记录 (logins: time and address)", "security, tracing use",
       "SELECT COUNT(*) AS n FROM sessions WHERE account_id = ?"},
      {"agreements", "协议同意记录 (agreement acceptances)", "proof of consent",
       "SELECT COUNT(*) AS n FROM agreement_acceptances WHERE account_id = ?"},
  };
  return db_.read_value<std::vector<PersonalInfoItem>>(
      [&](store::Tx& tx) -> Result<std::vector<PersonalInfoItem>> {
        std::vector<PersonalInfoItem> out;
        for (const auto& s : kSources) {
          CS_ASSIGN(auto r, tx.query_one(s.count_sql, {account_id}));
          out.push_back({s.category, s.title, s.purpose, r->integer("n")});
        }
        return out;
      });
}

}  // namespace certseal::service
