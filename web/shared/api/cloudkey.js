// The cloud key (云密钥, docs/CLOUDKEY.md; tag: cloudkey): tenants, staff records, the download of
// a staff certificate, devices, the usage log, signature capture and delegation.
import { del, get, post, put, query } from './http.js';
import { latestRelease as latestReleaseOf, serverInfo } from './account.js';

const enc = encodeURIComponent;
const tenant = (id) => `/api/v1/cloudkey/tenants/${enc(id)}`;
const key = (id) => `/api/v1/cloudkey/keys/${enc(id)}`;

export const tenants = (q = '') => get(`/api/v1/cloudkey/tenants${query({ q })}`);
export const tenantInfo = (id) => get(tenant(id));
export const tenantQr = (id) => get(`${tenant(id)}/qr`);
// 自助录入: {staff_no, name, id_number}; the account's phone is the record's.
export const apply = (tenantId, body) => post(`${tenant(tenantId)}/applications`, body);
// The download: {staff_no, device_id, device_name, p1, auth_key, salt} (the installation's message).
export const download = (tenantId, body) => post(`${tenant(tenantId)}/certificates`, body);
export const certificates = () => get('/api/v1/cloudkey/certificates');
export const devices = (keyId, status = '') => get(`${key(keyId)}/devices${query({ status })}`);
// action: freeze | activate (secondary devices), asked from the key's main device.
export const setDeviceState = (keyId, deviceId, action, fromDevice) =>
  post(`${key(keyId)}/devices/${enc(deviceId)}/state`, { action, from_device: fromDevice });
export const removeDevice = (keyId, deviceId, code) => post(`${key(keyId)}/devices/${enc(deviceId)}/removal`, { code });
export const removeSecondaries = (keyId, fromDevice, code) =>
  post(`${key(keyId)}/secondary-removal`, { from_device: fromDevice, code });
// Password + SMS code: one step of this device within 5 minutes.
export const smsUnlock = (keyId, deviceId, code) => post(`${key(keyId)}/devices/${enc(deviceId)}/sms-unlock`, { code });
export const usage = (keyId, params) => get(`${key(keyId)}/usage${query(params)}`);
export const signature = (keyId) => get(`${key(keyId)}/signature`);
export const setSignature = (keyId, blobId) => put(`${key(keyId)}/signature`, { blob_id: blobId });
export const delegations = () => get('/api/v1/cloudkey/delegations');
export const requestDelegation = (tenantId, body) => post(`${tenant(tenantId)}/delegations`, body);
// terms: {not_after: unix seconds, uses: integer or absent}
export const approveDelegation = (id, terms) => post(`/api/v1/cloudkey/delegations/${enc(id)}/approval`, terms);
export const refuseDelegation = (id) => post(`/api/v1/cloudkey/delegations/${enc(id)}/refusal`, {});
export const freezeDelegation = (id, frozen) => put(`/api/v1/cloudkey/delegations/${enc(id)}/frozen`, { frozen });
export const changeDelegation = (id, terms) => put(`/api/v1/cloudkey/delegations/${enc(id)}/terms`, terms);
export const deleteDelegation = (id) => del(`/api/v1/cloudkey/delegations/${enc(id)}`);
export const delegationUses = (id) => get(`/api/v1/cloudkey/delegations/${enc(id)}/uses`);

// The tenant's QR code text: {"type":"certseal-cloudkey","server":…,"tenant":…,"name":…}. Only
// this server's codes are taken (the session is never used elsewhere); null for anything else.
export function parseTenantQr(text, origin = globalThis.location?.origin) {
  let j;
  try {
    j = JSON.parse(String(text).trim());
  } catch {
    return null;
  }
  if (!j || j.type !== 'certseal-cloudkey' || typeof j.tenant !== 'string' || !j.tenant) return null;
  let other = false;
  try {
    other = !!(j.server && origin && new URL(j.server).origin !== new URL(origin).origin);
  } catch {
    other = true;
  }
  return { tenant: j.tenant, name: typeof j.name === 'string' ? j.name : '', server: j.server || '', otherServer: other };
}

// 找回密码: a picture captcha ({id, image: PNG base64}), its answer sends the SMS code, the code
// with the new password's auth key and salt resets this device's unlock material.
export const captcha = () => post('/api/v1/cloudkey/captchas', {});
export const recoveryCode = (keyId, captchaId, answer) =>
  post(`${key(keyId)}/password-recovery-codes`, { captcha_id: captchaId, captcha_answer: answer });
export const recoverPassword = (keyId, body) => post(`${key(keyId)}/password-recovery`, body);

// 退出登录: the account's sessions (applications), the asking one marked; end one or all.
export const sessions = () => get('/api/v1/cloudkey/sessions');
export const logOut = (sessionId) => post('/api/v1/cloudkey/logouts', { session: sessionId });
export const logOutAll = () => post('/api/v1/cloudkey/logouts', { all: true });
// 关于: the server's name and version, and the published client release of the cloud key.
export { serverInfo };
export const latestRelease = () => latestReleaseOf('cloudkey');
// The usage log encrypted to the tenant's support certificate (CMS EnvelopedData, base64).
export const usageExport = (keyId, params) => get(`${key(keyId)}/usage-export${query(params)}`);
// 重置授权密码: the holder has the server send the delegate a new password by SMS; the delegate's
// device applies it ({device_id, reset_password, auth_key, salt}: one try) and gets its recovery keys.
export const resetDelegatePassword = (id) => post(`/api/v1/cloudkey/delegations/${enc(id)}/password-resets`, {});
export const applyDelegateReset = (id, body) => post(`/api/v1/cloudkey/delegations/${enc(id)}/password-reset-completion`, body);
