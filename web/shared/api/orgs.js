// Organisations, membership, to-do tasks (tag: organisations).
import { del, get, patch, post, put, query, request } from './http.js';

const enc = encodeURIComponent;
export const search = (params) => get(`/api/v1/organisations${query(params)}`);
export const create = (body) => post('/api/v1/organisations', body);
export const organisation = (id) => get(`/api/v1/organisations/${enc(id)}`);
export const update = (id, body) => patch(`/api/v1/organisations/${enc(id)}`, body);
export const authorisationLetter = (id) => request('GET', `/api/v1/organisations/${enc(id)}/authorisation-letter`, { blob: true });
export const setLicence = (id, blobId) => put(`/api/v1/organisations/${enc(id)}/licence`, { blob_id: blobId });
export const startBankCheck = (id) => post(`/api/v1/organisations/${enc(id)}/bank-transfers`, {});
export const confirmBankCheck = (id, amountFen) => post(`/api/v1/organisations/${enc(id)}/bank-verification`, { amount_fen: amountFen });
export const submit = (id) => post(`/api/v1/organisations/${enc(id)}/submission`, {});
export const requestJoin = (id, body) => post(`/api/v1/organisations/${enc(id)}/join-requests`, body);
export const members = (id) => get(`/api/v1/organisations/${enc(id)}/members`);
export const removeMember = (id, memberId) => del(`/api/v1/organisations/${enc(id)}/members/${enc(memberId)}`);
export const invite = (id, phone) => post(`/api/v1/organisations/${enc(id)}/invitations`, { phone });
export const tasks = (status) => get(`/api/v1/tasks${query({ status })}`);
export const approveTask = (id) => post(`/api/v1/tasks/${enc(id)}/approval`, {});
export const refuseTask = (id, reason) => post(`/api/v1/tasks/${enc(id)}/refusal`, { reason });
export const invitations = () => get('/api/v1/invitations');
export const acceptInvitation = (id) => post(`/api/v1/invitations/${enc(id)}/acceptance`, {});
export const refuseInvitation = (id) => post(`/api/v1/invitations/${enc(id)}/refusal`, {});
// 转让管理员 (docs/ACCOUNTS.md "Admin transfer"): the letter drawn for the member and certificate,
// read as a PDF, then its signed attributes signed by the shield and posted back.
export const createAdminLetter = (id, body) => post(`/api/v1/organisations/${enc(id)}/admin-transfer-letters`, body);
export const adminLetter = (id, letterId) => get(`/api/v1/organisations/${enc(id)}/admin-transfer-letters/${enc(letterId)}`);
export const signAdminLetter = (id, letterId, signature) =>
  post(`/api/v1/organisations/${enc(id)}/admin-transfer-letters/${enc(letterId)}/signature`, { signature });
export const adminLetterPdf = (id, letterId) =>
  request('GET', `/api/v1/organisations/${enc(id)}/admin-transfer-letters/${enc(letterId)}/pdf`, { blob: true });
export const adminLetterPage = (id, letterId) =>
  request('GET', `/api/v1/organisations/${enc(id)}/admin-transfer-letters/${enc(letterId)}/page`, { blob: true });
