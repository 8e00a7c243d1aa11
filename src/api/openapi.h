// The OpenAPI 3.1 document (docs/openapi.yaml), compiled into the binary.
#pragma once

#include <string_view>

namespace certseal::api {
std::string_view openapi_document();
}  // namespace certseal::api
