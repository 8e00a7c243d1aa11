// Cloud key (云密钥, docs/CLOUDKEY.md): tenants, staff records, set-up on a device and the devices
// of a staff key. Thin: CloudKeyService decides and checks; these read the JSON and render.
#pragma once

#include "api/router.h"

namespace certseal::api {

// Operators
Result<Reply> op_post_cloudkey_tenant(RequestContext& ctx);
Result<Reply> op_post_cloudkey_admin(RequestContext& ctx);
Result<Reply> op_put_cloudkey_settings(RequestContext& ctx);
Result<Reply> op_put_cloudkey_support_certificate(RequestContext& ctx);

// Anyone logged in: find a tenant, its QR payload
Result<Reply> get_cloudkey_tenants(RequestContext& ctx);
Result<Reply> get_cloudkey_tenant(RequestContext& ctx);
Result<Reply> get_cloudkey_qr(RequestContext& ctx);

// Tenant admins
Result<Reply> put_cloudkey_settings(RequestContext& ctx);
Result<Reply> get_cloudkey_staff(RequestContext& ctx);
Result<Reply> post_cloudkey_staff(RequestContext& ctx);
Result<Reply> post_cloudkey_staff_import(RequestContext& ctx);
Result<Reply> post_cloudkey_staff_decision(RequestContext& ctx);

// Staff
Result<Reply> post_cloudkey_application(RequestContext& ctx);
Result<Reply> post_cloudkey_download(RequestContext& ctx);
Result<Reply> get_cloudkey_certificates(RequestContext& ctx);
Result<Reply> get_cloudkey_devices(RequestContext& ctx);
Result<Reply> post_cloudkey_device_state(RequestContext& ctx);
Result<Reply> post_cloudkey_device_removal(RequestContext& ctx);
Result<Reply> post_cloudkey_sms_unlock(RequestContext& ctx);
Result<Reply> get_cloudkey_usage(RequestContext& ctx);
Result<Reply> get_cloudkey_usage_export(RequestContext& ctx);

// Delegation (授权管理)
Result<Reply> post_cloudkey_delegation(RequestContext& ctx);
Result<Reply> get_cloudkey_delegations(RequestContext& ctx);
Result<Reply> post_cloudkey_delegation_approval(RequestContext& ctx);
Result<Reply> post_cloudkey_delegation_refusal(RequestContext& ctx);
Result<Reply> put_cloudkey_delegation_frozen(RequestContext& ctx);
Result<Reply> put_cloudkey_delegation_terms(RequestContext& ctx);
Result<Reply> delete_cloudkey_delegation(RequestContext& ctx);
Result<Reply> get_cloudkey_delegation_uses(RequestContext& ctx);
Result<Reply> post_cloudkey_delegation_password_reset(RequestContext& ctx);
Result<Reply> post_cloudkey_delegation_password_reset_completion(RequestContext& ctx);

// Signature capture (the staff member; the tenant admin reads) and removing every secondary
// device (the holder from the main device with an SMS code; a tenant admin)
Result<Reply> put_cloudkey_signature(RequestContext& ctx);
Result<Reply> get_cloudkey_signature(RequestContext& ctx);
Result<Reply> get_cloudkey_staff_signature(RequestContext& ctx);
Result<Reply> post_cloudkey_secondary_removal(RequestContext& ctx);
Result<Reply> post_cloudkey_staff_secondary_removal(RequestContext& ctx);

// Recovering the certificate password (picture captcha, then SMS code)
Result<Reply> post_cloudkey_captcha(RequestContext& ctx);
Result<Reply> post_cloudkey_recovery_code(RequestContext& ctx);
Result<Reply> post_cloudkey_password_recovery(RequestContext& ctx);

// Logging out of one application (a session) or of all
Result<Reply> get_cloudkey_sessions(RequestContext& ctx);
Result<Reply> post_cloudkey_logout(RequestContext& ctx);

// The certificate on a device: delete it from the device (the holder, SMS code), refresh it after a
// renewal (the holder's device), renew it on the server (a tenant admin; an operator)
Result<Reply> post_cloudkey_device_deletion(RequestContext& ctx);
Result<Reply> get_cloudkey_key_certificate(RequestContext& ctx);
Result<Reply> post_cloudkey_staff_renewal(RequestContext& ctx);
Result<Reply> op_post_cloudkey_staff_renewal(RequestContext& ctx);

}  // namespace certseal::api
