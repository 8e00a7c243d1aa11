// Security notices: the owner of an account hears, in the app and by SMS, about every event that
// could mean someone else is acting for them (SPEC §7, docs/SECURITY.md): a certificate
// reissued, a certificate password recovered or changed, the login password changed or reset, a
// device added or removed, a failed unlock of a mobile-shield key and a key locked, a certificate
// revoked because membership ended.
//
// Two steps, so that a notice exists exactly when the event was committed and no SMS is sent for
// a rolled-back request:
//   1. record() inside the transaction that made the change: writes the in-app notice
//      (notifications table, kind "security_<event>") and returns what to text;
//   2. send() after that transaction committed: the SMS (template "security_<event>"). A failed
//      send is logged; the in-app notice remains.
// Thread-safe (state is in the database; the SmsSender is thread-safe).
#pragma once

#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/notify/sms.h"
#include "store/db.h"

namespace certseal::service {

enum class SecurityEvent {
  kCertificateReissued,
  kCertificatePasswordRecovered,
  kCertificatePasswordChanged,
  kLoginPasswordChanged,
  kLoginPasswordReset,
  kDeviceAdded,
  kDeviceRemoved,
  kUnlockFailed,
  kKeyLocked,
  kCertificateRevokedMembership,
};

// "certificate_reissued", "device_added", ... (stable: used in kinds, templates and tests).
const char* security_event_name(SecurityEvent e);

// What record() decided to text once the transaction has committed.
struct PendingSecuritySms {
  std::string phone;        // empty: nothing to send (account without a phone)
  std::string template_id;  // "security_<event>"
  std::string text;
};

class SecurityNotices {
 public:
  SecurityNotices(const Clock& clock, Rng& rng, Logger& log, SmsSender& sms)
      : clock_(clock), rng_(rng), log_(log), sms_(sms) {}

  // Inside the caller's transaction. `detail` is a short, user-facing clause in Chinese that is
  // appended to the standard sentence (e.g. the device name, the certificate's subject); may be
  // empty. ref_id points at the object (certificate, key, device).
  Result<PendingSecuritySms> record(store::Tx& tx, const std::string& account_id, SecurityEvent event,
                                    const std::string& detail, const std::string& ref_id);

  // After commit. A no-op for an empty phone.
  void send(const PendingSecuritySms& sms);

 private:
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  SmsSender& sms_;
};

}  // namespace certseal::service
