// Relying-party applications (operators), scene requests (relying parties, signed requests) and
// the user's side of a scene (claim, complete, refuse). docs/INTEGRATION.md.
#pragma once

#include "api/router.h"

namespace certseal::api {

// Operators
Result<Reply> op_post_rp_app(RequestContext& ctx);
Result<Reply> op_get_rp_apps(RequestContext& ctx);
Result<Reply> op_get_rp_app(RequestContext& ctx);
Result<Reply> op_post_rp_app_secret_rotation(RequestContext& ctx);
Result<Reply> op_post_rp_app_disabling(RequestContext& ctx);
// GET /api/v1/operator/rp-apps/{id}/callbacks?limit=: the callback delivery log, newest first.
Result<Reply> op_get_rp_app_callbacks(RequestContext& ctx);
// Relying parties
Result<Reply> rp_post_scene_request(RequestContext& ctx);
Result<Reply> rp_post_scene_request_batch(RequestContext& ctx);
Result<Reply> rp_get_scene_request(RequestContext& ctx);
// The verification API: who signed a CMS message, when, and whether the certificate was good then.
Result<Reply> rp_post_verification(RequestContext& ctx);
// POST /api/v1/rp/document-verifications: a PDF (the raw body) -> every signature checked.
Result<Reply> rp_post_document_verification(RequestContext& ctx);
// Scene 13: POST /api/v1/rp/documents (a PDF body), GET /api/v1/rp/documents/{id} (the PDF),
// POST /api/v1/scene-requests/{id}/document-preparation (the user's seal, the preview).
Result<Reply> rp_post_document(RequestContext& ctx);
Result<Reply> rp_get_document(RequestContext& ctx);
Result<Reply> post_scene_document_preparation(RequestContext& ctx);
// Users
Result<Reply> post_scene_claim(RequestContext& ctx);
Result<Reply> post_scene_completion(RequestContext& ctx);
Result<Reply> post_scene_refusal(RequestContext& ctx);
// Anyone: the short URL in the QR code (a page that says to scan it with the CertSeal app)
Result<Reply> get_scene_short_url(RequestContext& ctx);

}  // namespace certseal::api
