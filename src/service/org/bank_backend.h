// The bank side of the organisation check (打款验证): a backend pays a small amount into the
// organisation's account, which its admin then reads from the statement and types back.
// Contract: implementations are thread-safe; a transfer is recorded in the caller's transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

// The bank side of the small-amount transfer check (打款验证).
class BankBackend {
 public:
  virtual ~BankBackend() = default;
  virtual std::string_view name() const = 0;
  // Pays a small random amount (1-99 fen) into the account; returns the amount.
  virtual Result<std::int64_t> send_test_transfer(store::Tx& tx, const std::string& org_id,
                                                  const std::string& bank_name,
                                                  const std::string& account,
                                                  const std::string& account_name) = 0;
};

// Development bank: no money moves; the amount is recorded in bank_transfers, where operators
// (and tests) read it, like the SMS outbox.
class DevBankBackend final : public BankBackend {
 public:
  DevBankBackend(const Clock& clock, Rng& rng) : clock_(clock), rng_(rng) {}
  std::string_view name() const override { return "dev"; }
  Result<std::int64_t> send_test_transfer(store::Tx& tx, const std::string& org_id,
                                          const std::string& bank_name, const std::string& account,
                                          const std::string& account_name) override;

 private:
  const Clock& clock_;
  Rng& rng_;
};

}  // namespace certseal::service
