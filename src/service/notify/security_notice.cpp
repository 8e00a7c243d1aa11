#include "service/notify/security_notice.h"

#include "service/notify/inbox.h"

namespace certseal::service {

namespace {

// The standard sentence of each event: what happened and what to do if it was not the owner.
const char* sentence(SecurityEvent e) {
  switch (e) {
    case SecurityEvent::kCertificateReissued:
      return "您的证书已补发，原证书已作废";
    case SecurityEvent::kCertificatePasswordRecovered:
      return "您的证书密码已通过找回流程重置";
    case SecurityEvent::kCertificatePasswordChanged:
      return "您的证书密码已修改";
    case SecurityEvent::kLoginPasswordChanged:
      return "您的登录密码已修改";
    case SecurityEvent::kLoginPasswordReset:
      return "您的登录密码已通过短信验证重置";
    case SecurityEvent::kDeviceAdded:
      return "您的手机盾新增了一台设备";
    case SecurityEvent::kDeviceRemoved:
      return "您的手机盾移除了一台设备";
    case SecurityEvent::kUnlockFailed:
      return "有人用错误的证书密码尝试使用您的证书";
    case SecurityEvent::kKeyLocked:
      return "您的证书因多次密码错误已被锁定";
    case SecurityEvent::kCertificateRevokedMembership:
      return "您持有的单位证书因成员关系变更已作废";
  }
  return "您的账号发生了安全相关操作";
}

}  // namespace

const char* security_event_name(SecurityEvent e) {
  switch (e) {
    case SecurityEvent::kCertificateReissued:
      return "certificate_reissued";
    case SecurityEvent::kCertificatePasswordRecovered:
      return "certificate_password_recovered";
    case SecurityEvent::kCertificatePasswordChanged:
      return "certificate_password_changed";
    case SecurityEvent::kLoginPasswordChanged:
      return "login_password_changed";
    case SecurityEvent::kLoginPasswordReset:
      return "login_password_reset";
    case SecurityEvent::kDeviceAdded:
      return "device_added";
    case SecurityEvent::kDeviceRemoved:
      return "device_removed";
    case SecurityEvent::kUnlockFailed:
      return "unlock_failed";
    case SecurityEvent::kKeyLocked:
      return "key_locked";
    case SecurityEvent::kCertificateRevokedMembership:
      return "certificate_revoked_membership";
  }
  return "unknown";
}

Result<PendingSecuritySms> SecurityNotices::record(store::Tx& tx, const std::string& account_id, SecurityEvent event,
                                                   const std::string& detail, const std::string& ref_id) {
  std::string text = std::string("【CertSeal】") + sentence(event);
  if (!detail.empty()) text += "（" + detail + "）";
  text += "。如非本人操作，请立即登录并联系客服。";
  const std::string name = security_event_name(event);
  CS_TRY(add_notification(tx, clock_, rng_, account_id, "security_" + name, text, ref_id));
  CS_ASSIGN(auto row, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
  PendingSecuritySms out;
  if (row) out.phone = row->text("phone");
  out.template_id = "security_" + name;
  out.text = std::move(text);
  return out;
}

void SecurityNotices::send(const PendingSecuritySms& sms) {
  if (sms.phone.empty()) return;
  if (auto s = sms_.send({sms.phone, sms.template_id, {}, sms.text}); !s) {
    log_.warn("security notice SMS not sent", {{"template", sms.template_id}, {"why", s.error().code}});
  }
}

}  // namespace certseal::service
