// The console's texts: zh-CN bundled (the default), English loaded when chosen; Element Plus's own
// texts follow the language (elementLocale).
import { ref } from 'vue';
import { onLang, setupI18n } from '@shared/i18n/index.js';
import zh from './locales/zh-CN.json';
import elZh from 'element-plus/es/locale/lang/zh-cn.mjs';

export const { i18n, setLang, savedLang, errorText } = setupI18n(zh, { 'en-US': () => import('./locales/en-US.json') });
export const elementLocale = ref(elZh);

onLang(async (lang) => {
  elementLocale.value = lang === 'en-US' ? (await import('element-plus/es/locale/lang/en.mjs')).default : elZh;
});
