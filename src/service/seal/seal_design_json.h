// The JSON form of a seal design, shared by the API and the certseal client (docs/SEALS.md):
//   {"method": "template", "name": "…", "horizontal_text": "…", "code": "1101080123456",
//    "tax_number": "…", "size_mm": 40, "shape": "round"|"square", "carving": "yang"|"yin",
//    "suffix": ""|"yin"|"zhiyin"}
//   {"method": "drawing", "px_per_mm": 6, "pen_mm": 0.9,
//    "strokes": [[[x, y, pressure, t_ms], …], …]}
// Contract: pure. Errors: invalid_field with the field named (400 with errors[]).
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "service/seal/seal_service.h"

namespace certseal::service {

Result<SealDesign> design_from_json(const nlohmann::json& j);
nlohmann::json design_to_json(const SealDesign& d);
nlohmann::json seal_view_json(const SealView& v);

}  // namespace certseal::service
