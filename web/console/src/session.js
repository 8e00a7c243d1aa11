// The operator's session: the token lives in sessionStorage (web/shared/api/http.js), the
// account in memory. `operator` says whether the account may use the console; the server checks
// every operator call anyway (403), the console only refuses to show its pages.
import { reactive } from 'vue';
import * as accountApi from '@shared/api/account.js';
import { onSessionChange, sessionToken, setSessionToken } from '@shared/api/http.js';

export const session = reactive({ token: sessionToken(), account: null });

onSessionChange((t) => {
  session.token = t;
  if (!t) session.account = null;
});

export async function loadAccount() {
  if (!session.token) return null;
  if (!session.account) session.account = await accountApi.account();
  return session.account;
}

export function signedIn(token) {
  setSessionToken(token);
  session.account = null;
}

export async function signOut() {
  try {
    await accountApi.logout();
  } catch {
    // dropped here either way
  }
  setSessionToken(null);
}
