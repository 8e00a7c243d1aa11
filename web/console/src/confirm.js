// Every decision asks first: confirm() for an approval, reason() for a rejection or refund (a
// reason is required, the user sees it). Both resolve null when the operator cancels.
import { ElMessageBox } from 'element-plus';
import { i18n } from './i18n.js';

const t = (k, p) => i18n.global.t(k, p);

export async function confirm(message, title) {
  try {
    await ElMessageBox.confirm(message, title, { confirmButtonText: t('common.confirm'), cancelButtonText: t('common.cancel'), type: 'warning' });
    return true;
  } catch {
    return null;
  }
}

export async function reason(message, title) {
  try {
    const { value } = await ElMessageBox.prompt(message, title, {
      confirmButtonText: t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      inputPlaceholder: t('common.reason'),
      inputValidator: (v) => (v && v.trim().length > 0 ? true : t('common.reasonNeeded')),
      type: 'warning',
    });
    return value.trim();
  } catch {
    return null;
  }
}

// The amount received by bank transfer, in yuan, as fen (null when cancelled).
export async function receivedAmount(message, title, expectedFen) {
  try {
    const { value } = await ElMessageBox.prompt(message, title, {
      confirmButtonText: t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      inputValue: (expectedFen / 100).toFixed(2),
      inputPattern: /^[0-9]+(\.[0-9]{1,2})?$/,
      inputErrorMessage: t('orders.badAmount'),
      type: 'warning',
    });
    return Math.round(Number(value) * 100);
  } catch {
    return null;
  }
}
