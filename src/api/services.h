// What API handlers may reach: the services and shared infrastructure of one certseald
// process, wired by app/. Handlers hold no state of their own.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {
class AccountService;
class SmsCodeService;
class AgreementService;
class BlobStore;
class PersonVerificationService;
class PrivacyService;
class OrgService;
class OrderService;
class InvoiceService;
class SandboxGateway;
class ShieldService;
class RpAppService;
class SceneService;
class DocumentFetcher;
class SealService;
class GrantService;
class PcService;
class TokenCertificates;
class CloudKeyService;
class ApplicationLinkService;
class AdminLetterService;
class ClientReleaseService;
}  // namespace certseal::service

namespace certseal::api {

class Metrics;
class WebFiles;  // api/web_files.h
struct RequestLimits;
}  // namespace certseal::api
namespace certseal::service::ca {
class CaService;
}  // namespace certseal::service::ca
namespace certseal::service::ledger {
class LedgerService;
}  // namespace certseal::service::ledger
namespace certseal::api {

struct Services {
  const Clock& clock;
  Rng& rng;
  Logger& log;
  store::Database& db;
  Metrics& metrics;
  std::string version;  // release version shown by /api/v1/info
  std::string node_id;  // this process, as registered in node_registry
  // Development components that are on ("payment.sandbox_enabled = true", ...), shown by
  // /api/v1/info; empty in production.
  std::vector<std::string> development_components = {};
  service::AccountService* accounts = nullptr;
  service::SmsCodeService* sms_codes = nullptr;
  service::AgreementService* agreements = nullptr;
  service::BlobStore* blobs = nullptr;
  service::PersonVerificationService* person_verifications = nullptr;
  service::PrivacyService* privacy = nullptr;
  service::OrgService* orgs = nullptr;
  service::OrderService* orders = nullptr;
  service::InvoiceService* invoices = nullptr;
  service::SandboxGateway* sandbox = nullptr;  // the built-in sandbox gateway (nullptr: disabled, 404)
  service::ShieldService* shield = nullptr;  // mobile shield and held certificates (nullptr: 503)
  service::RpAppService* rp_apps = nullptr;  // relying-party applications (nullptr: 503)
  service::SceneService* scenes = nullptr;   // QR scene requests (nullptr: 503)
  service::DocumentFetcher* document_fetcher = nullptr;  // scene 13 PDFs by URL (nullptr: 503)
  service::ApplicationLinkService* app_links = nullptr;  // platforms' application QR codes (nullptr: 503)
  service::ca::CaService* ca = nullptr;  // CAs, CRL/OCSP/TSA (nullptr: endpoints answer 503)
  service::SealService* seals = nullptr;  // electronic seals (nullptr: 503)
  service::ledger::LedgerService* ledger = nullptr;  // transparency log (nullptr: 503)
  const WebFiles* web_console = nullptr;  // the operator console's files at /console/ (nullptr: 404)
  const WebFiles* web_app = nullptr;  // the mobile H5 app's files at /app/ (nullptr: 404 web_app_not_built)
  service::GrantService* grants = nullptr;  // organisation grants (nullptr: 503)
  service::PcService* pcs = nullptr;  // the phone as a PC key (nullptr: 503)
  service::TokenCertificates* token_certs = nullptr;  // self-service token certificates (nullptr: 503)
  service::CloudKeyService* cloudkey = nullptr;  // cloud key tenants and staff keys (nullptr: 503)
  service::AdminLetterService* admin_letters = nullptr;  // admin-transfer letters (nullptr: 503)
  service::ClientReleaseService* client_releases = nullptr;  // client releases, log support certificates (nullptr: 503)
  RequestLimits* limits = nullptr;       // per-address/per-account limits (nullptr: none)
};

}  // namespace certseal::api
