#include "client/exit_codes.h"

namespace certseal::client {

int exit_code_for(const Error& e) {
  if (e.code == "bad_unlock_proof" || e.code == "key_locked") return kExitPassword;
  if (e.code == "usage" || e.code == "input_ended" || e.code == "passwords_differ" || e.code == "password_short" ||
      e.code == "not_available") {
    return kExitUsage;
  }
  switch (e.kind) {
    case ErrorKind::kUnavailable:
    case ErrorKind::kInternal:
    case ErrorKind::kTimeout:
      return kExitServer;
    default:
      return kExitRefused;
  }
}

}  // namespace certseal::client
