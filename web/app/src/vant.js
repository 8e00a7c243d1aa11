// The Vant components the app uses, each with its own styles (not the whole library's CSS).
import {
  Button, Cell, CellGroup, Checkbox, Dialog, Empty, Field, Form, Icon, Loading, Locale, NavBar, NoticeBar,
  PasswordInput, Popup, Radio, RadioGroup, Stepper, Steps, Step, Tab, Tabbar, TabbarItem, Tabs, Tag, Uploader,
  showToast, showSuccessToast, showFailToast, showLoadingToast, closeToast, showConfirmDialog,
} from 'vant';
import enUS from 'vant/es/locale/lang/en-US';
import zhCN from 'vant/es/locale/lang/zh-CN';
import 'vant/es/button/style/index.mjs';
import 'vant/es/cell/style/index.mjs';
import 'vant/es/cell-group/style/index.mjs';
import 'vant/es/checkbox/style/index.mjs';
import 'vant/es/dialog/style/index.mjs';
import 'vant/es/empty/style/index.mjs';
import 'vant/es/field/style/index.mjs';
import 'vant/es/form/style/index.mjs';
import 'vant/es/icon/style/index.mjs';
import 'vant/es/loading/style/index.mjs';
import 'vant/es/nav-bar/style/index.mjs';
import 'vant/es/notice-bar/style/index.mjs';
import 'vant/es/popup/style/index.mjs';
import 'vant/es/radio/style/index.mjs';
import 'vant/es/radio-group/style/index.mjs';
import 'vant/es/stepper/style/index.mjs';
import 'vant/es/steps/style/index.mjs';
import 'vant/es/step/style/index.mjs';
import 'vant/es/tab/style/index.mjs';
import 'vant/es/tabs/style/index.mjs';
import 'vant/es/tabbar/style/index.mjs';
import 'vant/es/tabbar-item/style/index.mjs';
import 'vant/es/tag/style/index.mjs';
import 'vant/es/toast/style/index.mjs';
import 'vant/es/uploader/style/index.mjs';

const components = [
  Button, Cell, CellGroup, Checkbox, Dialog, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, PasswordInput,
  Popup, Radio, RadioGroup, Stepper, Steps, Step, Tab, Tabbar, TabbarItem, Tabs, Tag, Uploader,
];

export function installVant(app) {
  for (const c of components) app.use(c);
}

export function vantLocale(lang) {
  Locale.use(lang, lang === 'en-US' ? enUS : zhCN);
}

export { showToast, showSuccessToast, showFailToast, showLoadingToast, closeToast, showConfirmDialog };
