// The operator APIs the console uses (tags operators, orders, identity in docs/openapi.yaml), one
// function per operation. Every call needs an operator session; the server answers 403 otherwise.
import { get, patch, post, query } from './http.js';

const id = (x) => encodeURIComponent(x);

export const personVerifications = (params = {}) => get(`/api/v1/operator/person-verifications${query(params)}`);
export const personVerification = (v) => get(`/api/v1/operator/person-verifications/${id(v)}`);
export const approvePerson = (v) => post(`/api/v1/operator/person-verifications/${id(v)}/approval`, {});
export const rejectPerson = (v, reason) => post(`/api/v1/operator/person-verifications/${id(v)}/rejection`, { reason });
// A picture the person uploaded (ID card sides), as a Blob.
export const blob = (b) => get(`/api/v1/operator/blobs/${id(b)}`, { blob: true });

export const orders = (params = {}) => get(`/api/v1/operator/orders${query(params)}`);
export const order = (o) => get(`/api/v1/operator/orders/${id(o)}`);
export const orderForm = (o) => get(`/api/v1/operator/orders/${id(o)}/application-form`, { blob: true });
export const approveOrder = (o) => post(`/api/v1/operator/orders/${id(o)}/approval`, {});
export const rejectOrder = (o, reason) => post(`/api/v1/operator/orders/${id(o)}/rejection`, { reason });
export const refundOrder = (o, reason) => post(`/api/v1/operator/orders/${id(o)}/refund`, { reason });

export const payments = (params = {}) => get(`/api/v1/operator/payments${query(params)}`);
// A declared bank transfer arrived: the received amount must be the order's.
export const confirmPayment = (p, receivedFen) => post(`/api/v1/operator/payments/${id(p)}/confirmation`, { received_fen: receivedFen });

export const catalogue = () => get('/api/v1/operator/catalogue');
// Relying-party applications: the answer of register() carries the secret, the only time it is shown.
export const rpApps = (params = {}) => get(`/api/v1/operator/rp-apps${query(params)}`);
export const registerRpApp = (body) => post('/api/v1/operator/rp-apps', body);

// A certificate by id, and its revocation with an RFC 5280 reason (the CRL is regenerated at once).
export const certificate = (c) => get(`/api/v1/certificates/${id(c)}`);
export const revokeCertificate = (c, reason) => post(`/api/v1/certificates/${id(c)}/revocations`, { reason });

// Organisations submitted for review: approve, or reject with a reason.
export const organisations = (params = {}) => get(`/api/v1/operator/organisations${query(params)}`);
export const organisation = (o) => get(`/api/v1/operator/organisations/${id(o)}`);
export const approveOrganisation = (o) => post(`/api/v1/operator/organisations/${id(o)}/approval`, {});
export const rejectOrganisation = (o, reason) => post(`/api/v1/operator/organisations/${id(o)}/rejection`, { reason });

// Seals waiting for review, with their pictures: approve, or reject with a reason.
export const seals = () => get('/api/v1/operator/seals');
export const sealPicture = (s) => get(`/api/v1/operator/seals/${id(s)}/picture`, { blob: true });
export const approveSeal = (s) => post(`/api/v1/operator/seals/${id(s)}/approval`, {});
export const rejectSeal = (s, reason) => post(`/api/v1/operator/seals/${id(s)}/rejection`, { reason });

// Relying parties: a new secret (shown once, the old one stops at once), and disabling.
export const rotateRpSecret = (a) => post(`/api/v1/operator/rp-apps/${id(a)}/secret-rotations`, {});
export const disableRpApp = (a) => post(`/api/v1/operator/rp-apps/${id(a)}/disabling`, {});

// The CAs: the public list (chain, CRL, OCSP, TSA addresses), each one's CRL number and window,
// counts and OCSP/TSA certificate expiry, and the certificate search (serial, subject, holder).
export const caList = () => get('/ca');
export const caStatus = () => get('/api/v1/operator/cas');
export const searchCertificates = (params = {}) => get(`/api/v1/operator/certificates${query(params)}`);

// Money: payments by status (submitted, paid, refund_due, ...), a payment's refund, invoices to
// issue or fail.
export const refundPayment = (p, reason) => post(`/api/v1/operator/payments/${id(p)}/refund`, { reason });
export const invoices = (params = {}) => get(`/api/v1/operator/invoices${query(params)}`);
export const issueInvoice = (i) => post(`/api/v1/operator/invoices/${id(i)}/issuance`, {});
export const failInvoice = (i, reason) => post(`/api/v1/operator/invoices/${id(i)}/failure`, { reason });

// The outboxes (SMS codes arrive masked) and the transparency log.
export const smsOutbox = (params = {}) => get(`/api/v1/operator/sms-outbox${query(params)}`);
export const emailOutbox = (params = {}) => get(`/api/v1/operator/email-outbox${query(params)}`);
export const ledgerCheckpoint = () => get('/ledger/checkpoint', { text: true });
export const ledgerKeys = () => get('/api/v1/ledger/keys');
export const inclusionProof = (index, size) => get(`/api/v1/ledger/proofs/inclusion${query({ index, size })}`);
// The dashboard's figures: orders placed since `since` (unix seconds), and the mobile shield's
// signatures and wrong-password unlocks by hour over the last `hours`.
export const dashboard = (params = {}) => get(`/api/v1/operator/dashboard${query(params)}`);

// The catalogue (operators): trading platforms, seal makers, products on and off sale, prices in fen.
export const addPlatform = (name) => post('/api/v1/operator/catalogue/platforms', { name });
export const addSealMaker = (name) => post('/api/v1/operator/catalogue/seal-makers', { name });
// p: {kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, seal_type, platform_id?, period_months?}
export const addProduct = (p) => post('/api/v1/operator/catalogue/products', p);
// changes: {active?: boolean, price_fen?: integer}
export const updateProduct = (p, changes) => patch(`/api/v1/operator/catalogue/products/${id(p)}`, changes);

// A relying party's callback delivery log: every attempt, newest first.
export const rpCallbacks = (a, params = {}) => get(`/api/v1/operator/rp-apps/${id(a)}/callbacks${query(params)}`);

// Organisation change requests (registered data of a verified organisation): approve or reject.
export const orgChanges = (params = {}) => get(`/api/v1/operator/organisation-changes${query(params)}`);
export const approveOrgChange = (c) => post(`/api/v1/operator/organisation-changes/${id(c)}/approval`, {});
export const rejectOrgChange = (c, reason) => post(`/api/v1/operator/organisation-changes/${id(c)}/rejection`, { reason });

// A reissue notice (补发通知) for a certificate held with the mobile shield: the holder is told in
// their notifications and by SMS; identityChecked: the operator verified the holder already.
export const reissueNotice = (c, reason, identityChecked = false) =>
  post(`/api/v1/operator/certificates/${id(c)}/reissue-notices`, { reason, identity_checked: identityChecked });
