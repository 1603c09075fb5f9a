import type { Order } from '@uni-checkout/shared';
import { onUnmounted, ref, watch, type Ref } from 'vue';

/** "29:59" (or "1:02:03" past an hour); never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/**
 * Why a closed order closed: a shopper's cancel comes before the payment deadline, the expiry
 * close (WeChat takes no payment after time_expire = expiresAt) at or after it.
 */
export function closeReason(order: Pick<Order, 'status' | 'closedAt' | 'expiresAt'>): string | null {
  if (order.status !== 'CLOSED' || !order.closedAt) return null;
  return Date.parse(order.closedAt) < Date.parse(order.expiresAt) ? '你已取消订单' : '超时未支付，订单已自动关闭';
}

/**
 * Milliseconds left until `deadline` (ISO time or null), ticking every second while a deadline is
 * set; `onZero` runs once when it runs out (and again for a new deadline).
 */
export function useCountdown(deadline: Ref<string | null>, onZero: () => void, now: () => number = Date.now) {
  const left = ref(0);
  let timer: ReturnType<typeof setInterval> | null = null;
  let fired = false;

  function tick(): void {
    if (!deadline.value) return;
    left.value = Math.max(0, Date.parse(deadline.value) - now());
    if (left.value === 0 && !fired) {
      fired = true;
      stop();
      onZero();
    }
  }
  function stop(): void {
    if (timer) clearInterval(timer);
    timer = null;
  }

  watch(
    deadline,
    (value) => {
      stop();
      fired = false;
      if (!value) return;
      tick();
      if (!fired) timer = setInterval(tick, 1000);
    },
    { immediate: true },
  );
  onUnmounted(stop);
  return { left, stop };
}
