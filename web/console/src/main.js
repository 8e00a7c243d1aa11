import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router.js';
import { i18n, savedLang, setLang } from './i18n.js';
import { installElements } from './elements.js';
import './styles.css';

const app = createApp(App);
installElements(app);
app.use(i18n).use(router);
setLang(savedLang()).finally(() => app.mount('#app'));
