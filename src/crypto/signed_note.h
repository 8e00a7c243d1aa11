// C2SP signed-note (c2sp.org/signed-note): a text ending in a newline, a blank line, then one
// signature line per key: "— <key name> base64(uint32 key ID || signature)\n".
//
//   std::string note = text + "\n" + note_signature_line(name, id, sig);
//   CS_ASSIGN(auto n, parse_note(note));  // n.text, n.signatures
//
// Signature types we use (docs/LEDGER.md "Keys"):
//   0x01 Ed25519 (the spec's own): key ID = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4].
//   0xff || "certseal/sm2-sm3": SM2 with SM3 (GB/T 32918, default ID), DER signature; no type byte
//        is assigned to SM2, and 0x02 is defined for NIST curves only, so we take the spec's
//        escape byte 0xff followed by a longer identifier, as it recommends. Key ID =
//        SHA-256(name || 0x0A || 0xff || "certseal/sm2-sm3" || SPKI DER)[:4].
// Verifiers ignore lines whose (name, key ID) they do not know, so standard Ed25519 clients
// skip the SM2 line.
//
// Contract: pure functions, thread-safe. Errors: "malformed_note" (not UTF-8-safe text, no
// blank line before the signatures, a malformed line), "signature_invalid", "unknown_key" (no
// line from the expected key).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::crypto {

inline constexpr std::uint8_t kNoteTypeEd25519 = 0x01;
inline constexpr std::string_view kNoteSm2TypeId = "\xff" "certseal/sm2-sm3";
inline constexpr std::size_t kNoteMaxSignatures = 16;

struct NoteSignature {
  std::string name;
  std::uint32_t key_id = 0;
  Bytes signature;  // without the key ID
};

struct Note {
  std::string text;  // includes its final newline
  std::vector<NoteSignature> signatures;
};

// key ID = SHA-256(name || 0x0A || type || public key encoding)[:4], big-endian.
std::uint32_t note_key_id(std::string_view name, std::string_view type, BytesView public_key);
inline std::uint32_t note_ed25519_key_id(std::string_view name, BytesView public_key) {
  return note_key_id(name, std::string_view("\x01", 1), public_key);
}

std::string note_signature_line(std::string_view name, std::uint32_t key_id, BytesView signature);

// The key in the textual form Go's sumdb/note verifiers read: "<name>+<hex key ID>+base64(0x01 || key)".
std::string note_ed25519_verifier_key(std::string_view name, BytesView public_key);
// Parses that form back (Errors: bad_key). Returns (name, public key).
Result<std::pair<std::string, Bytes>> parse_note_ed25519_verifier_key(std::string_view vkey);

// Splits a note into text and signatures (at most kNoteMaxSignatures lines).
Result<Note> parse_note(std::string_view note);

// Verifies the Ed25519 line of (name, public key); ok only when it is present and valid.
// Returns the note text.
Result<std::string> open_note_ed25519(std::string_view note, std::string_view name, BytesView public_key);

}  // namespace certseal::crypto
