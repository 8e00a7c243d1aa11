// The seal data verifier (seal_verifier.h).
#include "service/seal/seal_verifier.h"

#include <algorithm>

#include "seal/seseal.h"

namespace certseal::service {

Result<SealVerification> verify_seal_data(store::Database& db, const Clock& clock, BytesView der,
                                          BytesView expected_cert) {
  CS_ASSIGN(seal::ParsedSeal seal, seal::parse_seseal(der));
  SealVerification v;
  v.version = seal.info.version;
  v.seal_id = seal.info.seal_id;
  v.name = seal.info.name;
  v.vendor_id = seal.info.vendor_id;
  auto add = [&](std::string name, bool ok, std::string detail = {}) {
    v.checks.push_back({std::move(name), ok, std::move(detail)});
  };
  Status sig = seal::verify_maker_signature(seal);
  add("maker_signature", sig.ok(), sig.ok() ? "" : sig.error().code);
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  CS_TRY(db.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto maker, tx.query_one("SELECT id, profile, status, not_before, not_after, revoked_at FROM "
                                       "pki_certificate WHERE der = ?",
                                       {seal.maker_certificate}));
    const bool known = maker && maker->text("profile") == "seal_maker";
    add("maker_certificate", known, known ? "" : "not a seal-maker certificate issued by this platform");
    if (known) {
      v.maker_certificate_id = maker->text("id");
      const bool in_time = maker->integer("not_before") <= now && now <= maker->integer("not_after");
      add("maker_validity", in_time, in_time ? "" : "outside the maker certificate's validity");
      const bool revoked = maker->text("status") == "revoked";
      add("maker_revocation", !revoked, revoked ? "the maker certificate is revoked" : "");
    } else {
      add("maker_validity", false, "unknown maker certificate");
      add("maker_revocation", false, "unknown maker certificate");
    }
    const SysTime t = clock.now();
    const bool dates = seal.info.valid_from <= t && t <= seal.info.valid_to && seal.info.created <= seal.info.valid_to;
    add("seal_dates", dates, dates ? "" : "the seal is not valid now");
    // Bound certificates: issued here and not revoked; the expected one among them.
    bool bound = !seal.info.certificates.empty();
    std::string why;
    for (const Bytes& c : seal.info.certificates) {
      CS_ASSIGN(auto r, tx.query_one("SELECT status FROM pki_certificate WHERE der = ?", {c}));
      if (!r) {
        bound = false;
        why = "a bound certificate was not issued here";
      } else if (r->text("status") == "revoked") {
        bound = false;
        why = "a bound certificate is revoked";
      }
    }
    if (seal.info.cert_list_type != 1) {
      bound = false;
      why = "certificate digests are not checked by this platform";
    }
    if (bound && !expected_cert.empty() &&
        std::none_of(seal.info.certificates.begin(), seal.info.certificates.end(),
                     [&](const Bytes& c) { return std::equal(c.begin(), c.end(), expected_cert.begin(), expected_cert.end()); })) {
      bound = false;
      why = "the seal is not bound to the expected certificate";
    }
    add("bound_certificate", bound, why);
    return ok_status();
  }));
  v.valid = std::all_of(v.checks.begin(), v.checks.end(), [](const SealCheck& c) { return c.ok; });
  return v;
}

}  // namespace certseal::service
