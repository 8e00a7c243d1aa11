// The live seal preview (POST /api/v1/seal-previews, stores nothing): `refresh()` asks again a
// moment after the last change for what `spec()` returns ({kind, design}, or null when the
// design is not ready yet); `url` is an object URL of the PNG, released when replaced and when
// the page goes. Shared by the personal purchase and the organisation wizard.
import { onBeforeUnmount, ref } from 'vue';
import * as certApi from '@shared/api/certificates.js';

export function useSealPreview(spec, delayMs = 250) {
  const url = ref('');
  const error = ref(null);
  let timer = null;
  const release = () => {
    if (url.value) URL.revokeObjectURL(url.value);
    url.value = '';
  };
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const s = spec();
      if (!s) {
        release();
        return;
      }
      try {
        const blob = await certApi.sealPreview(s);
        release();
        url.value = URL.createObjectURL(blob);
        error.value = null;
      } catch (e) {
        release();
        error.value = e;
      }
    }, delayMs);
  }
  onBeforeUnmount(() => {
    clearTimeout(timer);
    release();
  });
  return { url, error, refresh };
}
