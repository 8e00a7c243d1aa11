// Element Plus, one component at a time (each with its own styles), so the first load carries only
// what the console shows. Message boxes and toasts are services, imported where they are used.
import 'element-plus/theme-chalk/base.css';
import {
  ElAside, ElButton, ElConfigProvider, ElContainer, ElDescriptions, ElDescriptionsItem, ElEmpty,
  ElForm, ElFormItem, ElHeader, ElInput, ElMain, ElMenu, ElMenuItem, ElTable, ElTableColumn, ElTag,
} from 'element-plus';
import 'element-plus/es/components/aside/style/css';
import 'element-plus/es/components/button/style/css';
import 'element-plus/es/components/config-provider/style/css';
import 'element-plus/es/components/container/style/css';
import 'element-plus/es/components/descriptions/style/css';
import 'element-plus/es/components/descriptions-item/style/css';
import 'element-plus/es/components/empty/style/css';
import 'element-plus/es/components/form/style/css';
import 'element-plus/es/components/form-item/style/css';
import 'element-plus/es/components/header/style/css';
import 'element-plus/es/components/input/style/css';
import 'element-plus/es/components/main/style/css';
import 'element-plus/es/components/menu/style/css';
import 'element-plus/es/components/menu-item/style/css';
import 'element-plus/es/components/table/style/css';
import 'element-plus/es/components/table-column/style/css';
import 'element-plus/es/components/tag/style/css';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';

const components = [
  ElAside, ElButton, ElConfigProvider, ElContainer, ElDescriptions, ElDescriptionsItem, ElEmpty,
  ElForm, ElFormItem, ElHeader, ElInput, ElMain, ElMenu, ElMenuItem, ElTable, ElTableColumn, ElTag,
];

export function installElements(app) {
  for (const c of components) app.component(c.name, c);
}
