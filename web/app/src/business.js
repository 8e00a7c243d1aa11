// The business the app serves (SPEC §2, 业务类型): asked on first start, remembered in
// localStorage (a preference, not personal data), changeable in 账号与安全. The choice decides
// which entries the home screen offers (homeEntries).
import { ref } from 'vue';

const KEY = 'certseal.business';
export const BUSINESSES = ['unified', 'legacy', 'cloudkey'];

function saved() {
  try {
    const b = localStorage.getItem(KEY);
    return BUSINESSES.includes(b) ? b : '';
  } catch {
    return '';
  }
}

// '' until the person chose (then the router sends every page to the choice first).
export const business = ref(saved());

export function setBusiness(b) {
  if (!BUSINESSES.includes(b)) throw new Error(`unknown business ${b}`);
  business.value = b;
  try {
    localStorage.setItem(KEY, b);
  } catch {
    // remembered for this visit only
  }
}

// The home screen's entries of one business: {key (the text under home.entry.*), icon, to}.
//  unified  — 网证通移动证书 / 手证通 (SPEC §3–§9): scan, verification, buying, certificates.
//  legacy   — 数字证书业务(旧) (SPEC §11): apply, business query (install from the order),
//             renewal (from a certificate's details), certificates, 移动电子密钥 (the phone as
//             the PC's key, docs/PKCS11.md).
//  cloudkey — 云密钥 (SPEC §10): scan, certificate information (the cloud-key home: the staff
//             certificates on this device, set-up, signature capture, devices, usage log),
//             delegation (授权管理), security.
const ENTRIES = {
  unified: [
    { key: 'scan', icon: 'scan', to: '/scan' },
    { key: 'verify', icon: 'idcard', to: '/verify' },
    { key: 'buy', icon: 'cart-o', to: '/buy' },
    { key: 'certificates', icon: 'shield-o', to: '/certificates' },
  ],
  legacy: [
    { key: 'apply', icon: 'add-o', to: '/buy' },
    { key: 'query', icon: 'search', to: '/orders' },
    { key: 'renew', icon: 'replay', to: '/certificates' },
    { key: 'certificates', icon: 'shield-o', to: '/certificates' },
    { key: 'pc_key', icon: 'desktop-o', to: '/pc-key' },
  ],
  cloudkey: [
    { key: 'scan', icon: 'scan', to: '/scan' },
    { key: 'cert_info', icon: 'description', to: '/cloudkey' },
    { key: 'delegation', icon: 'friends-o', to: '/cloudkey/delegations' },
    { key: 'security', icon: 'lock', to: '/settings' },
  ],
};

export function homeEntries(b) {
  return ENTRIES[b] || ENTRIES.unified;
}
