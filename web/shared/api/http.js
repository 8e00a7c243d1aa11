// The one HTTP client of the web apps (mobile app web/app and, later, the operator console
// web/console). Same origin as the page (certseald serves both), JSON in and out, the session
// token as a Bearer header. Problem+json answers (RFC 9457) become ApiError {status, code,
// message, fields}; nothing here touches the UI — pages decide what to show.
//
// The token is kept in memory and in sessionStorage (this tab only, gone when it closes); never
// in localStorage.

const TOKEN_KEY = 'certseal.session';

export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields; // [{field, code, detail}]
  }
  // The detail for one form field, if the server named it.
  field(name) {
    return this.fields.find((f) => f.field === name)?.detail;
  }
}

let token = null;
try {
  token = globalThis.sessionStorage?.getItem(TOKEN_KEY) || null;
} catch {
  token = null; // storage refused (private mode): the session lives in memory only
}
const listeners = new Set();

export function sessionToken() {
  return token;
}

export function setSessionToken(t) {
  token = t || null;
  try {
    if (token) globalThis.sessionStorage?.setItem(TOKEN_KEY, token);
    else globalThis.sessionStorage?.removeItem(TOKEN_KEY);
  } catch {
    // memory only
  }
  for (const l of listeners) l(token);
}

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function idempotencyKey() {
  return globalThis.crypto.randomUUID();
}

// request('POST', '/api/v1/orders', {body}) → parsed JSON (null for 204).
// options: body (JSON value), raw (Blob/ArrayBuffer body), contentType, headers, signal.
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json, application/problem+json', ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['Content-Type'] = options.contentType || 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && !headers['Idempotency-Key']) headers['Idempotency-Key'] = idempotencyKey();
  let res;
  try {
    res = await fetch(path, { method, headers, body, signal: options.signal, credentials: 'same-origin' });
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'network error');
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let p = {};
    if (type.includes('json')) p = await res.json().catch(() => ({}));
    if (res.status === 401 && token) setSessionToken(null);
    throw new ApiError(res.status, p.code || `http_${res.status}`, p.detail || p.title || res.statusText, p.errors || []);
  }
  if (res.status === 204) return null;
  if (options.blob) return res.blob();
  if (type.includes('json')) return res.json();
  return res.text();
}

export const get = (path, o) => request('GET', path, o);
export const post = (path, body, o = {}) => request('POST', path, { ...o, body });
export const put = (path, body, o = {}) => request('PUT', path, { ...o, body });
export const patch = (path, body, o = {}) => request('PATCH', path, { ...o, body });
export const del = (path, o) => request('DELETE', path, o);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
