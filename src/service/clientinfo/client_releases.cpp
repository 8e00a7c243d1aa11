#include "service/clientinfo/client_releases.h"

#include <cctype>

#include "base/encoding.h"
#include "base/id.h"
#include "base/version.h"
#include "pki/cms_enveloped.h"

namespace certseal::service {
namespace {

Error bad_field(const std::string& f, const std::string& what) {
  return invalid_argument("invalid_field", f + " must be " + what).with_field(f, "invalid", what);
}

Status check_business(const std::string& business) {
  if (!known_client_business(business)) return bad_field("business", "legacy, cloudkey or unified");
  return {};
}

ClientRelease release_from_row(const store::Row& r) {
  return {r.text("id"),          r.text("business"),    r.text("version"),
          r.text("notes"),       r.text("download_url"), r.text("sha256"),
          r.text("min_version"), r.text("published_at")};
}

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool has_control(const std::string& s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

bool known_client_business(const std::string& business) {
  return business == "legacy" || business == "cloudkey" || business == "unified";
}

Result<ClientRelease> ClientReleaseService::latest(const std::string& business) {
  CS_TRY(check_business(business));
  return db_.read_value<ClientRelease>([&](store::Tx& tx) -> Result<ClientRelease> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM client_releases WHERE business = ? "
                                   "ORDER BY id DESC LIMIT 1",
                                   {business}));
    if (!r) return not_found("release_not_found", "no release of this client is published yet");
    return release_from_row(*r);
  });
}

Result<ClientRelease> ClientReleaseService::publish(const std::string& operator_id,
                                                    const ClientReleaseInput& in) {
  CS_TRY(check_business(in.business));
  auto version = parse_version(in.version);
  if (!version) return bad_field("version", "1-4 dotted numbers, e.g. 1.4.0");
  if (in.notes.size() > 4000 || has_control(in.notes))
    return bad_field("notes", "at most 4000 characters of text");
  const bool http = in.download_url.rfind("https://", 0) == 0 || in.download_url.rfind("http://", 0) == 0;
  if (!http || in.download_url.size() > 500 || has_control(in.download_url) ||
      in.download_url.find(' ') != std::string::npos) {
    return bad_field("download_url", "an http(s) URL of at most 500 characters");
  }
  if (!in.sha256.empty() && !is_hex64(in.sha256))
    return bad_field("sha256", "the package's SHA-256 in 64 hex digits");
  if (!in.min_version.empty()) {
    auto min = parse_version(in.min_version);
    if (!min || compare_versions(*min, *version) > 0)
      return bad_field("min_version", "a version no newer than version");
  }
  ClientRelease v;
  v.business = in.business;
  v.version = in.version;
  v.notes = in.notes;
  v.download_url = in.download_url;
  v.sha256 = in.sha256;
  v.min_version = in.min_version;
  {
    std::lock_guard lock(rng_mu_);
    v.id = new_uuid_v7(clock_, rng_);
  }
  v.published_at = format_rfc3339(clock_.now());
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto last, tx.query_one("SELECT version FROM client_releases WHERE business = ? "
                                      "ORDER BY id DESC LIMIT 1",
                                      {in.business}));
    if (last) {
      auto previous = parse_version(last->text("version"));
      if (previous && compare_versions(*version, *previous) <= 0) {
        return conflict("release_not_newer",
                        "the latest " + in.business + " release is " + last->text("version") +
                            "; a new one must be newer");
      }
    }
    CS_TRY(tx.exec("INSERT INTO client_releases (id, business, version, notes, download_url, "
                   "sha256, min_version, published_by, published_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {v.id, v.business, v.version, v.notes, v.download_url, v.sha256,
                    v.min_version, operator_id, v.published_at}));
    return {};
  }));
  log_.info("client release published",
            {{"business", v.business}, {"version", v.version}, {"operator_id", operator_id}});
  return v;
}

Status ClientReleaseService::set_support_certificate(const std::string& operator_id,
                                                     const std::string& business,
                                                     const std::string& pem) {
  CS_TRY(check_business(business));
  auto blocks = pem_decode_all(pem);
  if (!blocks || blocks->size() != 1 || blocks->front().label != "CERTIFICATE") {
    return bad_field("certificate_pem", "one PEM certificate");
  }
  const Bytes der = blocks->front().der;
  {
    // The certificate must be one a log can be encrypted to, with SM2 key transport (what
    // `certseal cloudkey decrypt-log` opens).
    std::lock_guard lock(rng_mu_);
    auto env = pki::cms::enveloped_data(pki::cms::Form::kRfc5652, der,
                                        as_bytes(std::string_view("check")), rng_);
    auto parsed = env ? pki::cms::parse_enveloped(*env) : Result<pki::cms::Enveloped>(env.error());
    if (!parsed || parsed->key_transport != pki::cms::KeyTransport::kSm2) {
      return bad_field("certificate_pem", "an SM2 certificate");
    }
  }
  const std::string now = format_rfc3339(clock_.now());
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("DELETE FROM client_support_certificates WHERE business = ?", {business}));
    CS_TRY(tx.exec("INSERT INTO client_support_certificates (business, certificate, updated_by, "
                   "updated_at) VALUES (?, ?, ?, ?)",
                   {business, der, operator_id, now}));
    return {};
  }));
  log_.info("client support certificate set", {{"business", business}, {"operator_id", operator_id}});
  return {};
}

Result<Bytes> ClientReleaseService::support_certificate(const std::string& business) {
  CS_TRY(check_business(business));
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto r, tx.query_one(
                          "SELECT certificate FROM client_support_certificates WHERE business = ?",
                          {business}));
    if (!r) {
      return not_found("support_certificate_missing",
                       "no support certificate is set to encrypt client logs to");
    }
    return r->blob("certificate");
  });
}

}  // namespace certseal::service
