// Rows of an account and of its real-name verification, written straight into the database for
// service unit tests that need "a verified person" without running the account and identity
// services (their own tests cover how those rows come to be).
#pragma once

#include <string>

#include "base/result.h"
#include "store/db.h"

namespace certseal::testing {

// Inserts an active account "acc-<phone>" and returns its id.
inline Result<std::string> insert_account(store::Tx& tx, const std::string& phone) {
  std::string id = "acc-" + phone;
  CS_TRY(tx.exec("INSERT INTO accounts (id, phone, status, created_at) VALUES (?, ?, 'active', 'now')", {id, phone}));
  return id;
}

// Inserts a real-name verification of `account_id` in `status` ('verified', 'pending', ...) for
// `name` with a valid ID number, and the placeholder ID photo it points to; `key` makes the two
// row ids unique ("pv-<key>", "blob-<key>").
inline Status insert_person_verification(store::Tx& tx, const std::string& account_id, const std::string& key,
                                         const std::string& status = "verified", const std::string& name = "张三") {
  const std::string blob = "blob-" + key;
  CS_TRY(tx.exec("INSERT INTO blobs (id, sha256, media_type, size, owner_account_id, purpose, created_at) "
                 "VALUES (?, 'x', 'image/png', 1, ?, 'id_card_front', 'now')",
                 {blob, account_id}));
  CS_TRY(tx.exec("INSERT INTO person_verifications (id, account_id, name, id_number, front_blob_id, back_blob_id, "
                 "agreement_version, status, created_at) VALUES (?, ?, ?, '11010519491231002X', ?, ?, 1, ?, 'now')",
                 {"pv-" + key, account_id, name, blob, blob, status}));
  return {};
}

// An active account whose real-name verification is approved.
inline Result<std::string> insert_verified_account(store::Tx& tx, const std::string& phone) {
  CS_ASSIGN(std::string id, insert_account(tx, phone));
  CS_TRY(insert_person_verification(tx, id, phone));
  return id;
}

}  // namespace certseal::testing
