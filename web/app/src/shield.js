// The browser shield, loaded on demand (noble curves and hash-wasm stay out of the first load).
let instance = null;

export async function shield(onProgress) {
  if (!instance) {
    const [{ BrowserShield }, api] = await Promise.all([
      import('./shield/client.js'),
      import('@shared/api/certificates.js'),
    ]);
    instance = new BrowserShield(api);
  }
  instance.cacheSeconds = pinCacheSeconds();
  instance.onProgress = onProgress || (() => {});
  return instance;
}

// The PIN cache duration chosen in 账号与安全 (not a secret: remembered in localStorage).
const PIN_CACHE_KEY = 'certseal.pinCacheSeconds';
export function pinCacheSeconds() {
  try {
    return Number(localStorage.getItem(PIN_CACHE_KEY)) || 0;
  } catch {
    return 0;
  }
}
export function setPinCacheSeconds(n) {
  try {
    localStorage.setItem(PIN_CACHE_KEY, String(n));
  } catch {
    // not remembered
  }
  if (instance) {
    instance.cacheSeconds = n;
    if (!n) instance.forget();
  }
}
// On logout: nothing unlocked survives the session.
export function forgetUnlocked() {
  instance?.forget();
}
