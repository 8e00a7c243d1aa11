import { onLang, setupI18n } from '@shared/i18n/index.js';
import zh from './locales/zh-CN.json';
import { vantLocale } from './vant.js';

export const { i18n, setLang, savedLang, errorText } = setupI18n(zh, {
  'en-US': () => import('./locales/en-US.json'),
});
onLang(vantLocale);
