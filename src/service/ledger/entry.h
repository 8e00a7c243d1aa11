// One record of the transparency log (docs/LEDGER.md "Entries"): what happened, to what, by whom,
// when and with what result, as canonical JSON — object keys sorted by their UTF-8 bytes, no
// whitespace, no floating-point numbers, empty fields left out — so the same event always gives
// the same bytes and the same leaf hash.
//
//   auto e = LedgerEvent("shield.sign").by(account).of(account).on(key_id);
//   CS_ASSIGN(Bytes entry, canonical_entry(e, "2026-11-30T00:00:00.000Z"));
//
// Contract: pure functions, thread-safe. Errors: "ledger_float" (a floating-point number in
// detail), "ledger_entry_too_large" (over kMaxEntryBytes: entry bundles prefix each entry with a
// uint16 length), "invalid_field" (no type).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::service::ledger {

inline constexpr std::size_t kMaxEntryBytes = 65535;

struct LedgerEvent {
  LedgerEvent() = default;
  explicit LedgerEvent(std::string t) : type(std::move(t)) {}

  std::string type;         // "certificate.issue", "shield.sign", "account.login", ...
  std::string actor;        // account id of who acted; "" when the platform acted on its own
  std::string owner;        // account whose records this is (the user's `ledger verify` reads by it)
  std::string subject;      // what was acted on (shield key id, certificate id, account id)
  std::string certificate;  // certificate id, when one is involved
  std::string platform;     // trading platform id
  std::string scene;        // QR scene request id
  std::string document;     // hex hash of the signed or decrypted document
  std::string result = "ok";
  nlohmann::json detail = nlohmann::json::object();  // strings, integers, booleans only

  // Chainable setters, so a service records an event in one statement:
  //   recorder->append(tx, LedgerEvent("shield.sign").by(a).of(a).on(key).with("device", d))
  LedgerEvent& by(std::string v) { actor = std::move(v); return *this; }
  LedgerEvent& of(std::string v) { owner = std::move(v); return *this; }
  LedgerEvent& on(std::string v) { subject = std::move(v); return *this; }
  LedgerEvent& cert(std::string v) { certificate = std::move(v); return *this; }
  LedgerEvent& at_platform(std::string v) { platform = std::move(v); return *this; }
  LedgerEvent& in_scene(std::string v) { scene = std::move(v); return *this; }
  LedgerEvent& doc(std::string v) { document = std::move(v); return *this; }
  LedgerEvent& outcome(std::string v) { result = std::move(v); return *this; }
  template <class T>
  LedgerEvent& with(const std::string& key, T&& value) {
    detail[key] = std::forward<T>(value);
    return *this;
  }
};

// The canonical JSON of a value; refuses floating-point numbers anywhere in it.
Result<std::string> canonical_json(const nlohmann::json& value);

// The entry's bytes: {"account","actor","certificate","detail","document","platform","result",
// "scene","subject","time","type","v":1} with empty strings and an empty detail left out.
Result<Bytes> canonical_entry(const LedgerEvent& event, std::string_view time_rfc3339);

}  // namespace certseal::service::ledger
