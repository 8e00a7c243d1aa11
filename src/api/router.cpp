#include "api/router.h"

#include <algorithm>
#include <charconv>

namespace certseal::api {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kPublic: return "public";
    case Role::kAccount: return "account";
    case Role::kUser: return "user";
    case Role::kOperator: return "operator";
    case Role::kRelyingParty: return "relying_party";
    case Role::kMetrics: return "metrics";
  }
  return "public";
}

bool Principal::has(Role r) const {
  if (r == Role::kMetrics) r = Role::kOperator;  // the token path is checked by the Dispatcher
  return r == Role::kPublic || std::find(roles.begin(), roles.end(), r) != roles.end();
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

Reply Reply::json(const nlohmann::json& j, int status) {
  Reply r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Reply Reply::text(std::string body, std::string content_type, int status) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

const std::string& RequestContext::param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params_.find(name);
  return it == params_.end() ? kEmpty : it->second;
}

std::optional<std::string> RequestContext::query(std::string_view name) const {
  for (auto& [k, v] : net::parse_query(req_.query)) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Result<nlohmann::json> RequestContext::json_body() const {
  if (!json_depth_within(req_.body, kMaxJsonDepth)) {
    return invalid_argument("json_too_deep", "the request body nests JSON more than " +
                                                 std::to_string(kMaxJsonDepth) + " levels deep");
  }
  auto j = nlohmann::json::parse(req_.body, nullptr, false);
  if (j.is_discarded()) {
    return invalid_argument("malformed_json", "the request body is not valid JSON");
  }
  return j;
}

bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string, std::less<>>* params) {
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty()) return false;
    if (pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pe = pattern.find('/');
    auto se = path.find('/');
    std::string_view pseg = pattern.substr(0, pe), sseg = path.substr(0, se);
    if (pe == std::string_view::npos && pseg.size() > 3 && pseg.front() == '{' && pseg.substr(pseg.size() - 2) == "+}") {
      // A final "{name+}" takes the rest of the path, slashes included (tlog-tiles paths).
      if (path.empty()) return false;
      if (params) (*params)[std::string(pseg.substr(1, pseg.size() - 3))] = net::percent_decode(path);
      return true;
    }
    if (pseg.size() > 2 && pseg.front() == '{' && pseg.back() == '}') {
      if (sseg.empty()) return false;
      if (params) (*params)[std::string(pseg.substr(1, pseg.size() - 2))] = net::percent_decode(sseg);
    } else if (pseg != sseg) {
      return false;
    }
    pattern = pe == std::string_view::npos ? std::string_view() : pattern.substr(pe);
    path = se == std::string_view::npos ? std::string_view() : path.substr(se);
  }
  return true;
}

Result<PageRequest> page_request(const RequestContext& ctx) {
  PageRequest p;
  if (auto a = ctx.query("after")) p.after = *a;
  if (auto l = ctx.query("limit")) {
    int n = 0;
    auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc() || ptr != l->data() + l->size() || n < 1 || n > 100) {
      return invalid_argument("bad_limit", "limit must be an integer from 1 to 100")
          .with_field("limit", "out_of_range", "an integer from 1 to 100");
    }
    p.limit = n;
  }
  return p;
}

nlohmann::json page_json(nlohmann::json items, const std::optional<std::string>& next) {
  return {{"items", std::move(items)}, {"next", next ? nlohmann::json(*next) : nlohmann::json()}};
}

}  // namespace certseal::api
