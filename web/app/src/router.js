// The route table (every page lazily loaded) and the guard: before anything the business choice
// of the first start (business.js), then pages marked `auth` need a session, else the login page.
import { createRouter, createWebHistory } from 'vue-router';
import { session } from './session.js';
import { business } from './business.js';

const routes = [
  { path: '/', name: 'home', component: () => import('./pages/home/index.vue'), meta: { auth: true, tab: true } },
  { path: '/welcome', name: 'welcome', component: () => import('./pages/welcome/index.vue') },
  { path: '/login', name: 'login', component: () => import('./pages/login/index.vue') },
  { path: '/set-password', name: 'set-password', component: () => import('./pages/set-password/index.vue'), meta: { auth: true } },
  { path: '/verify', name: 'verify', component: () => import('./pages/verify/index.vue'), meta: { auth: true } },
  { path: '/buy', name: 'buy', component: () => import('./pages/buy/index.vue'), meta: { auth: true } },
  { path: '/orders', name: 'orders', component: () => import('./pages/orders/index.vue'), meta: { auth: true, tab: true } },
  { path: '/orders/:id/install', name: 'install', component: () => import('./pages/install/index.vue'), meta: { auth: true } },
  { path: '/certificates', name: 'certificates', component: () => import('./pages/certificates/index.vue'), meta: { auth: true, tab: true } },
  { path: '/certificates/pair', name: 'pair', component: () => import('./pages/pair/index.vue'), meta: { auth: true } },
  { path: '/certificates/:id', name: 'certificate', component: () => import('./pages/certificate/index.vue'), meta: { auth: true } },
  { path: '/certificates/:id/devices/new', name: 'add-device', component: () => import('./pages/add-device/index.vue'), meta: { auth: true } },
  { path: '/certificates/:id/reissue', name: 'reissue', component: () => import('./pages/reissue/index.vue'), meta: { auth: true } },
  { path: '/certificates/:id/renew', name: 'renew', component: () => import('./pages/renew/index.vue'), meta: { auth: true } },
  { path: '/about', name: 'about', component: () => import('./pages/about/index.vue') },
  { path: '/certificates/:id/platforms', name: 'platforms', component: () => import('./pages/platforms/index.vue'), meta: { auth: true } },
  { path: '/certificates/:id/recover', name: 'recover', component: () => import('./pages/recover/index.vue'), meta: { auth: true } },
  { path: '/certificates/:id/password', name: 'cert-password', component: () => import('./pages/cert-password/index.vue'), meta: { auth: true } },
  { path: '/notifications', name: 'notifications', component: () => import('./pages/notifications/index.vue'), meta: { auth: true } },
  { path: '/seals', name: 'seals', component: () => import('./pages/seals/index.vue'), meta: { auth: true } },
  { path: '/org/new', name: 'org-new', component: () => import('./pages/org-new/index.vue'), meta: { auth: true } },
  { path: '/org/join', name: 'org-join', component: () => import('./pages/org-join/index.vue'), meta: { auth: true } },
  { path: '/org/:id/buy', name: 'org-buy', component: () => import('./pages/org-buy/index.vue'), meta: { auth: true } },
  { path: '/org/:id/members', name: 'members', component: () => import('./pages/members/index.vue'), meta: { auth: true } },
  { path: '/org/:id/transfer', name: 'org-transfer', component: () => import('./pages/org-transfer/index.vue'), meta: { auth: true } },
  { path: '/grants', name: 'grants', component: () => import('./pages/grants/index.vue'), meta: { auth: true } },
  { path: '/tasks', name: 'tasks', component: () => import('./pages/tasks/index.vue'), meta: { auth: true } },
  { path: '/settings', name: 'settings', component: () => import('./pages/settings/index.vue'), meta: { auth: true } },
  { path: '/privacy', name: 'privacy', component: () => import('./pages/privacy/index.vue'), meta: { auth: true } },
  { path: '/deregister', name: 'deregister', component: () => import('./pages/deregister/index.vue'), meta: { auth: true } },
  { path: '/invoices', name: 'invoices', component: () => import('./pages/invoices/index.vue'), meta: { auth: true } },
  { path: '/scan', name: 'scan', component: () => import('./pages/scan/index.vue'), meta: { auth: true } },
  { path: '/me', name: 'me', component: () => import('./pages/me/index.vue'), meta: { auth: true, tab: true } },
  { path: '/cloudkey', name: 'cloudkey', component: () => import('./pages/cloudkey/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/setup', name: 'cloudkey-setup', component: () => import('./pages/cloudkey-setup/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/cert', name: 'cloudkey-cert', component: () => import('./pages/cloudkey-cert/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/signature', name: 'cloudkey-signature', component: () => import('./pages/cloudkey-signature/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/devices', name: 'cloudkey-devices', component: () => import('./pages/cloudkey-devices/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/log', name: 'cloudkey-log', component: () => import('./pages/cloudkey-log/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/delegations', name: 'cloudkey-delegations', component: () => import('./pages/cloudkey-delegations/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/recover', name: 'cloudkey-recover', component: () => import('./pages/cloudkey-recover/index.vue'), meta: { auth: true } },
  { path: '/cloudkey/settings', name: 'cloudkey-settings', component: () => import('./pages/cloudkey-settings/index.vue'), meta: { auth: true } },
  { path: '/pc-key', name: 'pc-key', component: () => import('./pages/pc-key/index.vue'), meta: { auth: true } },
  { path: '/:rest(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory('/app/'), routes });

router.beforeEach((to) => {
  if (!business.value && to.name !== 'welcome') return { name: 'welcome', query: { next: to.fullPath } };
  if (to.meta.auth && !session.token) return { name: 'login', query: { next: to.fullPath } };
  return true;
});
