// Catalogue, orders, payments (tag: orders).
import { get, post, query, request } from './http.js';

export const catalogue = () => get('/api/v1/catalogue');
export const createOrder = (body) => post('/api/v1/orders', body);
// A trading platform's application link (its printed QR code): the platform, who offers it, the products.
export const applicationLink = (token) => get(`/api/v1/application-links/${encodeURIComponent(token)}`);
export const orders = (params = {}) => get(`/api/v1/orders${query(params)}`);
export const order = (id) => get(`/api/v1/orders/${encodeURIComponent(id)}`);
export const authoriseOrder = (id, code) => post(`/api/v1/orders/${encodeURIComponent(id)}/authorisation`, { code });
export const payOnline = (id, body = {}) => post(`/api/v1/orders/${encodeURIComponent(id)}/online-payments`, body);
export const cancelOrder = (id) => post(`/api/v1/orders/${encodeURIComponent(id)}/cancellation`, {});
export const requestInvoice = (id, body) => post(`/api/v1/orders/${encodeURIComponent(id)}/invoice`, body);
export const invoices = (params = {}) => get(`/api/v1/invoices${query(params)}`);
export const invoicePdf = (id) => request('GET', `/api/v1/invoices/${encodeURIComponent(id)}/pdf`, { blob: true });
export const declareBankTransfer = (id, body) => post(`/api/v1/orders/${encodeURIComponent(id)}/bank-transfers`, body);
// The application form (申请表) signed online: the PNG of a handwritten signature, uploaded first
// (POST /api/v1/blobs?purpose=handwritten_signature), embedded in the form.
export const signApplicationForm = (id, blobId) =>
  post(`/api/v1/orders/${encodeURIComponent(id)}/application-form/online-signature`, { blob_id: blobId });
