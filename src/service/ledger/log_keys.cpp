#include "service/ledger/log_keys.h"

#include "crypto/ed25519.h"
#include "crypto/pkey.h"
#include "crypto/signed_note.h"

namespace certseal::service::ledger {
namespace {

Error keys_error(std::string cause) {
  return Error(ErrorKind::kInternal, "ledger_keys", "the transparency log's keys do not open", std::move(cause));
}

}  // namespace

Result<std::unique_ptr<LogKeys>> LogKeys::open(store::Database& db, keystore::KeyManager& km, const Clock& clock,
                                               Rng& rng, Logger& log, const std::string& origin) {
  auto load = [&]() -> Result<std::optional<store::Row>> {
    return db.read_value<std::optional<store::Row>>(
        [](store::Tx& tx) { return tx.query_one("SELECT * FROM ledger_keys WHERE id = 1"); });
  };
  CS_ASSIGN(auto row, load());
  if (!row) {
    CS_ASSIGN(auto sm2, km.generate(crypto::KeyType::kSm2, "ledger:checkpoint-sm2"));
    SecretBytes seed = crypto::ed25519_new_seed(rng);
    CS_ASSIGN(Bytes pub, crypto::ed25519_public_key(seed));
    CS_ASSIGN(auto sm2_pub, crypto::PublicKey::from_spki_der(sm2.public_key));
    CS_ASSIGN(Bytes wrapped, crypto::encrypt(sm2_pub, crypto::EncryptScheme::kSm2C1C3C2, seed));
    CS_ASSIGN(auto inserted, db.write_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      return tx.exec("INSERT INTO ledger_keys (id, origin, sm2_key_id, sm2_public, ed25519_public, ed25519_seed_wrapped, "
                     "created_at) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                     {origin, sm2.id, sm2.public_key, pub, wrapped, format_rfc3339(clock.now())});
    }));
    if (inserted == 0) (void)km.destroy(sm2.id);  // another node was first
    else log.info("transparency log keys created", {{"origin", origin}});
    CS_ASSIGN(row, load());
    if (!row) return keys_error("ledger_keys row missing after insert");
  }
  std::unique_ptr<LogKeys> k(new LogKeys(km));
  k->origin_ = row->text("origin");
  k->sm2_key_id_ = row->text("sm2_key_id");
  k->sm2_public_ = row->blob("sm2_public");
  k->ed25519_public_ = row->blob("ed25519_public");
  auto seed = km.decrypt(k->sm2_key_id_, crypto::EncryptScheme::kSm2C1C3C2, row->blob("ed25519_seed_wrapped"));
  if (!seed) return keys_error("unwrap: " + seed.error().code + " " + seed.error().cause);
  k->ed25519_seed_ = std::move(*seed);
  CS_ASSIGN(Bytes pub, crypto::ed25519_public_key(k->ed25519_seed_));
  if (pub != k->ed25519_public_) return keys_error("the Ed25519 seed does not match its public key");
  if (!origin.empty() && origin != k->origin_) {
    log.warn("ledger.origin differs from the log's origin fixed at its creation; keeping the log's",
             {{"configured", origin}, {"origin", k->origin_}});
  }
  return k;
}

std::uint32_t LogKeys::ed25519_key_id() const { return crypto::note_ed25519_key_id(origin_, ed25519_public_); }
std::uint32_t LogKeys::sm2_key_id() const { return crypto::note_key_id(origin_, crypto::kNoteSm2TypeId, sm2_public_); }
std::string LogKeys::verifier_key() const { return crypto::note_ed25519_verifier_key(origin_, ed25519_public_); }

Result<std::string> LogKeys::sign(const crypto::Checkpoint& c) const {
  std::string text = crypto::checkpoint_text(c);
  CS_ASSIGN(Bytes ed, crypto::ed25519_sign(ed25519_seed_, as_bytes(text)));
  CS_ASSIGN(Bytes sm2, km_.sign(sm2_key_id_, crypto::SignScheme::kSm2Sm3, as_bytes(text), crypto::kSm2DefaultId));
  return text + "\n" + crypto::note_signature_line(origin_, ed25519_key_id(), ed) +
         crypto::note_signature_line(origin_, sm2_key_id(), sm2);
}

Status verify_sm2_line(std::string_view note, std::string_view origin, BytesView sm2_public_spki) {
  CS_ASSIGN(auto n, crypto::parse_note(note));
  std::uint32_t id = crypto::note_key_id(origin, crypto::kNoteSm2TypeId, sm2_public_spki);
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(sm2_public_spki));
  for (const auto& s : n.signatures) {
    if (s.name == origin && s.key_id == id) {
      return crypto::verify(pub, crypto::SignScheme::kSm2Sm3, as_bytes(n.text), s.signature, crypto::kSm2DefaultId);
    }
  }
  return invalid_argument("unknown_key", "the note carries no SM2 signature of the log");
}

}  // namespace certseal::service::ledger
