// Organisation grants (单位证书授权 / 单位印章授权, docs/GRANTS.md; tag: grants).
import { get, post, query } from './http.js';

const enc = encodeURIComponent;
const org = (id) => `/api/v1/organisations/${enc(id)}`;
export const grantableSeals = (orgId) => get(`${org(orgId)}/grantable-seals`);
export const grantableCertificates = (orgId, platformId) =>
  get(`${org(orgId)}/grantable-certificates${query({ platform_id: platformId })}`);
export const adminContacts = (orgId) => get(`${org(orgId)}/admin-contacts`);
export const request = (orgId, body) => post(`${org(orgId)}/grants`, body);
export const orgGrants = (orgId, params = {}) => get(`${org(orgId)}/grants${query(params)}`);
export const orgGrantUses = (orgId, params = {}) => get(`${org(orgId)}/grant-uses${query(params)}`);
export const approve = (orgId, id, body) => post(`${org(orgId)}/grants/${enc(id)}/approval`, body);
export const refuse = (orgId, id, reason) => post(`${org(orgId)}/grants/${enc(id)}/refusal`, { reason });
export const revoke = (orgId, id, reason) => post(`${org(orgId)}/grants/${enc(id)}/revocation`, { reason });
export const mine = () => get('/api/v1/grants');
