// CloudKeyService: logging out of one application or of all (退出登录, cloudkey_service.h). Each
// application a staff member uses the platform from (the client on a phone, the H5 app, a PC)
// holds a session of the account (the account area's `sessions` table, read and ended here with
// the same statement AccountService::logout uses); ending one makes its token useless at once.
#include <chrono>

#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;
namespace {

constexpr std::size_t kSessionIdHex = 16;

std::string unix_text(std::int64_t s) { return format_rfc3339(sys_time_from_unix(s)); }

}  // namespace

Result<std::vector<AppSession>> CloudKeyService::sessions(const std::string& account_id,
                                                          const std::string& current_session) {
  return db_.read_value<std::vector<AppSession>>([&](store::Tx& tx) -> Result<std::vector<AppSession>> {
    CS_ASSIGN(auto rows, tx.query("SELECT token_hash, created_at, expires_at, remote_addr FROM sessions WHERE "
                                  "account_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC "
                                  "LIMIT 200",
                                  {account_id, clock_.now_unix()}));
    std::vector<AppSession> out;
    for (const auto& r : rows) {
      const std::string hash = r.text("token_hash");
      out.push_back({hash.substr(0, kSessionIdHex), unix_text(r.integer("created_at")),
                     unix_text(r.integer("expires_at")), r.text("remote_addr"), hash == current_session});
    }
    return out;
  });
}

Result<std::int64_t> CloudKeyService::log_out(const std::string& account_id, const std::string& current_session,
                                              const std::string& session_id, bool all) {
  if (!all && (session_id.size() != kSessionIdHex ||
               session_id.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return field_error("session", "a session id as listed (16 hex digits)");
  }
  return db_.write_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
    const std::int64_t now = clock_.now_unix();
    std::int64_t n = 0;
    if (all) {
      CS_ASSIGN(n, tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", {now,
                                                                                                            account_id}));
    } else {
      // The prefix names one live session of this account (a collision of 64 bits would need
      // billions of sessions); another account's session is not found.
      CS_ASSIGN(auto rows, tx.query("SELECT token_hash FROM sessions WHERE account_id = ? AND revoked_at IS NULL AND "
                                    "expires_at > ?",
                                    {account_id, now}));
      std::string hash;
      for (const auto& r : rows) {
        if (r.text("token_hash").compare(0, kSessionIdHex, session_id) == 0) hash = r.text("token_hash");
      }
      if (hash.empty()) return not_found("session_not_found", "no such session of yours");
      CS_ASSIGN(n, tx.exec("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                           {now, hash}));
    }
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.logout")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(account_id)
                                           .with("all", all)
                                           .with("session", all ? std::string() : session_id)
                                           .with("ended", n)
                                           .with("own_session_ended",
                                                 all || current_session.compare(0, kSessionIdHex, session_id) == 0)));
    return n;
  });
}

}  // namespace certseal::service
