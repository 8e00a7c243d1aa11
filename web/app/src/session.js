// Session state shared across pages (the account, its identities); nothing personal is
// persisted — the token lives in sessionStorage (web/shared/api/http.js), the rest in memory.
import { reactive } from 'vue';
import * as accountApi from '@shared/api/account.js';
import { onSessionChange, sessionToken, setSessionToken } from '@shared/api/http.js';

export const session = reactive({ token: sessionToken(), account: null, loaded: false });

onSessionChange((t) => {
  session.token = t;
  if (!t) {
    session.account = null;
    session.loaded = false;
  }
});

export async function loadAccount(force = false) {
  if (!session.token) return null;
  if (session.loaded && !force) return session.account;
  session.account = await accountApi.account();
  session.loaded = true;
  return session.account;
}

export function signedIn(token) {
  setSessionToken(token);
  session.loaded = false;
}

export async function signOut() {
  const { forgetUnlocked } = await import('./shield.js');
  forgetUnlocked();
  try {
    await accountApi.logout();
  } catch {
    // the session is dropped here either way
  }
  setSessionToken(null);
}
