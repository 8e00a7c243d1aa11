#include "service/org/bank_backend.h"

#include "base/id.h"

namespace certseal::service {

Result<std::int64_t> DevBankBackend::send_test_transfer(store::Tx& tx, const std::string& org_id,
                                                        const std::string& bank_name,
                                                        const std::string& account,
                                                        const std::string& account_name) {
  std::int64_t amount = 1 + static_cast<std::int64_t>(rng_.uniform(99));  // 0.01 - 0.99 yuan
  CS_TRY(tx.exec("INSERT INTO bank_transfers (id, org_id, bank_name, bank_account, account_name, amount_fen, "
                 "backend, created_at) VALUES (?, ?, ?, ?, ?, ?, 'dev', ?)",
                 {new_uuid_v7(clock_, rng_), org_id, bank_name, account, account_name, amount,
                  format_rfc3339(clock_.now())}));
  return amount;
}

}  // namespace certseal::service
