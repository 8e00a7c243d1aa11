// The phone as a PC key (移动电子密钥, docs/PKCS11.md; tag: pc): the phone's side — approving a
// PC's pairing, the paired PCs, and the PC's sign and decrypt requests waiting for the phone.
import { get, post } from './http.js';

const enc = encodeURIComponent;
export const pairing = (id) => get(`/api/v1/pc-pairings/${enc(id)}`);
export const approvePairing = (id, code) => post(`/api/v1/pc-pairings/${enc(id)}/approval`, { code });
export const pcs = () => get('/api/v1/account/pcs');
export const removePc = (id) => post(`/api/v1/account/pcs/${enc(id)}/removal`, {});
export const requests = () => get('/api/v1/account/pc-requests');
export const complete = (id, result) => post(`/api/v1/account/pc-requests/${enc(id)}/completion`, { result });
export const refuse = (id, reason) => post(`/api/v1/account/pc-requests/${enc(id)}/refusal`, { reason });

// The PC's pairing QR code: "certseal-pc:<link id>:<code>"; null for anything else.
export function parsePairingPayload(text) {
  const m = /^certseal-pc:([A-Za-z0-9-]{1,100}):([A-Za-z0-9-]{1,64})$/.exec(String(text).trim());
  return m ? { id: m[1], code: m[2] } : null;
}
