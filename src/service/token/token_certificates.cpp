#include "service/token/token_certificates.h"

#include <cctype>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"

namespace certseal::service {
namespace {

Error bad_field(const std::string& f, const std::string& what) {
  return invalid_argument("invalid_field", f + " must be " + what).with_field(f, "invalid", what);
}

TokenRequestView from_row(const store::Row& r) {
  TokenRequestView v;
  v.id = r.text("id");
  v.account_id = r.text("account_id");
  v.flow = r.text("flow");
  v.name = r.text("name");
  v.id_number = r.text("id_number");
  v.status = r.text("status");
  v.certificate_id = r.text("certificate_id");
  v.reason = r.text("reason");
  v.created_at = r.text("created_at");
  v.reviewed_by = r.text("reviewed_by");
  return v;
}

bool looks_like_id_number(const std::string& s) {
  if (s.size() != 18) return false;
  for (std::size_t i = 0; i < 17; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return std::isdigit(static_cast<unsigned char>(s[17])) || s[17] == 'X';
}

}  // namespace

Bytes TokenCertificates::pop_message(const std::string& account_id, const std::string& name,
                                     const std::string& id_number, BytesView spki) {
  return to_bytes("certseal-token-request v1\n" + account_id + "\n" + name + "\n" + id_number +
                  "\n" + hex_encode(crypto::sha256(spki)));
}

Result<TokenRequestView> TokenCertificates::submit(const std::string& account_id,
                                                   const TokenRequestInput& in) {
  if (in.name.empty() || in.name.size() > 64) return bad_field("name", "1-64 characters");
  if (!looks_like_id_number(in.id_number))
    return bad_field("id_number", "an 18-character resident ID number");
  auto key = crypto::PublicKey::from_spki_der(in.spki);
  if (!key) return bad_field("public_key", "a SubjectPublicKeyInfo (DER, base64)");
  crypto::SignScheme scheme = key->type() == crypto::KeyType::kSm2 ? crypto::SignScheme::kSm2Sm3
                              : key->type() == crypto::KeyType::kEcP256
                                  ? crypto::SignScheme::kEcdsaSha256
                                  : crypto::SignScheme::kRsaPkcs1Sha256;
  if (!crypto::verify(*key, scheme, pop_message(account_id, in.name, in.id_number, in.spki), in.pop)
           .ok()) {
    return permission_denied("pop_invalid",
                             "the proof of possession is not a signature of this key");
  }
  TokenRequestView v;
  v.id = new_uuid_v7(clock_, rng_);
  v.account_id = account_id;
  v.name = in.name;
  v.id_number = in.id_number;
  v.created_at = format_rfc3339(clock_.now());
  // Pre-entered flow: an unused roster entry for this person is used up in the same transaction.
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(
        auto entry,
        tx.query_one(
            "SELECT id FROM token_roster WHERE name = ? AND id_number = ? AND used_by IS NULL "
            "ORDER BY id LIMIT 1",
            {in.name, in.id_number}));
    v.flow = entry ? "preentered" : "standard";
    v.status = "pending_review";
    if (entry)
      CS_TRY(
          tx.exec("UPDATE token_roster SET used_by = ? WHERE id = ?", {v.id, entry->text("id")}));
    CS_TRY(
        tx.exec("INSERT INTO token_requests (id, account_id, flow, name, id_number, spki, status, "
                "created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                {v.id, account_id, v.flow, v.name, v.id_number, in.spki, v.status, v.created_at}));
    return ok_status();
  }));
  if (v.flow == "preentered") return issue(v, "roster");
  return v;
}

Result<TokenRequestView> TokenCertificates::load(const std::string& id) {
  CS_ASSIGN(auto v,
            db_.read_value<TokenRequestView>([&](store::Tx& tx) -> Result<TokenRequestView> {
              CS_ASSIGN(auto r, tx.query_one("SELECT * FROM token_requests WHERE id = ?", {id}));
              if (!r)
                return not_found("token_request_not_found", "no such token certificate request");
              return from_row(*r);
            }));
  if (!v.certificate_id.empty()) {
    CS_ASSIGN(auto rec, ca_.get(v.certificate_id));
    v.certificate_der = rec.der;
  }
  return v;
}

Result<TokenRequestView> TokenCertificates::issue(const TokenRequestView& r,
                                                  const std::string& reviewer) {
  CS_ASSIGN(auto spki, db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto row, tx.query_one("SELECT spki FROM token_requests WHERE id = ?", {r.id}));
    if (!row) return not_found("token_request_not_found", "no such token certificate request");
    return row->blob("spki");
  }));
  ca::IssueInput in;
  in.request_id = "token:" + r.id;
  in.ca_id = opts_.ca_id;
  in.profile = opts_.profile;
  in.subject.common_name = r.name;
  in.subject.identity_code = r.id_number;
  in.public_key = base64_encode(spki);
  in.validity_days = opts_.validity_days;
  CS_ASSIGN(auto rec, ca_.issue(in));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(
        tx.exec("UPDATE token_requests SET status = 'issued', certificate_id = ?, reviewed_by = ?, "
                "reviewed_at = ? "
                "WHERE id = ? AND status = 'pending_review'",
                {rec.id, reviewer, format_rfc3339(clock_.now()), r.id}));
    return ok_status();
  }));
  log_.info("token certificate issued",
            {{"request_id", r.id}, {"certificate_id", rec.id}, {"flow", r.flow}});
  return load(r.id);
}

Result<std::vector<TokenRequestView>> TokenCertificates::requests(const std::string& account_id) {
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT * FROM token_requests WHERE account_id = ? ORDER BY id DESC LIMIT 100",
                    {account_id});
  }));
  std::vector<TokenRequestView> out;
  for (const auto& r : rows) {
    TokenRequestView v = from_row(r);
    if (!v.certificate_id.empty()) {
      CS_ASSIGN(auto rec, ca_.get(v.certificate_id));
      v.certificate_der = rec.der;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<TokenRequestView> TokenCertificates::renew(const std::string& account_id,
                                                  const std::string& id) {
  CS_ASSIGN(auto v, load(id));
  if (v.account_id != account_id)
    return not_found("token_request_not_found", "no such token certificate request");
  if (v.status != "issued")
    return conflict("token_request_not_issued", "this request has no certificate to renew");
  CS_ASSIGN(auto rec,
            ca_.renew("token-renewal:" + v.certificate_id, v.certificate_id, opts_.validity_days));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE token_requests SET certificate_id = ? WHERE id = ?", {rec.id, id}));
    return ok_status();
  }));
  // Valid certificates do not pile up: the old one is superseded.
  CS_TRY(ca_.revoke("token-superseded:" + v.certificate_id, v.certificate_id,
                    pki::RevocationReason::kSuperseded));
  return load(id);
}

Status TokenCertificates::add_roster(const std::string& operator_id,
                                     const std::vector<RosterEntry>& entries) {
  if (entries.empty() || entries.size() > 1000) return bad_field("entries", "1-1000 people");
  for (const auto& e : entries) {
    if (e.name.empty() || e.name.size() > 64)
      return bad_field("entries", "people with a name of 1-64 characters");
    if (!looks_like_id_number(e.id_number))
      return bad_field("entries", "people with 18-character ID numbers");
  }
  return db_.write([&](store::Tx& tx) -> Status {
    const std::string now = format_rfc3339(clock_.now());
    for (const auto& e : entries) {
      CS_TRY(
          tx.exec("INSERT INTO token_roster (id, name, id_number, uploaded_by, created_at) VALUES "
                  "(?, ?, ?, ?, ?)",
                  {new_uuid_v7(clock_, rng_), e.name, e.id_number, operator_id, now}));
    }
    return ok_status();
  });
}

Result<std::vector<TokenRequestView>> TokenCertificates::pending() {
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query(
        "SELECT * FROM token_requests WHERE status = 'pending_review' ORDER BY id LIMIT 100");
  }));
  std::vector<TokenRequestView> out;
  for (const auto& r : rows) out.push_back(from_row(r));
  return out;
}

Result<TokenRequestView> TokenCertificates::approve(const std::string& operator_id,
                                                    const std::string& id) {
  CS_ASSIGN(auto v, load(id));
  if (v.status != "pending_review")
    return conflict("token_request_not_pending", "this request is " + v.status);
  return issue(v, operator_id);
}

Result<TokenRequestView> TokenCertificates::reject(const std::string& operator_id,
                                                   const std::string& id,
                                                   const std::string& reason) {
  if (reason.size() > 200) return bad_field("reason", "at most 200 characters");
  CS_ASSIGN(auto n, db_.write_value<std::int64_t>([&](store::Tx& tx) {
    return tx.exec(
        "UPDATE token_requests SET status = 'rejected', reason = ?, reviewed_by = ?, reviewed_at = "
        "? "
        "WHERE id = ? AND status = 'pending_review'",
        {reason, operator_id, format_rfc3339(clock_.now()), id});
  }));
  if (n == 0) {
    CS_ASSIGN(auto v, load(id));
    return conflict("token_request_not_pending", "this request is " + v.status);
  }
  return load(id);
}

}  // namespace certseal::service
