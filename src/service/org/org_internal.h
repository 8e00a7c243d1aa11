// Row mapping and small helpers shared by the files that implement OrgService (org_service.cpp,
// org_bank_check.cpp, org_members.cpp, org_changes.cpp). Internal to src/service/org: nothing
// outside this folder includes it.
#pragma once

#include <string>
#include <utility>

#include "service/org/org_service.h"

namespace certseal::service::org_internal {

// Wrong attempts at the bank transfer amount before the check needs a new transfer.
inline constexpr int kMaxTransferAttempts = 3;

// 403 with code "forbidden".
Error forbidden(std::string msg);
// NULL for "", the text otherwise.
store::Value opt(const std::string& s);

OrgView from_row(const store::Row& r);
TaskView task_from_row(const store::Row& r);
OrgChangeView change_from_row(const store::Row& r);
MemberView member_from_row(const store::Row& r);

// The verified real name and ID number of an account, or two empty strings.
Result<std::pair<std::string, std::string>> real_identity(store::Tx& tx, const std::string& account_id);

// Tasks with the organisation's name and the requester's phone and verified name.
inline constexpr const char* kTaskSelect =
    "SELECT t.*, o.name AS org_name, a.phone AS requester_phone, "
    "(SELECT pv.name FROM person_verifications pv WHERE pv.account_id = t.requester_account_id AND "
    "pv.status = 'verified' ORDER BY pv.created_at DESC LIMIT 1) AS requester_name "
    "FROM tasks t JOIN organisations o ON o.id = t.org_id JOIN accounts a ON a.id = t.requester_account_id ";

// Memberships with the member's phone and verified name.
inline constexpr const char* kMemberSelect =
    "SELECT m.*, a.phone, (SELECT pv.name FROM person_verifications pv WHERE pv.account_id = m.account_id "
    "AND pv.status = 'verified' ORDER BY pv.created_at DESC LIMIT 1) AS real_name "
    "FROM memberships m JOIN accounts a ON a.id = m.account_id ";

}  // namespace certseal::service::org_internal
