// Field-level errors from a problem+json answer (ApiError.fields) for a Vant form, and a toast
// for the rest.
import { reactive } from 'vue';
import { showFailToast } from '../vant.js';
import { errorText } from '../i18n.js';

export function useApiForm() {
  const errors = reactive({});
  function clear() {
    for (const k of Object.keys(errors)) delete errors[k];
  }
  async function run(fn) {
    clear();
    try {
      return await fn();
    } catch (e) {
      if (e?.fields?.length) {
        // Our text for the field's stable code when we have one, else the server's detail.
        for (const f of e.fields) errors[f.field] = errorText({ code: f.code, message: f.detail });
      }
      showFailToast({ message: errorText(e), wordBreak: 'break-word' });
      throw e;
    }
  }
  return { errors, run, clear };
}
