#include "crypto/signed_note.h"

#include <cstdio>

#include "base/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"

namespace certseal::crypto {
namespace {

constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 EM DASH, space

Error malformed(std::string why) {
  return invalid_argument("malformed_note", "the signed note is malformed").with_cause(std::move(why));
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c == '+' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::uint32_t note_key_id(std::string_view name, std::string_view type, BytesView public_key) {
  Bytes buf(name.begin(), name.end());
  buf.push_back('\n');
  buf.insert(buf.end(), type.begin(), type.end());
  buf.insert(buf.end(), public_key.begin(), public_key.end());
  auto h = merkle::sha256_of(buf);
  return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | h[3];
}

std::string note_signature_line(std::string_view name, std::uint32_t key_id, BytesView signature) {
  Bytes b{static_cast<std::uint8_t>(key_id >> 24), static_cast<std::uint8_t>(key_id >> 16),
          static_cast<std::uint8_t>(key_id >> 8), static_cast<std::uint8_t>(key_id)};
  b.insert(b.end(), signature.begin(), signature.end());
  return std::string(kDash) + std::string(name) + " " + base64_encode(b) + "\n";
}

std::string note_ed25519_verifier_key(std::string_view name, BytesView public_key) {
  char id[9];
  std::snprintf(id, sizeof id, "%08x", note_ed25519_key_id(name, public_key));
  Bytes k{kNoteTypeEd25519};
  k.insert(k.end(), public_key.begin(), public_key.end());
  return std::string(name) + "+" + id + "+" + base64_encode(k);
}

Result<std::pair<std::string, Bytes>> parse_note_ed25519_verifier_key(std::string_view vkey) {
  auto bad = [] { return invalid_argument("bad_key", "the log key is not <name>+<key id>+<base64 key>"); };
  auto p1 = vkey.find('+');
  if (p1 == std::string_view::npos) return bad();
  auto p2 = vkey.find('+', p1 + 1);
  if (p2 == std::string_view::npos) return bad();
  std::string name(vkey.substr(0, p1));
  auto k = base64_decode(vkey.substr(p2 + 1));
  if (!valid_name(name) || !k || k->size() != 33 || (*k)[0] != kNoteTypeEd25519) return bad();
  Bytes pub(k->begin() + 1, k->end());
  char id[9];
  std::snprintf(id, sizeof id, "%08x", note_ed25519_key_id(name, pub));
  if (vkey.substr(p1 + 1, p2 - p1 - 1) != id) return bad();
  return std::pair{name, pub};
}

Result<Note> parse_note(std::string_view note) {
  for (unsigned char c : note) {
    if (c < 0x20 && c != '\n') return malformed("control character");
  }
  if (note.empty() || note.back() != '\n') return malformed("no final newline");
  auto split = note.rfind("\n\n");
  if (split == std::string_view::npos) return malformed("no blank line before the signatures");
  Note out;
  out.text = std::string(note.substr(0, split + 1));
  std::string_view rest = note.substr(split + 2);
  if (rest.empty()) return malformed("no signature");
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.substr(0, kDash.size()) != kDash) return malformed("a signature line does not start with an em dash");
    line.remove_prefix(kDash.size());
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) return malformed("a signature line has no space");
    std::string name(line.substr(0, sp));
    if (!valid_name(name)) return malformed("bad key name");
    auto sig = base64_decode(line.substr(sp + 1));
    if (!sig || sig->size() < 5) return malformed("bad signature encoding");
    if (out.signatures.size() == kNoteMaxSignatures) return malformed("too many signatures");
    NoteSignature s;
    s.name = std::move(name);
    s.key_id = (std::uint32_t{(*sig)[0]} << 24) | (std::uint32_t{(*sig)[1]} << 16) |
               (std::uint32_t{(*sig)[2]} << 8) | (*sig)[3];
    s.signature.assign(sig->begin() + 4, sig->end());
    out.signatures.push_back(std::move(s));
  }
  return out;
}

Result<std::string> open_note_ed25519(std::string_view note, std::string_view name, BytesView public_key) {
  CS_ASSIGN(auto n, parse_note(note));
  std::uint32_t id = note_ed25519_key_id(name, public_key);
  bool seen = false;
  for (const auto& s : n.signatures) {
    if (s.name != name || s.key_id != id) continue;
    CS_TRY(ed25519_verify(public_key, as_bytes(n.text), s.signature));
    seen = true;
  }
  if (!seen) return invalid_argument("unknown_key", "the note carries no signature of the expected log key");
  return n.text;
}

}  // namespace certseal::crypto
