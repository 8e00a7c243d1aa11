// The console's routes (pages loaded on demand) and its guard: every page but the login needs a
// session, and an operator's one — another account sees the refusal page, never a queue.
import { createRouter, createWebHistory } from 'vue-router';
import { loadAccount, session } from './session.js';

const routes = [
  { path: '/', redirect: '/dashboard' },
  { path: '/dashboard', name: 'dashboard', component: () => import('./pages/dashboard/index.vue'), meta: { operator: true } },
  { path: '/login', name: 'login', component: () => import('./pages/login/index.vue') },
  { path: '/denied', name: 'denied', component: () => import('./pages/denied/index.vue') },
  { path: '/persons', name: 'persons', component: () => import('./pages/persons/index.vue'), meta: { operator: true } },
  { path: '/orders', name: 'orders', component: () => import('./pages/orders/index.vue'), meta: { operator: true } },
  { path: '/organisations', name: 'organisations', component: () => import('./pages/organisations/index.vue'), meta: { operator: true } },
  { path: '/seals', name: 'seals', component: () => import('./pages/seals/index.vue'), meta: { operator: true } },
  { path: '/certificates', name: 'certificates', component: () => import('./pages/certificates/index.vue'), meta: { operator: true } },
  { path: '/rp-apps', name: 'rp-apps', component: () => import('./pages/rp-apps/index.vue'), meta: { operator: true } },
  { path: '/cas', name: 'cas', component: () => import('./pages/cas/index.vue'), meta: { operator: true } },
  { path: '/money', name: 'money', component: () => import('./pages/money/index.vue'), meta: { operator: true } },
  { path: '/outboxes', name: 'outboxes', component: () => import('./pages/outboxes/index.vue'), meta: { operator: true } },
  { path: '/catalogue', name: 'catalogue', component: () => import('./pages/catalogue/index.vue'), meta: { operator: true } },
  { path: '/ledger', name: 'ledger', component: () => import('./pages/ledger/index.vue'), meta: { operator: true } },
  { path: '/:rest(.*)*', redirect: '/dashboard' },
];

export const operatorPages = routes.filter((r) => r.meta?.operator).map((r) => r.path);

export const router = createRouter({ history: createWebHistory('/console/'), routes });

router.beforeEach(async (to) => {
  if (!to.meta.operator) return true;
  if (!session.token) return { name: 'login', query: { next: to.fullPath } };
  let account = null;
  try {
    account = await loadAccount();
  } catch {
    account = null;
  }
  if (!session.token) return { name: 'login', query: { next: to.fullPath } };
  if (!account?.operator) return { name: 'denied', query: { from: to.fullPath } };
  return true;
});
