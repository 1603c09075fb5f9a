import { setTimeout as delay } from 'node:timers/promises';

/** What `withinDeadline` answers when the deadline came first. */
export const LATE: unique symbol = Symbol('late');

/**
 * `work`'s result if it settles within `ms`, else LATE. A read that asks WeChat (a result page
 * polling an unpaid order, an admin opening an order with refunds in flight) must not be held up by
 * a slow WeChat: the work is not cancelled — it carries on and stores what it learns, and the next
 * read sees it. `work` must not reject (catch and log inside it).
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  const timer = new AbortController();
  try {
    const late: Promise<typeof LATE> = delay(ms, undefined, { signal: timer.signal }).then(
      () => LATE,
      () => LATE,
    );
    return await Promise.race([work, late]);
  } finally {
    timer.abort();
  }
}
