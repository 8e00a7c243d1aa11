// What to say when the server refuses an unlock proof (docs/SHIELD.md "The unlock budget"): the
// server's detail carries the attempts left ("N attempts left") or that the key is now locked.
import { errorText, i18n } from '../i18n.js';

export function unlockErrorText(e) {
  const t = i18n.global.t;
  if (e?.code === 'bad_unlock_proof') {
    if (/now locked/.test(e.message || '')) return t('unlock.locked_now');
    const m = /(\d+) attempts? left/.exec(e.message || '');
    if (m) return t('unlock.left', { n: Number(m[1]) });
  }
  return errorText(e);
}
