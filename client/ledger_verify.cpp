#include "client/ledger_verify.h"

#include <fstream>
#include <sstream>

#include "base/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "client/messages.h"

namespace certseal::client {
namespace {

namespace merkle = crypto::merkle;
using nlohmann::json;

Error fails(std::string code, std::string msg) { return Error(ErrorKind::kFailedPrecondition, std::move(code), std::move(msg)); }

struct Opened {
  std::string note;
  crypto::Checkpoint cp;
};

Result<Opened> open_checkpoint(const std::string& note, const std::string& name, const Bytes& key) {
  auto text = crypto::open_note_ed25519(note, name, key);
  if (!text) return fails("ledger_bad_checkpoint", tr("err.ledger_bad_checkpoint", text.error().code));
  auto cp = crypto::parse_checkpoint_text(*text);
  if (!cp || cp->origin != name) return fails("ledger_bad_checkpoint", tr("err.ledger_bad_checkpoint", "text"));
  return Opened{note, *cp};
}

Result<std::vector<merkle::Hash>> hashes_of(const json& proof) {
  std::vector<merkle::Hash> out;
  for (const auto& h : proof.at("hashes")) {
    auto b = base64_decode(h.get<std::string>());
    if (!b) return fails("ledger_bad_proof", "bad proof hash");
    CS_ASSIGN(auto x, merkle::hash_from_bytes(*b));
    out.push_back(x);
  }
  return out;
}

std::string describe(std::uint64_t index, const std::string& entry) {
  auto j = json::parse(entry, nullptr, false);
  std::string type = j.is_object() ? j.value("type", "?") : "?";
  std::string time = j.is_object() ? j.value("time", "?") : "?";
  // Appended piece by piece: "#" + std::to_string(...) trips GCC 12's -Wrestrict at -O3.
  std::string out = "#";
  out += std::to_string(index);
  out += ' ';
  out += type;
  out += ' ';
  out += time;
  return out;
}

Status check_inclusion(Http& http, std::uint64_t index, const std::string& entry, const crypto::Checkpoint& cp) {
  CS_ASSIGN(auto proof, http.call("GET", "/api/v1/ledger/proofs/inclusion?index=" + std::to_string(index) +
                                             "&size=" + std::to_string(cp.size)));
  CS_ASSIGN(auto hashes, hashes_of(proof));
  if (!merkle::verify_inclusion(index, cp.size, merkle::leaf_hash(as_bytes(entry)), hashes, cp.root)) {
    return fails("ledger_record_fails", tr("err.ledger_record_fails", describe(index, entry), std::to_string(cp.size)));
  }
  return {};
}

}  // namespace

json LedgerVerifyReport::to_json() const {
  return {{"ok", true}, {"size", size}, {"old_size", old_size}, {"records", records}, {"key_from_server", key_from_server}};
}

Result<LedgerVerifyReport> verify_ledger(Http& http, const LedgerVerifyArgs& args) {
  LedgerVerifyReport rep;
  json state = json::object();
  if (!args.state_file.empty()) {
    std::ifstream in(args.state_file);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      state = json::parse(ss.str(), nullptr, false);
      if (!state.is_object()) return invalid_argument("bad_state_file", tr("err.ledger_state_file", args.state_file));
    }
  }
  std::string vkey = args.key;
  if (state.contains("key")) {
    if (!vkey.empty() && vkey != state["key"].get<std::string>()) {
      return fails("ledger_key_changed", tr("err.ledger_key_changed"));
    }
    vkey = state["key"].get<std::string>();
  }
  if (vkey.empty()) {
    CS_ASSIGN(auto keys, http.call("GET", "/api/v1/ledger/keys"));
    vkey = keys.at("ed25519_verifier_key").get<std::string>();
    rep.key_from_server = true;
  }
  auto parsed_key = crypto::parse_note_ed25519_verifier_key(vkey);
  if (!parsed_key) return invalid_argument("bad_key", tr("err.ledger_bad_key"));
  const auto& [name, key] = *parsed_key;

  CS_ASSIGN(auto cur_raw, http.raw("GET", "/ledger/checkpoint"));
  if (cur_raw.status != 200) return unavailable("server_error", tr("err.server", "checkpoint " + std::to_string(cur_raw.status)));
  CS_ASSIGN(auto cur, open_checkpoint(cur_raw.body, name, key));
  rep.size = cur.cp.size;

  std::optional<Opened> old;
  if (state.contains("checkpoint")) {
    CS_ASSIGN(auto o, open_checkpoint(state["checkpoint"].get<std::string>(), name, key));
    old = o;
    rep.old_size = o.cp.size;
    if (o.cp.size > cur.cp.size) return fails("ledger_rewritten", tr("err.ledger_rewritten", std::to_string(o.cp.size)));
    if (o.cp.size > 0) {
      CS_ASSIGN(auto proof, http.call("GET", "/api/v1/ledger/proofs/consistency?old=" + std::to_string(o.cp.size) +
                                                 "&new=" + std::to_string(cur.cp.size)));
      CS_ASSIGN(auto hashes, hashes_of(proof));
      if (!merkle::verify_consistency(o.cp.size, cur.cp.size, o.cp.root, cur.cp.root, hashes)) {
        return fails("ledger_rewritten", tr("err.ledger_rewritten", std::to_string(o.cp.size)));
      }
    }
  }

  std::string after;
  while (true) {
    CS_ASSIGN(auto page, http.call("GET", "/api/v1/account/ledger-entries?limit=1000" +
                                              (after.empty() ? std::string() : "&after=" + after)));
    for (const auto& item : page.at("items")) {
      std::uint64_t index = item.at("index").get<std::uint64_t>();
      std::string entry = item.at("entry").get<std::string>();
      if (index >= cur.cp.size) continue;  // not sequenced into this checkpoint yet
      CS_TRY(check_inclusion(http, index, entry, cur.cp));
      if (old && index < old->cp.size) CS_TRY(check_inclusion(http, index, entry, old->cp));
      ++rep.records;
    }
    if (!page.contains("next") || page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }

  if (!args.state_file.empty()) {
    std::string tmp = args.state_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << json{{"key", vkey}, {"checkpoint", cur.note}}.dump() << "\n";
      if (!out) return Error(ErrorKind::kInternal, "io", "cannot write " + tmp);
    }
    if (std::rename(tmp.c_str(), args.state_file.c_str()) != 0) {
      return Error(ErrorKind::kInternal, "io", "cannot write " + args.state_file);
    }
  }
  return rep;
}

}  // namespace certseal::client
