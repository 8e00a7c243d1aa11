#include "api/ca_handlers.h"

#include "api/request_limits.h"

#include "api/services.h"
#include "base/encoding.h"
#include "service/ca/ca_service.h"

namespace certseal::api {
namespace {

Result<service::ca::CaService*> ca_service(RequestContext& ctx) {
  auto* s = ctx.services().ca;
  if (!s) return unavailable("ca_unavailable", "the CA service is not available");
  return s;
}

std::string request_id(RequestContext& ctx, const nlohmann::json& body) {
  std::string key(ctx.request().header("Idempotency-Key"));
  if (key.empty() && body.contains("request_id") && body["request_id"].is_string()) key = body["request_id"];
  return key;
}

std::string str(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

Result<int> days(const nlohmann::json& j, int fallback) {
  if (!j.contains("validity_days")) return fallback;
  if (!j["validity_days"].is_number_integer()) {
    return invalid_argument("bad_validity", "validity_days must be an integer")
        .with_field("validity_days", "invalid", "an integer number of days");
  }
  return j["validity_days"].get<int>();
}

pki::SubjectInfo subject_of(const nlohmann::json& j) {
  pki::SubjectInfo s;
  s.common_name = str(j, "common_name");
  s.organization = str(j, "organization");
  s.organizational_unit = str(j, "organizational_unit");
  if (j.contains("country")) s.country = str(j, "country");
  s.province = str(j, "province");
  s.locality = str(j, "locality");
  s.email = str(j, "email");
  s.identity_code = str(j, "identity_code");
  s.uscc = str(j, "uscc");
  return s;
}

Result<pki::RevocationReason> reason_of(const nlohmann::json& j) {
  std::string r = str(j, "reason");
  if (r.empty()) return pki::RevocationReason::kUnspecified;
  return pki::reason_from_name(r);
}

Reply der_reply(Bytes der, std::string content_type, std::string cache_control = {}) {
  Reply r = Reply::text(std::string(as_chars(der)), std::move(content_type));
  if (!cache_control.empty()) r.headers.emplace_back("Cache-Control", std::move(cache_control));
  return r;
}

}  // namespace

Result<Reply> list_cas(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  return Reply::json(s->list());
}

Result<Reply> get_ca_chain(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(std::string pem, s->chain_pem(ctx.param("id")));
  return Reply::text(std::move(pem), "application/pem-certificate-chain");
}

Result<Reply> get_ca_cert(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(Bytes der, s->certificate_der(ctx.param("id"), false));
  return der_reply(std::move(der), "application/pkix-cert", "max-age=3600");
}

Result<Reply> get_ca_root(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(Bytes der, s->certificate_der(ctx.param("id"), true));
  return der_reply(std::move(der), "application/pkix-cert", "max-age=3600");
}

Result<Reply> get_ca_crl(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(Bytes crl, s->crl(ctx.param("id")));
  return der_reply(std::move(crl), "application/pkix-crl", "max-age=300");
}

// OCSP and time stamps are public and cost a signature each: a budget per client address.
static Status check_pki_rate(RequestContext& ctx, bool tsa) {
  auto* l = ctx.services().limits;
  if (!l) return {};
  return tsa ? check_rate(l->tsa, ctx.request().remote_addr, "time-stamp")
             : check_rate(l->ocsp, ctx.request().remote_addr, "OCSP");
}

Result<Reply> post_ocsp(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_TRY(check_pki_rate(ctx, false));
  Bytes resp = s->ocsp(ctx.param("id"), as_bytes(ctx.request().body));
  return der_reply(std::move(resp), "application/ocsp-response");
}

Result<Reply> get_ocsp(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_TRY(check_pki_rate(ctx, false));
  auto der = base64_decode(ctx.param("request"));
  Bytes resp = der && der->size() <= 4096 ? s->ocsp(ctx.param("id"), *der) : pki::ocsp_error_response(1);
  return der_reply(std::move(resp), "application/ocsp-response", "max-age=60");
}

Result<Reply> post_tsa(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_TRY(check_pki_rate(ctx, true));
  static const std::string kEmpty;
  Bytes resp = s->timestamp(ctx.request().path == "/tsa" ? kEmpty : ctx.param("id"), as_bytes(ctx.request().body));
  return der_reply(std::move(resp), "application/timestamp-reply");
}

Result<Reply> issue_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::ca::IssueInput in;
  in.request_id = request_id(ctx, body);
  in.ca_id = ctx.param("id");
  in.profile = str(body, "profile");
  in.subject = subject_of(body.value("subject", nlohmann::json::object()));
  in.public_key = str(body, "public_key");
  in.csr = str(body, "csr");
  CS_ASSIGN(in.validity_days, days(body, 365));
  CS_ASSIGN(auto rec, s->issue(in));
  return Reply::json(rec.to_json(), 201);
}

Result<Reply> get_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto rec, s->get(ctx.param("id")));
  CS_ASSIGN(auto hist, s->history(rec.id));
  auto j = rec.to_json();
  j["history"] = hist;
  return Reply::json(j);
}

Result<Reply> renew_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(int d, days(body, 365));
  CS_ASSIGN(auto rec, s->renew(request_id(ctx, body), ctx.param("id"), d));
  return Reply::json(rec.to_json(), 201);
}

Result<Reply> change_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(int d, days(body, 365));
  CS_ASSIGN(auto rec, s->change(request_id(ctx, body), ctx.param("id"),
                                subject_of(body.value("subject", nlohmann::json::object())), d));
  return Reply::json(rec.to_json(), 201);
}

Result<Reply> revoke_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, reason_of(body));
  CS_ASSIGN(auto rec, s->revoke(request_id(ctx, body), ctx.param("id"), reason));
  return Reply::json(rec.to_json());
}

Result<Reply> reissue_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(int d, days(body, 365));
  CS_ASSIGN(auto rec, s->reissue(request_id(ctx, body), ctx.param("id"), str(body, "public_key"), str(body, "csr"), d));
  return Reply::json(rec.to_json(), 201);
}

Result<Reply> revoke_by_serial(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, reason_of(body));
  CS_ASSIGN(auto rec, s->revoke_serial(request_id(ctx, body), ctx.param("id"), str(body, "serial"), reason));
  return Reply::json(rec.to_json());
}

// Operators: every CA's CRL number and window, counts, OCSP/TSA certificate expiry.
Result<Reply> op_get_cas(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto all, s->status());
  const std::int64_t now = ctx.services().clock.now_unix();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : all) items.push_back(c.to_json(now));
  return Reply::json({{"items", items}});
}

// Operators: certificates by serial, subject or holder (?q=), CA and status, a page at a time.
Result<Reply> op_get_certificates(RequestContext& ctx) {
  CS_ASSIGN(auto* s, ca_service(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  service::ca::CertificateSearch q;
  q.query = ctx.query("q").value_or("");
  if (q.query.size() > 200) {
    return invalid_argument("bad_query", "q is at most 200 characters").with_field("q", "too_long", "at most 200 characters");
  }
  q.ca_id = ctx.query("ca").value_or("");
  q.status = ctx.query("status").value_or("");
  q.after = page.after;
  q.limit = page.limit;
  CS_ASSIGN(auto hits, s->search(q));
  return Reply::json(paged(std::move(hits), page.limit, [](const service::ca::CertificateHit& h) {
    nlohmann::json j = h.record.to_json();
    j.erase("certificate_pem");
    j["holder_account_id"] = h.holder_account_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(h.holder_account_id);
    j["holder_phone"] = h.holder_phone.empty() ? nlohmann::json(nullptr) : nlohmann::json(h.holder_phone);
    return j;
  }));
}

}  // namespace certseal::api
