// The browser's device store (docs/SHIELD.md "What each side stores", docs/WEBAPP.md): IndexedDB
// database "certseal" with two object stores,
//   device  one record {device_id, device_name, created_at}, created on first use
//   keys    one record per installed key, keyed by key_id, in exactly the JSON of the C++
//           client's keys/<key_id>.json (KeyFile::to_json): a key file moves between the two as is.
// Only masked shares are stored; the password, d1 and the auth key never are.
import { ShieldError, b64, fromB64 } from './bytes.js';
import { SALT_SIZE } from './unlock.js';

const DB_NAME = 'certseal';
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

// KeyFile JSON → key with bytes; refuses what the C++ client would refuse (bad_file).
export function keyFromFile(j) {
  if (!j || typeof j !== 'object' || typeof j.key_id !== 'string' || !SAFE_ID.test(j.key_id)) {
    throw new ShieldError('bad_file', 'not a key file');
  }
  const field = (name, size) => {
    const b = fromB64(j[name]);
    if (b.length !== size) throw new ShieldError('bad_file', `key file has a bad ${name}`);
    return b;
  };
  return {
    keyId: j.key_id,
    certificateId: j.certificate_id || '',
    publicKey: field('public_key', 65),
    salt: field('salt', SALT_SIZE),
    limits: { ops: j.argon2?.ops ?? 2, mem_bytes: j.argon2?.mem_bytes ?? 64 * 1024 * 1024 },
    maskedD1: field('masked_d1', 32),
    recoveryD1: field('recovery_d1', 32),
    createdAt: j.created_at || '',
    // The platform authenticator's copy (docs/SHIELD.md "Unlocking with a platform
    // authenticator"): d1 masked under the PRF output; absent when not enrolled.
    webauthn: j.webauthn
      ? { credentialId: fromB64(j.webauthn.credential_id), masked: (() => {
        const m = fromB64(j.webauthn.masked_d1);
        if (m.length !== 32) throw new ShieldError('bad_file', 'key file has a bad webauthn.masked_d1');
        return m;
      })() }
      : null,
  };
}

export function keyToFile(k) {
  return {
    version: 1,
    key_id: k.keyId,
    certificate_id: k.certificateId,
    public_key: b64(k.publicKey),
    salt: b64(k.salt),
    argon2: { ops: k.limits.ops, mem_bytes: k.limits.mem_bytes },
    masked_d1: b64(k.maskedD1),
    recovery_d1: b64(k.recoveryD1),
    created_at: k.createdAt,
    ...(k.webauthn ? { webauthn: { credential_id: b64(k.webauthn.credentialId), masked_d1: b64(k.webauthn.masked) } } : {}),
  };
}

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('device');
      req.result.createObjectStore('keys', { keyPath: 'key_id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new ShieldError('storage', 'the browser storage cannot be opened'));
  });
}

async function run(storeName, mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const req = fn(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = () => reject(new ShieldError('storage', 'the browser storage refused the change'));
    });
  } finally {
    db.close();
  }
}

function uuidV4() {
  return globalThis.crypto.randomUUID();
}

// The device identity; created on first use (the name says which browser).
export async function device() {
  const found = await run('device', 'readonly', (s) => s.get('self'));
  if (found) return found;
  const d = {
    device_id: uuidV4(),
    device_name: `浏览器 ${navigator.platform || ''}`.trim(),
    created_at: new Date().toISOString(),
  };
  await run('device', 'readwrite', (s) => s.put(d, 'self'));
  return d;
}

export async function saveKey(k) {
  if (!SAFE_ID.test(k.keyId)) throw new ShieldError('bad_key_id', 'the server sent an unusable key id');
  await run('keys', 'readwrite', (s) => s.put(keyToFile(k)));
}

export async function loadKey(keyId) {
  const j = await run('keys', 'readonly', (s) => s.get(keyId));
  if (!j) throw new ShieldError('unknown_key', `this browser holds no share of key ${keyId}`);
  return keyFromFile(j);
}

export async function keys() {
  const all = (await run('keys', 'readonly', (s) => s.getAll())) || [];
  return all.map(keyFromFile).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

export async function removeKey(keyId) {
  await run('keys', 'readwrite', (s) => s.delete(keyId));
}
