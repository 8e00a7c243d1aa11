#include "app/platform.h"

#include <sys/stat.h>

#include <filesystem>

#include "store/migrate.h"

namespace certseal::app {

std::string url_host(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);  // user:password@
  return std::string(rest);
}

const char* const kVersion = "0.1.0";

namespace {

constexpr DemoAccount kDemo[] = {
    {"13800000000", "Operator@2026", true, "platform operator (平台运营)"},
    {"13900000001", "Demo@User01", false, "demo user 1"},
    {"13900000002", "Demo@User02", false, "demo user 2"},
};

Result<std::unique_ptr<Logger>> open_logger(const Config& c, const Clock& clock) {
  if (c.log.file.empty()) {
    return std::unique_ptr<Logger>(std::make_unique<JsonLinesLogger>(clock, c.log.level, stderr));
  }
  auto l = JsonLinesLogger::open_file(clock, c.log.level, c.log.file);
  if (!l) return invalid_argument("bad_config", "cannot open log file '" + c.log.file + "'");
  return std::unique_ptr<Logger>(std::move(l));
}

}  // namespace

std::span<const DemoAccount> demo_accounts() { return kDemo; }

Result<std::unique_ptr<Platform>> open_platform(const Config& c) {
  auto p = std::make_unique<Platform>();
  p->config = c;
  CS_ASSIGN(p->log, open_logger(c, p->clock));
  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) {
    return invalid_argument("bad_data_dir", "cannot create data folder '" + c.data_dir + "'")
        .with_cause(ec.message());
  }
  ::chmod(c.data_dir.c_str(), 0700);

  if (c.db.engine == "postgres") {
    CS_ASSIGN(p->db, store::open_postgres({c.db.url, c.db.pool_size, 10'000, 10}));
  } else {
    CS_ASSIGN(p->db, store::open_sqlite({c.db.path, c.db.sqlite_readers, c.db.busy_timeout_ms,
                                          c.db.sqlite_synchronous_full}));
  }
  CS_ASSIGN(p->migration, store::migrate(*p->db, store::schema_migrations(), p->clock));
  p->log->info("database ready", {{"engine", store::engine_name(p->db->engine())},
                                  {"schema_version", p->migration.current},
                                  {"applied", p->migration.applied}});

  if (c.sms.sender == "http") {
    p->sms_sender = std::make_unique<service::HttpSmsSender>(
        service::HttpSmsOptions{c.sms.http_url, c.sms.http_username, c.sms.http_password,
                                c.sms.http_body_template, 5000},
        *p->db, p->clock, p->rng);
  } else {
    p->sms_sender = std::make_unique<service::OutboxSmsSender>(*p->db, p->clock, p->rng);
  }
  p->sms_codes = std::make_unique<service::SmsCodeService>(
      *p->db, p->clock, p->rng, *p->sms_sender,
      service::SmsPolicy{c.sms.code_ttl_s, c.sms.resend_s, c.sms.daily_limit, c.sms.max_attempts,
                         c.sms.address_hourly_limit});
  p->security_notices = std::make_unique<service::SecurityNotices>(p->clock, p->rng, *p->log, *p->sms_sender);
  service::AccountPolicy policy;
  policy.session_ttl_s = c.security.session_ttl_s;
  policy.argon2.ops = static_cast<unsigned long long>(c.security.argon2_ops);
  policy.argon2.mem_bytes = static_cast<std::size_t>(c.security.argon2_mem_kib) * 1024;
  policy.max_failures_per_phone = c.security.max_failures_per_phone;
  policy.max_failures_per_address = c.security.max_failures_per_address;
  policy.failure_window_s = c.security.failure_window_s;
  policy.deregistration_cooling_s = c.deregistration_cooling_s;
  p->accounts = std::make_unique<service::AccountService>(*p->db, p->clock, p->rng, *p->log,
                                                          *p->sms_codes, *p->security_notices, policy);
  p->agreements = std::make_unique<service::AgreementService>(*p->db, p->clock, p->rng);
  const docsign::ImageLimits image_limits{static_cast<std::uint32_t>(c.uploads.max_image_side),
                                          static_cast<std::uint64_t>(c.uploads.max_image_pixels)};
  p->blobs = std::make_unique<service::BlobStore>(
      c.data_dir + "/blobs", *p->db, p->clock, p->rng,
      service::BlobLimits{c.max_image_bytes, image_limits, c.uploads.daily_count, c.uploads.daily_bytes,
                          c.uploads.total_bytes});
  if (c.identity_verifier == "manual") {
    p->identity_verifier = std::make_unique<service::ManualIdentityVerifier>();
  } else {
    p->identity_verifier = std::make_unique<service::DevIdentityVerifier>();
  }
  p->person_verifications = std::make_unique<service::PersonVerificationService>(
      *p->db, p->clock, p->rng, *p->log, *p->sms_codes, *p->blobs, *p->identity_verifier);

  std::vector<service::ThirdParty> parties;
  if (c.sms.sender == "http") {
    parties.push_back({"SMS gateway (" + url_host(c.sms.http_url) + ")", "delivering SMS codes and notices",
                       "mobile number, message text"});
  }
  if (c.email.sender == "smtp") {
    parties.push_back({"mail server (" + url_host(c.email.smtp_url) + ")", "delivering e-mail (certificate application forms)",
                       "e-mail address, the application form (order, organisation, mobile number)"});
  }
  if (c.identity_verifier == "manual") {
    parties.push_back({"none: identity checks are made by platform operators", "real-name verification",
                       "nothing leaves the platform"});
  } else {
    parties.push_back({"development identity verifier (built in; makes no real check)",
                       "real-name verification", "nothing leaves the platform"});
  }
  parties.push_back({"development bank (built in; moves no money)", "small-amount transfer check of organisations",
                     "nothing leaves the platform"});
  p->privacy = std::make_unique<service::PrivacyService>(*p->db, std::move(parties));
  p->licence_reader = std::make_unique<service::TesseractLicenceReader>(
      std::string(), "chi_sim+eng",
      service::OcrLimits{image_limits, std::chrono::milliseconds(c.uploads.ocr_timeout_ms),
                         static_cast<int>(c.uploads.ocr_concurrency)});
  p->bank = std::make_unique<service::DevBankBackend>(p->clock, p->rng);
  p->orgs = std::make_unique<service::OrgService>(*p->db, p->clock, p->rng, *p->log, *p->blobs,
                                                  *p->licence_reader, *p->bank, *p->sms_sender,
                                                  service::OrgPolicy{c.org.bank_transfers_max,
                                                                     c.org.bank_transfer_cooldown_s});
  if (c.email.sender == "smtp") {
    p->email_sender = std::make_unique<service::SmtpEmailSender>(
        service::SmtpOptions{c.email.smtp_url, c.email.from, c.email.smtp_username, c.email.smtp_password,
                             c.email.smtp_starttls},
        p->clock, p->rng);
  } else {
    p->email_sender = std::make_unique<service::OutboxEmailSender>(*p->db, p->clock, p->rng);
  }
  p->orders = std::make_unique<service::OrderService>(*p->db, p->clock, p->rng, *p->log, *p->sms_sender,
                                                      *p->sms_codes, *p->orgs, *p->email_sender, *p->blobs,
                                                      service::OrderOptions{c.order.timeout_s, image_limits, {}});
  p->invoices = std::make_unique<service::InvoiceService>(
      *p->db, p->clock, p->rng, *p->email_sender,
      service::InvoiceSeller{c.invoice.seller_name, c.invoice.seller_tax_number});
  return p;
}

Status seed_demo(Platform& p) {
  for (const auto& d : kDemo) {
    CS_TRY(p.accounts->ensure_account(d.phone, d.password, d.is_operator, false));
  }
  p.log->info("demo data ready", {{"accounts", std::size(kDemo)}});
  return {};
}

Status run_jobs_once(Platform& p) {
  CS_TRY(p.accounts->close_due_accounts());
  if (p.certificate_holders) CS_TRY(p.certificate_holders->sweep());
  if (p.seals) {
    CS_ASSIGN(int rebound, p.seals->sweep());
    if (rebound > 0) p.log->info("seals followed their certificates", {{"count", rebound}});
  }
  CS_ASSIGN(auto expired, p.orders->expire_due());
  if (expired > 0) p.log->info("unpaid orders cancelled", {{"count", expired}});
  return {};
}

}  // namespace certseal::app
