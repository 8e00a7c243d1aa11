// The mobile shield (two-party SM2 steps, devices, pairing, recovery) and the certificates a user
// holds: installation, renew, change, revoke, reissue (docs/SHIELD.md). Thin: ShieldService
// decides and checks; these read the JSON (base64 for bytes) and render answers.
#pragma once

#include "api/router.h"

namespace certseal::api {

// Installation and the certificates of the caller
Result<Reply> post_order_installation(RequestContext& ctx);
Result<Reply> get_account_certificates(RequestContext& ctx);
Result<Reply> get_account_certificate(RequestContext& ctx);
Result<Reply> post_certificate_renewal(RequestContext& ctx);
Result<Reply> post_certificate_change(RequestContext& ctx);
Result<Reply> post_certificate_revocation(RequestContext& ctx);
Result<Reply> post_certificate_reissue(RequestContext& ctx);
Result<Reply> op_post_reissue_notice(RequestContext& ctx);

// Two-party steps
Result<Reply> post_shield_challenge(RequestContext& ctx);
Result<Reply> post_shield_signature(RequestContext& ctx);
Result<Reply> post_shield_decryption(RequestContext& ctx);
Result<Reply> post_shield_refresh(RequestContext& ctx);
Result<Reply> put_shield_password(RequestContext& ctx);

// Devices, pairing, recovery, records
Result<Reply> get_shield_devices(RequestContext& ctx);
Result<Reply> post_shield_device(RequestContext& ctx);
Result<Reply> post_shield_webauthn(RequestContext& ctx);
Result<Reply> post_shield_device_removal(RequestContext& ctx);
Result<Reply> post_shield_pairing(RequestContext& ctx);
Result<Reply> get_shield_pairing(RequestContext& ctx);
Result<Reply> post_shield_pairing_completion(RequestContext& ctx);
Result<Reply> post_shield_recovery(RequestContext& ctx);
Result<Reply> get_shield_events(RequestContext& ctx);

}  // namespace certseal::api
