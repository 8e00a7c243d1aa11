// Certificates of the account, the mobile shield's two-party steps, QR scenes, seals
// (tags: shield, scenes, seals).
import { get, post, put, query, request } from './http.js';

const enc = encodeURIComponent;
export const certificates = () => get('/api/v1/account/certificates');
export const certificate = (id) => get(`/api/v1/account/certificates/${enc(id)}`);
export const install = (orderId, body) => post(`/api/v1/orders/${enc(orderId)}/installation`, body);
export const challenge = (keyId, deviceId) => post('/api/v1/shield/challenges', { key_id: keyId, device_id: deviceId });
export const signStep = (keyId, body) => post(`/api/v1/shield/keys/${enc(keyId)}/signatures`, body);
export const decryptStep = (keyId, body) => post(`/api/v1/shield/keys/${enc(keyId)}/decryptions`, body);
export const passwordStep = (keyId, deviceId, body) =>
  put(`/api/v1/shield/keys/${enc(keyId)}/devices/${enc(deviceId)}/password`, body);
// 找回证书密码: SMS code, login password, a face photo, the new password's auth key and salt.
export const recoverKey = (keyId, body) => post(`/api/v1/shield/keys/${enc(keyId)}/recovery`, body);
export const devices = (keyId) => get(`/api/v1/shield/keys/${enc(keyId)}/devices`);
export const keyEvents = (keyId) => get(`/api/v1/shield/keys/${enc(keyId)}/events`);
export const sceneClaim = (token) => post('/api/v1/scene-claims', { token });
export const sceneComplete = (id, body) => post(`/api/v1/scene-requests/${enc(id)}/completion`, body);
export const sceneRefuse = (id, reason) => post(`/api/v1/scene-requests/${enc(id)}/refusal`, { reason });
export const seals = (params = {}) => get(`/api/v1/seals${query(params)}`);
export const sealPreview = (body) => request('POST', '/api/v1/seal-previews', { body, blob: true });
export const makeSeal = (body) => post('/api/v1/seals', body);
export const sealPicture = (id) => request('GET', `/api/v1/seals/${enc(id)}/picture`, { blob: true });
export const revoke = (id, body) => post(`/api/v1/account/certificates/${enc(id)}/revocations`, body);
export const renew = (id, body) => post(`/api/v1/account/certificates/${enc(id)}/renewals`, body);
export const change = (id, body) => post(`/api/v1/account/certificates/${enc(id)}/changes`, body);
export const platforms = (id) => get(`/api/v1/account/certificates/${enc(id)}/platforms`);
export const cancelPlatform = (id, platformId) =>
  post(`/api/v1/account/certificates/${enc(id)}/platforms/${enc(platformId)}/cancellation`, {});
// Scene 13: the server places the seal, renders the page and gives the signed attributes.
export const documentPreparation = (id, body) => post(`/api/v1/scene-requests/${enc(id)}/document-preparation`, body);
// Adding a device by pairing (docs/SHIELD.md "Adding a device"; grants: docs/GRANTS.md).
export const grantPairing = (grantId, body) => post(`/api/v1/grants/${enc(grantId)}/pairings`, body);
export const startPairing = (body) => post('/api/v1/shield/pairings', body);
export const pairing = (id) => get(`/api/v1/shield/pairings/${enc(id)}`);
export const completePairing = (id, body) => post(`/api/v1/shield/pairings/${enc(id)}/completion`, body);
export const addDeviceStep = (keyId, body) => post(`/api/v1/shield/keys/${enc(keyId)}/devices`, body);
// Unlocking with a platform authenticator (docs/SHIELD.md): enrol this device's credential.
export const webauthnEnrol = (keyId, deviceId, body) =>
  post(`/api/v1/shield/keys/${enc(keyId)}/devices/${enc(deviceId)}/webauthn`, body);
export const reissue = (id, body) => post(`/api/v1/account/certificates/${enc(id)}/reissues`, body);
// 证书延期 of an organisation certificate by the organisation's admin (acting as such), with the
// admin's approved renewal order bought for the organisation (docs/ORDERS.md).
export const orgRenew = (orgId, id, body) => post(`/api/v1/organisations/${enc(orgId)}/certificates/${enc(id)}/renewals`, body);
