// Everything one certseald process (or one admin command) works with, built from the config:
// clock, RNG, logger, database (migrated), SMS sender, services. Owned here, lent to the rest.
#pragma once

#include <memory>

#include "app/config.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/account/account_service.h"
#include "service/account/agreements.h"
#include "service/account/privacy.h"
#include "service/blob/blob_store.h"
#include "service/identity/person_verification.h"
#include "service/org/licence_ocr.h"
#include "service/org/org_service.h"
#include "service/order/invoice_service.h"
#include "service/order/order_service.h"
#include "service/seal/seal_service.h"
#include "service/account/sms_codes.h"
#include "service/notify/sms.h"
#include "store/db.h"
#include "store/migrate.h"

namespace certseal::app {

extern const char* const kVersion;

struct Platform {
  Config config;
  SystemClock clock;
  SystemRng rng;
  std::unique_ptr<Logger> log;
  std::unique_ptr<store::Database> db;
  store::MigrateReport migration;  // what opening applied
  std::unique_ptr<service::SmsSender> sms_sender;
  std::unique_ptr<service::SmsCodeService> sms_codes;
  std::unique_ptr<service::SecurityNotices> security_notices;  // owner alerts (in-app + SMS)
  std::unique_ptr<service::AccountService> accounts;
  std::unique_ptr<service::AgreementService> agreements;
  std::unique_ptr<service::BlobStore> blobs;
  std::unique_ptr<service::IdentityVerifier> identity_verifier;
  std::unique_ptr<service::PersonVerificationService> person_verifications;
  std::unique_ptr<service::PrivacyService> privacy;
  std::unique_ptr<service::LicenceReader> licence_reader;
  std::unique_ptr<service::BankBackend> bank;
  std::unique_ptr<service::OrgService> orgs;
  // Set by the server once the shield exists (it needs the CAs); the jobs sweep through it.
  service::CertificateHolders* certificate_holders = nullptr;
  // Set by the server once seals exist; the jobs apply certificate changes to seals through it.
  service::SealService* seals = nullptr;
  std::unique_ptr<service::EmailSender> email_sender;  // the outbox or SMTP (email.sender)
  std::unique_ptr<service::OrderService> orders;
  std::unique_ptr<service::InvoiceService> invoices;  // CAs and gateways are attached by server.cpp
};

// Opens the logger, the data folder and the database, applies migrations, builds the services.
Result<std::unique_ptr<Platform>> open_platform(const Config& c);

// The host (and port) of a gateway URL, without scheme, credentials, path or query: what the
// third-party list may show ("https://key:secret@sms.example/send?k=1" -> "sms.example").
std::string url_host(std::string_view url);

// The demo operator and users (idempotent). Their phones and passwords are in the README.
struct DemoAccount {
  const char* phone;
  const char* password;
  bool is_operator;
  const char* what;
};
std::span<const DemoAccount> demo_accounts();
Status seed_demo(Platform& p);

// The demo catalogue (app/demo_catalogue.cpp): trading platform demo-platform (and
// demo-platform-partner for the mutual-recognition package), seal makers demo-seal-maker-1/2,
// products demo-personal-sm2, demo-personal-p256, demo-org-sm2, demo-org-p256 (SM2 products on
// the SM2 CA, P-256 ones on the international CA), demo-mutual-recognition and demo-renewal.
// Entries missing by id are created; existing ones are never changed. REQUIRES: the orders
// service has its CAs (OrderService::set_ca).
Status seed_demo_catalogue(Platform& p);

// Runs the scheduled jobs once (closing accounts whose deregistration period is over, ...).
Status run_jobs_once(Platform& p);

}  // namespace certseal::app
