// Agreements, uploads, real-name verification of people (and its operator review), and the
// personal-information and third-party lists.
#pragma once

#include "api/router.h"

namespace certseal::api {

Result<Reply> get_agreement(RequestContext& ctx);                 // GET /api/v1/agreements/{kind}
Result<Reply> post_agreement_acceptance(RequestContext& ctx);     // POST /api/v1/agreement-acceptances
Result<Reply> get_agreement_acceptances(RequestContext& ctx);     // GET /api/v1/account/agreement-acceptances
Result<Reply> post_blob(RequestContext& ctx);                     // POST /api/v1/blobs?purpose=
Result<Reply> get_blob(RequestContext& ctx);                      // GET /api/v1/blobs/{id} (owner)
Result<Reply> post_person_verification(RequestContext& ctx);      // POST /api/v1/person-verifications
Result<Reply> get_current_person_verification(RequestContext& ctx);  // GET .../current
Result<Reply> get_personal_information(RequestContext& ctx);      // GET /api/v1/account/personal-information
Result<Reply> get_third_parties(RequestContext& ctx);             // GET /api/v1/account/third-parties
// Operators
Result<Reply> op_list_person_verifications(RequestContext& ctx);  // GET /api/v1/operator/person-verifications
Result<Reply> op_get_person_verification(RequestContext& ctx);    // GET .../{id}
Result<Reply> op_approve_person_verification(RequestContext& ctx);  // POST .../{id}/approval
Result<Reply> op_reject_person_verification(RequestContext& ctx);   // POST .../{id}/rejection
Result<Reply> op_get_blob(RequestContext& ctx);                   // GET /api/v1/operator/blobs/{id}

}  // namespace certseal::api
