// i18n shared by the web apps: zh-CN is the default and the fallback, other languages load
// lazily. setLang switches vue-i18n, <html lang>, and whatever the app registers with onLang
// (the mobile app switches Vant's locale; the console will switch Element Plus's).
// Server errors are shown through errors.<code> (our stable problem codes), falling back to the
// server's own message (errorText).
import { createI18n } from 'vue-i18n';
import errorsZh from './errors.zh-CN.json';

export const LANGS = ['zh-CN', 'en-US'];
const STORAGE_KEY = 'certseal.lang';
const hooks = new Set();

// loaders: { 'en-US': () => import('./locales/en-US.json') }, messages of the default language.
export function setupI18n(zhMessages, loaders, errorLoaders = {}) {
  const i18n = createI18n({
    legacy: false,
    locale: 'zh-CN',
    fallbackLocale: 'zh-CN',
    messages: { 'zh-CN': { ...zhMessages, errors: errorsZh } },
  });
  const loaded = new Set(['zh-CN']);
  const defaultErrorLoaders = { 'en-US': () => import('./errors.en-US.json'), ...errorLoaders };

  async function setLang(lang) {
    if (!LANGS.includes(lang)) lang = 'zh-CN';
    if (!loaded.has(lang)) {
      const [m, e] = await Promise.all([loaders[lang](), defaultErrorLoaders[lang]()]);
      i18n.global.setLocaleMessage(lang, { ...(m.default || m), errors: e.default || e });
      loaded.add(lang);
    }
    i18n.global.locale.value = lang;
    document.documentElement.lang = lang;
    try {
      localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // not remembered
    }
    for (const h of hooks) await h(lang);
  }

  function savedLang() {
    try {
      return localStorage.getItem(STORAGE_KEY) || 'zh-CN';
    } catch {
      return 'zh-CN';
    }
  }

  // The text for an error: errors.<code> when we have one, else the server's message.
  function errorText(err) {
    const code = err?.code;
    const t = i18n.global;
    if (code && t.te(`errors.${code}`)) return t.t(`errors.${code}`);
    return err?.message || t.t('errors.unknown');
  }

  return { i18n, setLang, savedLang, errorText };
}

export function onLang(fn) {
  hooks.add(fn);
}
