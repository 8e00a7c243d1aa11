// The cloud key's staff certificates on this device (docs/CLOUDKEY.md, SPEC §10): the server's
// list of the account's cloud-key certificates, narrowed to the keys this browser holds, and the
// one chosen on the cloud-key home (切换证书). The choice is a key id, remembered in
// localStorage like the business (no personal data).
import { ref } from 'vue';

const KEY = 'certseal.cloudkey.current';

function saved() {
  try {
    return localStorage.getItem(KEY) || '';
  } catch {
    return '';
  }
}

export const currentKeyId = ref(saved());

export function chooseKey(keyId) {
  currentKeyId.value = keyId;
  try {
    localStorage.setItem(KEY, keyId);
  } catch {
    // remembered for this visit only
  }
}

// {items: the account's current staff certificates whose key is in this browser, elsewhere:
// those held only by other devices, current: the chosen one (the first when none was chosen or
// the chosen one left), deviceId: this browser's device id}.
export async function cloudKeysHere() {
  const [api, store] = await Promise.all([import('@shared/api/cloudkey.js'), import('./shield/store.js')]);
  const [list, stored, dev] = await Promise.all([api.certificates(), store.keys(), store.device()]);
  const here = new Set(stored.map((k) => k.keyId));
  const all = (list.items || []).filter((c) => c.current !== false);
  const items = all.filter((c) => here.has(c.key_id));
  let current = items.find((c) => c.key_id === currentKeyId.value) || items[0] || null;
  if (current && current.key_id !== currentKeyId.value) chooseKey(current.key_id);
  return { items, elsewhere: all.filter((c) => !here.has(c.key_id)), current, deviceId: dev.device_id };
}
