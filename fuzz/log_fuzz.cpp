// The transparency log's text formats as a client or witness reads them from the server:
// signed notes (C2SP signed-note), checkpoints (C2SP tlog-checkpoint), verifier keys, and tile
// paths (C2SP tlog-tiles) as the server reads them from a URL. Round trips: a checkpoint that
// parses prints back to text that parses to the same checkpoint; a tile path that parses prints
// back to the same path.
#include <cstdlib>

#include "crypto/checkpoint.h"
#include "crypto/signed_note.h"
#include "fuzz/fuzz_input.h"
#include "service/ledger/tiles.h"

using namespace certseal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  const std::string_view text = in.rest_text();
  switch (mode % 4) {
    case 0: {
      auto note = crypto::parse_note(text);
      if (note && note->text.size() > text.size()) std::abort();
      const Bytes key(32, 0x42);
      (void)crypto::open_note_ed25519(text, "log.example", key);
      break;
    }
    case 1: {
      auto cp = crypto::parse_checkpoint_text(text);
      if (!cp) break;
      auto again = crypto::parse_checkpoint_text(crypto::checkpoint_text(*cp));
      if (!again || again->origin != cp->origin || again->size != cp->size || again->root != cp->root) std::abort();
      break;
    }
    case 2:
      (void)crypto::parse_note_ed25519_verifier_key(text);
      break;
    default: {
      auto t = service::ledger::parse_tile_path(text);
      if (t && service::ledger::tile_path(*t) != text) std::abort();
      break;
    }
  }
  return 0;
}
