// Accounts, sessions, SMS codes, agreements, uploads, real-name verification (tag: accounts,
// identity in docs/openapi.yaml).
import { del, get, post, put, query, request } from './http.js';

export const sendLoginCode = (phone) => post('/api/v1/sms-codes', { phone, purpose: 'login' });
export const sendResetCode = (phone) => post('/api/v1/sms-codes', { phone, purpose: 'reset_password' });
// purpose: verify_person | authorise | ...; `for`/`object` bind an authorise code to one action.
export const sendAccountCode = (purpose, extra = {}) => post('/api/v1/account/sms-codes', { purpose, ...extra });
export const login = (phone, code, password) =>
  post('/api/v1/sessions', password ? { phone, code, password } : { phone, code });
export const logout = () => del('/api/v1/sessions/current');
export const account = () => get('/api/v1/account');
export const setPassword = (body) => put('/api/v1/account/password', body);
export const resetPassword = (body) => post('/api/v1/password-resets', body);
export const identities = () => get('/api/v1/identities');
export const switchIdentity = (identityId) => put('/api/v1/sessions/current/identity', { identity_id: identityId });
export const agreement = (kind) => get(`/api/v1/agreements/${encodeURIComponent(kind)}`);
export const acceptAgreement = (kind, version) => post('/api/v1/agreement-acceptances', { kind, version });
export const uploadBlob = (purpose, file) =>
  request('POST', `/api/v1/blobs${query({ purpose })}`, { raw: file, contentType: file.type || 'image/jpeg' });
export const verifyPerson = (body) => post('/api/v1/person-verifications', body);
export const currentVerification = () => get('/api/v1/person-verifications/current');
export const notifications = (page = {}) => get(`/api/v1/notifications${query(page)}`);
export const personalInformation = () => get('/api/v1/account/personal-information');
export const thirdParties = () => get('/api/v1/account/third-parties');
export const deregister = (body) => post('/api/v1/account/deregistration', body);
export const withdrawDeregistration = () => del('/api/v1/account/deregistration');
// This server's name and version; the phone client the platform publishes for a business
// (unified, legacy or cloudkey: the update check).
export const serverInfo = () => get('/api/v1/info');
export const latestRelease = (business) => get(`/api/v1/client/releases/latest${query({ business })}`);
