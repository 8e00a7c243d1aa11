#include "api/pc_handlers.h"

#include "api/json_input.h"
#include "api/request_limits.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/pc/pc_service.h"

namespace certseal::api {
namespace {

Result<service::PcService*> pcs(RequestContext& ctx) {
  if (!ctx.services().pcs)
    return unavailable("pc_unavailable", "the phone as a PC key is not available");
  return ctx.services().pcs;
}
const std::string& me(const RequestContext& ctx) {
  return ctx.principal()->account_id;
}

// The PC's bearer token from `Authorization: PC <token>`.
Result<std::string> pc_token(const RequestContext& ctx) {
  const std::string_view h = ctx.request().header("Authorization");
  constexpr std::string_view kScheme = "PC ";
  if (h.size() <= kScheme.size() || h.substr(0, kScheme.size()) != kScheme || h.size() > 200) {
    return Error(ErrorKind::kUnauthenticated, "pc_not_paired",
                 "this PC is not paired with a phone (certseal pc pair)");
  }
  return std::string(h.substr(kScheme.size()));
}

nlohmann::json link_json(const service::PcLinkView& l) {
  nlohmann::json j = {{"id", l.id},
                      {"name", l.name},
                      {"status", l.status},
                      {"created_at", l.created_at},
                      {"expires_at", format_rfc3339(sys_time_from_unix(l.expires_at))}};
  if (!l.paired_at.empty()) j["paired_at"] = l.paired_at;
  if (!l.removed_at.empty()) j["removed_at"] = l.removed_at;
  return j;
}

nlohmann::json request_json(const service::PcRequestView& r, bool with_data) {
  nlohmann::json j = {{"id", r.id},
                      {"pc_id", r.link_id},
                      {"pc_name", r.link_name},
                      {"certificate_id", r.certificate_id},
                      {"key_id", r.key_id},
                      {"operation", r.operation},
                      {"mechanism", r.mechanism},
                      {"status", r.status},
                      {"data_sha256", r.data_sha256},
                      {"created_at", r.created_at},
                      {"expires_at", format_rfc3339(sys_time_from_unix(r.expires_at))}};
  if (!r.key_algorithm.empty()) j["key_algorithm"] = r.key_algorithm;
  if (with_data && !r.data.empty()) j["data"] = base64_encode(r.data);
  if (!r.finished_at.empty()) j["finished_at"] = r.finished_at;
  if (r.status == "refused") j["reason"] = r.reason;
  if (r.status == "completed" && !r.result.empty()) j["result"] = base64_encode(r.result);
  return j;
}

Result<Bytes> b64_field(const nlohmann::json& body, std::string_view f, std::size_t max_len) {
  CS_ASSIGN(auto s, required_string(body, f, max_len));
  auto b = base64_decode(s);
  if (!b) {
    return invalid_argument("invalid_field", std::string(f) + " must be base64")
        .with_field(std::string(f), "invalid", "base64");
  }
  return *b;
}

}  // namespace

Result<Reply> post_pc_pairing(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  // Public, and each start stores a pending link: a budget per client address.
  if (auto* l = ctx.services().limits) CS_TRY(check_rate(l->pc_pairing, ctx.request().remote_addr, "PC pairing"));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto name, required_string(body, "name", 64));
  CS_ASSIGN(auto started, p->start_pairing(name));
  auto j = link_json(started.link);
  j["token"] = started.token;
  j["code"] = started.code;
  j["qr_payload"] = "certseal-pc:" + started.link.id + ":" + started.code;
  return Reply::json(j, 201);
}

Result<Reply> get_pc_link(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto token, pc_token(ctx));
  CS_ASSIGN(auto link, p->link_of_token(token));
  return Reply::json(link_json(link));
}

Result<Reply> delete_pc_link(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto token, pc_token(ctx));
  CS_TRY(p->unpair(token));
  return Reply::json({{"status", "removed"}});
}

Result<Reply> get_pc_certificates(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto token, pc_token(ctx));
  CS_ASSIGN(auto certs, p->certificates(token));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : certs) {
    items.push_back({{"certificate_id", c.certificate_id},
                     {"key_id", c.key_id},
                     {"serial", c.serial},
                     {"subject", c.subject},
                     {"algorithm", c.algorithm},
                     {"not_before", format_rfc3339(sys_time_from_unix(c.not_before))},
                     {"not_after", format_rfc3339(sys_time_from_unix(c.not_after))},
                     {"certificate_der", base64_encode(c.der)},
                     {"public_key", base64_encode(c.public_key)}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> post_pc_request(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto token, pc_token(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::PcRequestInput in;
  CS_ASSIGN(in.certificate_id, required_string(body, "certificate_id", 64));
  CS_ASSIGN(in.operation, required_string(body, "operation", 16));
  CS_ASSIGN(in.mechanism, required_string(body, "mechanism", 32));
  CS_ASSIGN(in.data, b64_field(body, "data", 4 * (service::kMaxPcData / 3 + 1)));
  CS_ASSIGN(auto r, p->create_request(token, in));
  return Reply::json(request_json(r, false), 201);
}

Result<Reply> get_pc_request(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto token, pc_token(ctx));
  CS_ASSIGN(auto r, p->get_request(token, ctx.param("id")));
  return Reply::json(request_json(r, false));
}

Result<Reply> get_pc_pairing(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto link, p->pairing(ctx.param("id")));
  return Reply::json(link_json(link));
}

Result<Reply> post_pc_pairing_approval(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto code, required_string(body, "code", 64));
  CS_ASSIGN(auto link, p->approve(me(ctx), ctx.param("id"), code));
  return Reply::json(link_json(link));
}

Result<Reply> get_account_pcs(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto links, p->links(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& l : links) items.push_back(link_json(l));
  return Reply::json({{"items", items}});
}

Result<Reply> post_account_pc_removal(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_TRY(p->remove(me(ctx), ctx.param("id")));
  return Reply::json({{"status", "removed"}});
}

Result<Reply> get_account_pc_requests(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto list, p->pending(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : list) items.push_back(request_json(r, true));
  return Reply::json({{"items", items}});
}

Result<Reply> get_account_pc_request(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto r, p->request(me(ctx), ctx.param("id")));
  return Reply::json(request_json(r, true));
}

Result<Reply> post_account_pc_request_completion(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto result, b64_field(body, "result", 4 * (service::kMaxPcData / 3 + 1)));
  CS_ASSIGN(auto r, p->complete(me(ctx), ctx.param("id"), result));
  return Reply::json(request_json(r, false));
}

Result<Reply> post_account_pc_request_refusal(RequestContext& ctx) {
  CS_ASSIGN(auto* p, pcs(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 200));
  CS_ASSIGN(auto r, p->refuse(me(ctx), ctx.param("id"), reason.value_or("")));
  return Reply::json(request_json(r, false));
}

}  // namespace certseal::api
