// The "send code" button: sends, then counts 60 s down before it may send again.
import { computed, onBeforeUnmount, ref } from 'vue';

export function useSmsCountdown(send, seconds = 60) {
  const left = ref(0);
  const sending = ref(false);
  let timer = null;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  async function start() {
    if (left.value > 0 || sending.value) return;
    sending.value = true;
    try {
      await send();
      left.value = seconds;
      timer = setInterval(() => {
        left.value -= 1;
        if (left.value <= 0) stop();
      }, 1000);
    } finally {
      sending.value = false;
    }
  }
  onBeforeUnmount(stop);
  return { left, sending, start, disabled: computed(() => left.value > 0 || sending.value) };
}
