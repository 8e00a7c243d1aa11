// The demo catalogue's seal makers get their seal-maker certificates (demo mode only): each is
// certified once by the seal service with a fixed demo USCC, so seals can be reviewed and signed
// on a fresh demo server. Idempotent.
#pragma once

#include "base/result.h"
#include "service/seal/seal_service.h"

namespace certseal::app {

Status certify_demo_seal_makers(service::SealService& seals);

}  // namespace certseal::app
