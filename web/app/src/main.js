import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router.js';
import { i18n, savedLang, setLang } from './i18n.js';
import { installVant } from './vant.js';
import './styles.css';

const app = createApp(App);
installVant(app);
app.use(i18n).use(router);
setLang(savedLang()).finally(() => app.mount('#app'));
