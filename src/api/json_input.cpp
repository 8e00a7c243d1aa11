#include "api/json_input.h"

namespace certseal::api {
namespace {
Error field_problem(std::string_view field, std::string code, std::string detail) {
  Error e = invalid_argument(code, detail);
  e.fields.push_back({std::string(field), std::move(code), std::move(detail)});
  return e;
}
}  // namespace

Status require_object(const nlohmann::json& body) {
  if (!body.is_object()) return invalid_argument("body_not_object", "the request body must be a JSON object");
  return {};
}

Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::string_view field, std::size_t max_len) {
  CS_TRY(require_object(body));
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return field_problem(field, "not_a_string", std::string(field) + " must be a string");
  }
  std::string v = it->get<std::string>();
  if (v.size() > max_len) {
    return field_problem(field, "too_long",
                         std::string(field) + " is longer than " + std::to_string(max_len) + " bytes");
  }
  return std::optional<std::string>(std::move(v));
}

Result<std::string> required_string(const nlohmann::json& body, std::string_view field,
                                    std::size_t max_len) {
  CS_ASSIGN(auto v, optional_string(body, field, max_len));
  if (!v || v->empty()) {
    return field_problem(field, "required", std::string(field) + " is required");
  }
  return std::move(*v);
}

}  // namespace certseal::api
