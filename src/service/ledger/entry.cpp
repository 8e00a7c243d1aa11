#include "service/ledger/entry.h"

namespace certseal::service::ledger {
namespace {

bool has_float(const nlohmann::json& v) {
  if (v.is_number_float()) return true;
  if (v.is_structured()) {
    for (const auto& x : v) {
      if (has_float(x)) return true;
    }
  }
  return false;
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& value) {
  if (has_float(value)) return invalid_argument("ledger_float", "ledger entries hold no floating-point numbers");
  // nlohmann::json keeps object members in a std::map: keys come out sorted by their bytes.
  // dump() without indent writes no whitespace; strict UTF-8 is enforced (throws on invalid).
  try {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception&) {
    return invalid_argument("invalid_field", "a ledger field is not valid UTF-8");
  }
}

Result<Bytes> canonical_entry(const LedgerEvent& e, std::string_view time) {
  if (e.type.empty()) return invalid_argument("invalid_field", "a ledger entry needs a type");
  nlohmann::json j = {{"v", 1}, {"type", e.type}, {"time", time}, {"result", e.result}};
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("account", e.owner);
  put("actor", e.actor);
  put("subject", e.subject);
  put("certificate", e.certificate);
  put("platform", e.platform);
  put("scene", e.scene);
  put("document", e.document);
  if (!e.detail.is_null() && !e.detail.empty()) j["detail"] = e.detail;
  CS_ASSIGN(auto s, canonical_json(j));
  if (s.size() > kMaxEntryBytes) {
    return invalid_argument("ledger_entry_too_large", "a ledger entry is limited to 65535 bytes");
  }
  return to_bytes(s);
}

}  // namespace certseal::service::ledger
