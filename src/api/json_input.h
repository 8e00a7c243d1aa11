// Reading request fields with clear, field-named errors (400 with `errors[]`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace certseal::api {

// The body must be a JSON object.
Status require_object(const nlohmann::json& body);
// A required string field, 1..max_len bytes.
Result<std::string> required_string(const nlohmann::json& body, std::string_view field,
                                    std::size_t max_len = 4096);
// An optional string field (absent or null gives nullopt); wrong type is an error.
Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::string_view field,
                                                   std::size_t max_len = 4096);

}  // namespace certseal::api
