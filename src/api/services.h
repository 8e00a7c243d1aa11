// What API handlers may reach: the services and shared infrastructure of one certseald
// process, wired by app/. Handlers hold no state of their own.
#pragma once

#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::api {

class Metrics;
}  // namespace certseal::api
namespace certseal::service::ca {
class CaService;
}  // namespace certseal::service::ca
namespace certseal::api {

struct Services {
  const Clock& clock;
  Rng& rng;
  Logger& log;
  store::Database& db;
  Metrics& metrics;
  std::string version;  // release version shown by /api/v1/info
  std::string node_id;  // this process, as registered in node_registry
  service::ca::CaService* ca = nullptr;  // CAs, CRL/OCSP/TSA (nullptr: endpoints answer 503)
};

}  // namespace certseal::api
