// THE route table of certseald: every endpoint, its method, path, required role and handler,
// and where they differ from the defaults, its body kind, body size class and executor
// (router.h: BodyKind, BodyLimit, Exec).
// docs/openapi.yaml documents exactly these (api/openapi_test.cpp keeps the two in step).
#include "api/account_handlers.h"
#include "api/grant_handlers.h"
#include "api/identity_handlers.h"
#include "api/ledger_handlers.h"
#include "api/org_certificate_handlers.h"
#include "api/org_handlers.h"
#include "api/order_handlers.h"
#include "api/pc_handlers.h"
#include "api/ca_handlers.h"
#include "api/dashboard_handlers.h"
#include "api/router.h"
#include "api/scene_handlers.h"
#include "api/seal_handlers.h"
#include "api/shield_handlers.h"
#include "api/system_handlers.h"
#include "api/web_files.h"
#include "api/token_handlers.h"

namespace certseal::api {
namespace {

constexpr Route kRoutes[] = {
    // Electronic seals (seal_handlers.cpp)
    {"POST", "/api/v1/seal-previews", Role::kUser, post_seal_preview},
    {"GET", "/api/v1/seals", Role::kUser, get_seals},
    {"POST", "/api/v1/seals", Role::kUser, post_seal},
    {"GET", "/api/v1/seals/{id}", Role::kUser, get_seal},
    {"DELETE", "/api/v1/seals/{id}", Role::kUser, delete_seal},
    {"PUT", "/api/v1/seals/{id}/picture", Role::kUser, put_seal_picture},
    {"GET", "/api/v1/seals/{id}/picture", Role::kUser, get_seal_picture},
    {"GET", "/api/v1/seals/{id}/seal-data", Role::kUser, get_seal_data},
    {"POST", "/api/v1/seals/{id}/uses", Role::kUser, post_seal_use},
    {"GET", "/api/v1/seals/{id}/events", Role::kUser, get_seal_events},
    {"POST", "/api/v1/seal-verifications", Role::kPublic, post_seal_verification},
    {"GET", "/api/v1/operator/seals", Role::kOperator, op_get_seals},
    {"GET", "/api/v1/operator/seals/{id}", Role::kOperator, op_get_seal},
    {"GET", "/api/v1/operator/seals/{id}/picture", Role::kOperator, op_get_seal_picture},
    {"POST", "/api/v1/operator/seals/{id}/approval", Role::kOperator, op_post_seal_approval},
    {"POST", "/api/v1/operator/seals/{id}/rejection", Role::kOperator, op_post_seal_rejection},
    {"POST", "/api/v1/operator/seal-makers/{id}/certificate", Role::kOperator, op_post_seal_maker_certificate},

    // Operations
    {"GET", "/healthz", Role::kPublic, get_healthz, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/readyz", Role::kPublic, get_readyz},
    {"GET", "/metrics", Role::kMetrics, get_metrics},
    {"GET", "/api/openapi.yaml", Role::kPublic, get_openapi, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/api/v1/info", Role::kPublic, get_info},

    // Accounts and sessions
    {"POST", "/api/v1/sms-codes", Role::kPublic, post_sms_codes},
    {"POST", "/api/v1/sessions", Role::kPublic, post_sessions},
    {"DELETE", "/api/v1/sessions/current", Role::kAccount, delete_current_session},
    {"PUT", "/api/v1/sessions/current/identity", Role::kUser, put_session_identity},
    {"POST", "/api/v1/password-resets", Role::kPublic, post_password_resets},
    {"GET", "/api/v1/account", Role::kAccount, get_account},
    {"PUT", "/api/v1/account/password", Role::kAccount, put_account_password},
    {"POST", "/api/v1/account/sms-codes", Role::kUser, post_account_sms_codes},
    {"POST", "/api/v1/account/deregistration", Role::kUser, post_deregistration},
    {"DELETE", "/api/v1/account/deregistration", Role::kAccount, delete_deregistration},
    {"GET", "/api/v1/identities", Role::kUser, get_identities},
    {"GET", "/api/v1/account/personal-information", Role::kUser, get_personal_information},
    {"GET", "/api/v1/account/third-parties", Role::kUser, get_third_parties},

    // Agreements, uploads, real-name verification
    {"GET", "/api/v1/agreements/{kind}", Role::kPublic, get_agreement},
    {"POST", "/api/v1/agreement-acceptances", Role::kUser, post_agreement_acceptance},
    {"GET", "/api/v1/account/agreement-acceptances", Role::kUser, get_agreement_acceptances},
    {"POST", "/api/v1/blobs", Role::kUser, post_blob, BodyKind::kAny, BodyLimit::kUpload},
    {"GET", "/api/v1/blobs/{id}", Role::kUser, get_blob},
    {"POST", "/api/v1/person-verifications", Role::kUser, post_person_verification},
    {"GET", "/api/v1/person-verifications/current", Role::kUser, get_current_person_verification},
    {"DELETE", "/api/v1/identities/{id}", Role::kUser, delete_identity},

    // Organisations, membership, to-do tasks
    {"GET", "/api/v1/organisations", Role::kUser, get_organisations},
    {"POST", "/api/v1/organisations", Role::kUser, post_organisation},
    {"GET", "/api/v1/organisations/{id}", Role::kUser, get_organisation},
    {"PATCH", "/api/v1/organisations/{id}", Role::kUser, patch_organisation},
    {"GET", "/api/v1/organisations/{id}/authorisation-letter", Role::kUser, get_authorisation_letter},
    {"PUT", "/api/v1/organisations/{id}/licence", Role::kUser, put_organisation_licence},
    {"POST", "/api/v1/organisations/{id}/bank-transfers", Role::kUser, post_bank_transfer},
    {"POST", "/api/v1/organisations/{id}/bank-verification", Role::kUser, post_bank_verification},
    {"POST", "/api/v1/organisations/{id}/submission", Role::kUser, post_organisation_submission},
    {"POST", "/api/v1/organisations/{id}/join-requests", Role::kUser, post_join_request},
    {"GET", "/api/v1/organisations/{id}/members", Role::kUser, get_members},
    {"GET", "/api/v1/organisations/{id}/members/{member_id}", Role::kUser, get_member},
    {"DELETE", "/api/v1/organisations/{id}/members/{member_id}", Role::kUser, delete_member},
    {"POST", "/api/v1/organisations/{id}/invitations", Role::kUser, post_invitation},
    {"POST", "/api/v1/organisations/{id}/admin-transfers", Role::kUser, post_admin_transfer},
    {"POST", "/api/v1/organisations/{id}/change-requests", Role::kUser, post_org_change_request},
    {"GET", "/api/v1/organisations/{id}/change-requests", Role::kUser, get_org_change_requests},
    // An organisation's orders and certificates, for its admin identity (单位证书管理)
    {"GET", "/api/v1/organisations/{id}/orders", Role::kUser, get_org_orders},
    {"POST", "/api/v1/organisations/{id}/orders/{order_id}/approval", Role::kUser, post_org_order_approval},
    {"POST", "/api/v1/organisations/{id}/orders/{order_id}/refusal", Role::kUser, post_org_order_refusal},
    {"GET", "/api/v1/organisations/{id}/certificates", Role::kUser, get_org_certificates},
    {"GET", "/api/v1/organisations/{id}/certificates/{cert_id}", Role::kUser, get_org_certificate},
    {"GET", "/api/v1/organisations/{id}/certificates/{cert_id}/events", Role::kUser, get_org_certificate_events},
    {"GET", "/api/v1/organisations/{id}/certificates/{cert_id}/platforms", Role::kUser, get_org_certificate_platforms},
    {"POST", "/api/v1/organisations/{id}/certificates/{cert_id}/platforms/{platform_id}/cancellation", Role::kUser,
     post_org_certificate_platform_cancellation},
    {"POST", "/api/v1/organisations/{id}/certificates/{cert_id}/renewals", Role::kUser, post_org_certificate_renewal},
    {"POST", "/api/v1/organisations/{id}/certificates/{cert_id}/revocations", Role::kUser,
     post_org_certificate_revocation},
    // Organisation grants (单位证书授权, docs/GRANTS.md)
    {"POST", "/api/v1/organisations/{id}/grants", Role::kUser, post_org_grant},
    {"GET", "/api/v1/organisations/{id}/grants", Role::kUser, get_org_grants},
    {"GET", "/api/v1/organisations/{id}/grants/{grant_id}", Role::kUser, get_org_grant},
    {"GET", "/api/v1/organisations/{id}/grant-uses", Role::kUser, get_org_grant_uses},
    {"POST", "/api/v1/organisations/{id}/grants/{grant_id}/approval", Role::kUser, post_org_grant_approval},
    {"POST", "/api/v1/organisations/{id}/grants/{grant_id}/refusal", Role::kUser, post_org_grant_refusal},
    {"POST", "/api/v1/organisations/{id}/grants/{grant_id}/revocation", Role::kUser, post_org_grant_revocation},
    {"GET", "/api/v1/organisations/{id}/grantable-certificates", Role::kUser, get_org_grantable_certificates},
    {"GET", "/api/v1/organisations/{id}/admin-contacts", Role::kUser, get_org_admin_contacts},
    {"GET", "/api/v1/grants", Role::kUser, get_my_grants},
    {"POST", "/api/v1/grants/{id}/pairings", Role::kUser, post_grant_pairing},
    {"GET", "/api/v1/tasks", Role::kUser, get_tasks},
    {"POST", "/api/v1/tasks/{id}/approval", Role::kUser, post_task_approval},
    {"POST", "/api/v1/tasks/{id}/refusal", Role::kUser, post_task_refusal},
    {"GET", "/api/v1/invitations", Role::kUser, get_invitations},
    {"POST", "/api/v1/invitations/{id}/acceptance", Role::kUser, post_invitation_acceptance},
    {"POST", "/api/v1/invitations/{id}/refusal", Role::kUser, post_invitation_refusal},

    // Operators
    {"GET", "/api/v1/operator/sms-outbox", Role::kOperator, get_sms_outbox},
    {"GET", "/api/v1/operator/person-verifications", Role::kOperator, op_list_person_verifications},
    {"GET", "/api/v1/operator/person-verifications/{id}", Role::kOperator, op_get_person_verification},
    {"POST", "/api/v1/operator/person-verifications/{id}/approval", Role::kOperator,
     op_approve_person_verification},
    {"POST", "/api/v1/operator/person-verifications/{id}/rejection", Role::kOperator,
     op_reject_person_verification},
    {"GET", "/api/v1/operator/blobs/{id}", Role::kOperator, op_get_blob},
    {"GET", "/api/v1/operator/organisations", Role::kOperator, op_list_organisations},
    {"GET", "/api/v1/operator/organisations/{id}", Role::kOperator, op_get_organisation},
    {"POST", "/api/v1/operator/organisations/{id}/approval", Role::kOperator, op_approve_organisation},
    {"POST", "/api/v1/operator/organisations/{id}/rejection", Role::kOperator, op_reject_organisation},
    {"GET", "/api/v1/operator/organisations/{id}/bank-transfers", Role::kOperator, op_get_bank_transfers},
    {"GET", "/api/v1/operator/organisation-changes", Role::kOperator, op_list_org_changes},
    {"POST", "/api/v1/operator/organisation-changes/{id}/approval", Role::kOperator, op_approve_org_change},
    {"POST", "/api/v1/operator/organisation-changes/{id}/rejection", Role::kOperator, op_reject_org_change},

    // Catalogue, orders, payments, review queue (docs/ORDERS.md)
    {"GET", "/api/v1/catalogue", Role::kPublic, get_catalogue},
    {"GET", "/api/v1/operator/catalogue", Role::kOperator, op_get_catalogue},
    {"POST", "/api/v1/operator/catalogue/platforms", Role::kOperator, op_post_platform},
    {"POST", "/api/v1/operator/catalogue/seal-makers", Role::kOperator, op_post_seal_maker},
    {"POST", "/api/v1/operator/catalogue/products", Role::kOperator, op_post_product},
    {"PATCH", "/api/v1/operator/catalogue/products/{id}", Role::kOperator, op_patch_product},
    {"POST", "/api/v1/orders", Role::kUser, post_order},
    {"GET", "/api/v1/orders", Role::kUser, get_orders},
    {"GET", "/api/v1/orders/{id}", Role::kUser, get_order},
    {"POST", "/api/v1/orders/{id}/authorisation", Role::kUser, post_order_authorisation},
    {"POST", "/api/v1/orders/{id}/cancellation", Role::kUser, post_order_cancellation},
    {"POST", "/api/v1/orders/{id}/online-payments", Role::kUser, post_order_online_payment},
    {"POST", "/api/v1/orders/{id}/bank-transfers", Role::kUser, post_order_bank_transfer},
    {"GET", "/api/v1/notifications", Role::kUser, get_notifications},
    {"POST", "/api/v1/payment-notifications/{gateway}", Role::kPublic, post_payment_notification, BodyKind::kAny},
    {"GET", "/sandbox-pay/{id}", Role::kPublic, get_sandbox_pay},
    {"POST", "/sandbox-pay/{id}", Role::kPublic, post_sandbox_pay, BodyKind::kAny},
    {"GET", "/api/v1/operator/orders", Role::kOperator, op_list_orders},
    {"GET", "/api/v1/operator/orders/{id}", Role::kOperator, op_get_order},
    {"POST", "/api/v1/operator/orders/{id}/approval", Role::kOperator, op_approve_order},
    {"POST", "/api/v1/operator/orders/{id}/rejection", Role::kOperator, op_reject_order},
    {"POST", "/api/v1/operator/orders/{id}/refund", Role::kOperator, op_refund_order},
    {"POST", "/api/v1/operator/payments/{id}/confirmation", Role::kOperator, op_confirm_payment},
    {"POST", "/api/v1/orders/{id}/application-form/email", Role::kUser, post_form_email},
    {"POST", "/api/v1/orders/{id}/application-form/signed-upload", Role::kUser, post_form_signed_upload},
    {"POST", "/api/v1/orders/{id}/application-form/online-signature", Role::kUser, post_form_online_signature},
    {"GET", "/api/v1/orders/{id}/application-form", Role::kUser, get_form_pdf},
    {"GET", "/api/v1/operator/email-outbox", Role::kOperator, op_get_email_outbox},
    {"GET", "/api/v1/operator/email-outbox/{id}/attachment", Role::kOperator, op_get_email_attachment},
    {"POST", "/api/v1/orders/{id}/invoice", Role::kUser, post_order_invoice},
    {"GET", "/api/v1/invoices", Role::kUser, get_invoices},
    {"GET", "/api/v1/invoices/{id}", Role::kUser, get_invoice},
    {"GET", "/api/v1/invoices/{id}/pdf", Role::kUser, get_invoice_pdf},
    {"GET", "/api/v1/operator/invoices", Role::kOperator, op_list_invoices},
    {"POST", "/api/v1/operator/invoices/{id}/issuance", Role::kOperator, op_issue_invoice},
    {"POST", "/api/v1/operator/invoices/{id}/failure", Role::kOperator, op_fail_invoice},
    // Mobile shield and the certificates users hold (docs/SHIELD.md)
    {"POST", "/api/v1/orders/{id}/installation", Role::kUser, post_order_installation},
    {"GET", "/api/v1/account/certificates", Role::kUser, get_account_certificates},
    {"GET", "/api/v1/account/certificates/{id}", Role::kUser, get_account_certificate},
    {"POST", "/api/v1/account/certificates/{id}/renewals", Role::kUser, post_certificate_renewal},
    {"POST", "/api/v1/account/certificates/{id}/changes", Role::kUser, post_certificate_change},
    {"POST", "/api/v1/account/certificates/{id}/revocations", Role::kUser, post_certificate_revocation},
    {"POST", "/api/v1/account/certificates/{id}/reissues", Role::kUser, post_certificate_reissue},
    {"POST", "/api/v1/operator/certificates/{id}/reissue-notices", Role::kOperator, op_post_reissue_notice},
    {"POST", "/api/v1/shield/challenges", Role::kUser, post_shield_challenge},
    {"POST", "/api/v1/shield/keys/{id}/signatures", Role::kUser, post_shield_signature},
    {"POST", "/api/v1/shield/keys/{id}/decryptions", Role::kUser, post_shield_decryption},
    {"POST", "/api/v1/shield/keys/{id}/refresh", Role::kUser, post_shield_refresh},
    {"PUT", "/api/v1/shield/keys/{id}/devices/{device_id}/password", Role::kUser, put_shield_password},
    {"GET", "/api/v1/shield/keys/{id}/devices", Role::kUser, get_shield_devices},
    {"POST", "/api/v1/shield/keys/{id}/devices", Role::kUser, post_shield_device},
    {"POST", "/api/v1/shield/keys/{id}/devices/{device_id}/removal", Role::kUser, post_shield_device_removal},
    {"POST", "/api/v1/shield/keys/{id}/recovery", Role::kUser, post_shield_recovery},
    {"GET", "/api/v1/shield/keys/{id}/events", Role::kUser, get_shield_events},
    {"POST", "/api/v1/shield/pairings", Role::kUser, post_shield_pairing},
    {"GET", "/api/v1/shield/pairings/{id}", Role::kUser, get_shield_pairing},
    {"POST", "/api/v1/shield/pairings/{id}/completion", Role::kUser, post_shield_pairing_completion},
    // Orders, issue #6: refunds of late money, the form for reviewers, mutual recognition
    {"GET", "/api/v1/operator/payments", Role::kOperator, op_list_payments},
    {"POST", "/api/v1/operator/payments/{id}/refund", Role::kOperator, op_refund_payment},
    {"GET", "/api/v1/operator/orders/{id}/application-form", Role::kOperator, op_get_form_pdf},
    {"GET", "/api/v1/account/certificates/{id}/platforms", Role::kUser, get_certificate_platforms},
    {"POST", "/api/v1/account/certificates/{id}/platforms/{platform_id}/cancellation", Role::kUser,
     post_certificate_platform_cancellation},
    // Relying parties and QR scenes (docs/INTEGRATION.md)
    {"POST", "/api/v1/operator/rp-apps", Role::kOperator, op_post_rp_app},
    {"GET", "/api/v1/operator/rp-apps", Role::kOperator, op_get_rp_apps},
    {"GET", "/api/v1/operator/rp-apps/{id}", Role::kOperator, op_get_rp_app},
    {"POST", "/api/v1/operator/rp-apps/{id}/secret-rotations", Role::kOperator, op_post_rp_app_secret_rotation},
    {"POST", "/api/v1/operator/rp-apps/{id}/disabling", Role::kOperator, op_post_rp_app_disabling},
    // The body stays within server.json_body_limit: the signature covers it, so it is read before
    // the caller is known (an upload-sized route would authenticate on the head alone).
    {"POST", "/api/v1/rp/scene-requests", Role::kRelyingParty, rp_post_scene_request},
    {"GET", "/api/v1/rp/scene-requests/{id}", Role::kRelyingParty, rp_get_scene_request},
    {"POST", "/api/v1/rp/verifications", Role::kRelyingParty, rp_post_verification},
    {"POST", "/api/v1/rp/document-verifications", Role::kRelyingParty, rp_post_document_verification, BodyKind::kAny,
     BodyLimit::kUpload},
    {"POST", "/api/v1/rp/documents", Role::kRelyingParty, rp_post_document, BodyKind::kAny, BodyLimit::kUpload},
    {"GET", "/api/v1/rp/documents/{id}", Role::kRelyingParty, rp_get_document},
    {"POST", "/api/v1/scene-requests/{id}/document-preparation", Role::kUser, post_scene_document_preparation},
    {"POST", "/api/v1/scene-claims", Role::kUser, post_scene_claim},
    {"POST", "/api/v1/scene-requests/{id}/completion", Role::kUser, post_scene_completion},
    {"POST", "/api/v1/scene-requests/{id}/refusal", Role::kUser, post_scene_refusal},
    {"GET", "/s/{token}", Role::kPublic, get_scene_short_url},
    // The phone as a PC key (docs/PKCS11.md): the PC's routes check its bearer token themselves
    {"POST", "/api/v1/pc/pairings", Role::kPublic, post_pc_pairing},
    {"GET", "/api/v1/pc/link", Role::kPublic, get_pc_link},
    {"DELETE", "/api/v1/pc/link", Role::kPublic, delete_pc_link},
    {"GET", "/api/v1/pc/certificates", Role::kPublic, get_pc_certificates},
    {"POST", "/api/v1/pc/requests", Role::kPublic, post_pc_request},
    {"GET", "/api/v1/pc/requests/{id}", Role::kPublic, get_pc_request},
    {"GET", "/api/v1/pc-pairings/{id}", Role::kUser, get_pc_pairing},
    {"POST", "/api/v1/pc-pairings/{id}/approval", Role::kUser, post_pc_pairing_approval},
    {"GET", "/api/v1/account/pcs", Role::kUser, get_account_pcs},
    {"POST", "/api/v1/account/pcs/{id}/removal", Role::kUser, post_account_pc_removal},
    {"GET", "/api/v1/account/pc-requests", Role::kUser, get_account_pc_requests},
    {"GET", "/api/v1/account/pc-requests/{id}", Role::kUser, get_account_pc_request},
    {"POST", "/api/v1/account/pc-requests/{id}/completion", Role::kUser, post_account_pc_request_completion},
    {"POST", "/api/v1/account/pc-requests/{id}/refusal", Role::kUser, post_account_pc_request_refusal},
    // Self-service token certificates (docs/PKCS11.md "Token certificates")
    {"POST", "/api/v1/token-requests", Role::kUser, post_token_request},
    {"GET", "/api/v1/token-requests", Role::kUser, get_token_requests},
    {"POST", "/api/v1/token-requests/{id}/renewal", Role::kUser, post_token_request_renewal},
    {"POST", "/api/v1/operator/token-roster", Role::kOperator, op_post_token_roster},
    {"GET", "/api/v1/operator/token-requests", Role::kOperator, op_get_token_requests},
    {"POST", "/api/v1/operator/token-requests/{id}/approval", Role::kOperator, op_post_token_request_approval},
    {"POST", "/api/v1/operator/token-requests/{id}/rejection", Role::kOperator, op_post_token_request_rejection},
    // PKI publication: short root paths that go into certificates (docs/PKI.md)
    {"GET", "/ca", Role::kPublic, list_cas},
    {"GET", "/ca/{id}/chain.pem", Role::kPublic, get_ca_chain},
    {"GET", "/ca/{id}/ca.cer", Role::kPublic, get_ca_cert},
    {"GET", "/ca/{id}/root.cer", Role::kPublic, get_ca_root},
    {"GET", "/ca/{id}/crl", Role::kPublic, get_ca_crl},
    {"POST", "/ocsp/{id}", Role::kPublic, post_ocsp, BodyKind::kAny, BodyLimit::kSmall},
    {"GET", "/ocsp/{id}/{request}", Role::kPublic, get_ocsp},
    {"POST", "/tsa", Role::kPublic, post_tsa, BodyKind::kAny, BodyLimit::kSmall},
    {"POST", "/tsa/{id}", Role::kPublic, post_tsa, BodyKind::kAny, BodyLimit::kSmall},
    // Certificate lifecycle (operators and platform services)
    {"POST", "/api/v1/cas/{id}/certificates", Role::kOperator, issue_certificate},
    {"POST", "/api/v1/cas/{id}/revocations", Role::kOperator, revoke_by_serial},
    {"GET", "/api/v1/operator/cas", Role::kOperator, op_get_cas},
    {"GET", "/api/v1/operator/certificates", Role::kOperator, op_get_certificates},
    {"GET", "/api/v1/operator/dashboard", Role::kOperator, op_get_dashboard},
    {"GET", "/api/v1/certificates/{id}", Role::kOperator, get_certificate},
    {"POST", "/api/v1/certificates/{id}/renewals", Role::kOperator, renew_certificate},
    {"POST", "/api/v1/certificates/{id}/changes", Role::kOperator, change_certificate},
    {"POST", "/api/v1/certificates/{id}/revocations", Role::kOperator, revoke_certificate},
    {"POST", "/api/v1/certificates/{id}/reissues", Role::kOperator, reissue_certificate},
    // Transparency log (docs/LEDGER.md): C2SP tlog-tiles at /ledger, proofs and keys under /api/v1
    {"GET", "/ledger/checkpoint", Role::kPublic, get_ledger_checkpoint},
    {"GET", "/ledger/tile/{path+}", Role::kPublic, get_ledger_tile},
    {"GET", "/api/v1/ledger/keys", Role::kPublic, get_ledger_keys},
    {"GET", "/api/v1/ledger/proofs/inclusion", Role::kPublic, get_ledger_inclusion},
    {"GET", "/api/v1/ledger/proofs/consistency", Role::kPublic, get_ledger_consistency},
    {"GET", "/api/v1/account/ledger-entries", Role::kUser, get_account_ledger_entries},
    {"POST", "/api/v1/operator/ledger/checkpoints", Role::kOperator, op_post_ledger_checkpoint},
    // The mobile H5 app's static files (web_files.h, docs/WEBAPP.md)
    {"GET", "/app", Role::kPublic, get_web_app_redirect, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/app/", Role::kPublic, get_web_app_index, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/app/{path+}", Role::kPublic, get_web_app_file, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    // The operator console's static files (web_files.h, docs/CONSOLE.md); its API calls are operator-only.
    {"GET", "/console", Role::kPublic, get_web_console_redirect, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/console/", Role::kPublic, get_web_console_index, BodyKind::kJson, BodyLimit::kDefault, Exec::kInline},
    {"GET", "/console/{path+}", Role::kPublic, get_web_console_file, BodyKind::kJson, BodyLimit::kDefault,
     Exec::kInline},
};

}  // namespace

std::span<const Route> route_table() { return kRoutes; }

}  // namespace certseal::api
