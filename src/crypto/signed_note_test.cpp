// C2SP signed-note and tlog-checkpoint: our lines, key IDs and parsing.
#include "crypto/signed_note.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/checkpoint.h"
#include "crypto/ed25519.h"

namespace certseal::crypto {
namespace {

TEST(SignedNoteTest, Ed25519NoteRoundTripAndRefusals) {
  SystemRng rng;
  auto seed = ed25519_new_seed(rng);
  Bytes pub = ed25519_public_key(seed).value();
  Checkpoint c{"example.com/log", 12, merkle::leaf_hash(to_bytes("x"))};
  std::string text = checkpoint_text(c);
  std::string note =
      text + "\n" + note_signature_line("example.com/log", note_ed25519_key_id("example.com/log", pub),
                                        ed25519_sign(seed, as_bytes(text)).value());
  auto opened = open_note_ed25519(note, "example.com/log", pub);
  ASSERT_TRUE(opened.ok()) << opened.error().cause;
  auto parsed = parse_checkpoint_text(*opened);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size, 12u);
  EXPECT_EQ(parsed->root, c.root);

  // The attacker changes the size: the signature fails.
  std::string forged = note;
  forged.replace(forged.find("\n12\n"), 4, "\n13\n");
  EXPECT_EQ(open_note_ed25519(forged, "example.com/log", pub).error().code, "signature_invalid");
  // Signed by another key under the same name: no line of the expected key.
  auto other = ed25519_new_seed(rng);
  std::string by_other = text + "\n" +
                         note_signature_line("example.com/log", note_ed25519_key_id("example.com/log", pub),
                                             ed25519_sign(other, as_bytes(text)).value());
  EXPECT_EQ(open_note_ed25519(by_other, "example.com/log", pub).error().code, "signature_invalid");
  EXPECT_EQ(open_note_ed25519(text + "\n", "example.com/log", pub).error().code, "malformed_note");

  // The verifier key round-trips.
  auto vk = parse_note_ed25519_verifier_key(note_ed25519_verifier_key("example.com/log", pub));
  ASSERT_TRUE(vk.ok());
  EXPECT_EQ(vk->first, "example.com/log");
  EXPECT_EQ(vk->second, pub);
}

TEST(SignedNoteTest, KeyIdFollowsTheSpec) {
  // key ID = SHA-256(name || 0x0A || 0x01 || key)[:4], computed here by hand.
  Bytes pub(32, 0xab);
  Bytes buf = to_bytes("a.example/b\n\x01");
  buf.insert(buf.end(), pub.begin(), pub.end());
  auto h = merkle::sha256_of(buf);
  std::uint32_t want = (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | h[3];
  EXPECT_EQ(note_ed25519_key_id("a.example/b", pub), want);
}

TEST(SignedNoteTest, CheckpointTextIsStrict) {
  EXPECT_FALSE(parse_checkpoint_text("o\n012\nAAAA\n").ok());
  EXPECT_FALSE(parse_checkpoint_text("o\n12\nAAAA\n").ok());
  EXPECT_FALSE(parse_checkpoint_text("o\n12\n").ok());
  Checkpoint c{"o", 0, merkle::empty_root()};
  EXPECT_TRUE(parse_checkpoint_text(checkpoint_text(c)).ok());
}

}  // namespace
}  // namespace certseal::crypto
