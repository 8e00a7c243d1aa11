// Organisations: find, create and verify, join, to-do tasks, members, invitations, admin
// transfer, leaving; and the operator's review.
#pragma once

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "service/org/org_service.h"

namespace certseal::api {

// A membership as the organisation endpoints show it.
nlohmann::json member_json(const service::MemberView& m);

Result<Reply> get_organisations(RequestContext& ctx);
Result<Reply> post_organisation(RequestContext& ctx);
Result<Reply> get_organisation(RequestContext& ctx);
Result<Reply> patch_organisation(RequestContext& ctx);
Result<Reply> get_authorisation_letter(RequestContext& ctx);
Result<Reply> put_organisation_licence(RequestContext& ctx);
Result<Reply> post_bank_transfer(RequestContext& ctx);
Result<Reply> post_bank_verification(RequestContext& ctx);
Result<Reply> post_organisation_submission(RequestContext& ctx);
Result<Reply> post_join_request(RequestContext& ctx);
Result<Reply> get_members(RequestContext& ctx);
Result<Reply> get_member(RequestContext& ctx);
Result<Reply> delete_member(RequestContext& ctx);
Result<Reply> post_invitation(RequestContext& ctx);
Result<Reply> get_tasks(RequestContext& ctx);
Result<Reply> post_task_approval(RequestContext& ctx);
Result<Reply> post_task_refusal(RequestContext& ctx);
Result<Reply> get_invitations(RequestContext& ctx);
Result<Reply> post_invitation_acceptance(RequestContext& ctx);
Result<Reply> post_invitation_refusal(RequestContext& ctx);
Result<Reply> delete_identity(RequestContext& ctx);
Result<Reply> post_org_change_request(RequestContext& ctx);
Result<Reply> get_org_change_requests(RequestContext& ctx);
Result<Reply> op_list_org_changes(RequestContext& ctx);
Result<Reply> op_approve_org_change(RequestContext& ctx);
Result<Reply> op_reject_org_change(RequestContext& ctx);
Result<Reply> op_list_organisations(RequestContext& ctx);
Result<Reply> op_get_organisation(RequestContext& ctx);
Result<Reply> op_approve_organisation(RequestContext& ctx);
Result<Reply> op_reject_organisation(RequestContext& ctx);
Result<Reply> op_get_bank_transfers(RequestContext& ctx);

}  // namespace certseal::api
