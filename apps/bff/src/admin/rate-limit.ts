/**
 * An in-memory sliding-window counter (per process). Good enough for admin login: an attacker
 * spreading attempts over several BFF processes still meets the per-account lock in the database.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt for every key; answers how long to wait (ms) when any key is over its limit. */
  take(keys: string[]): { allowed: true; at: number } | { allowed: false; retryAfterMs: number } {
    const t = this.now();
    let retryAfterMs = 0;
    for (const key of keys) {
      const recent = this.recent(key, t);
      if (recent.length >= this.limit) retryAfterMs = Math.max(retryAfterMs, recent[0]! + this.windowMs - t);
    }
    if (retryAfterMs > 0) return { allowed: false, retryAfterMs };
    for (const key of keys) this.recent(key, t).push(t);
    this.sweep(t);
    return { allowed: true, at: t };
  }

  /** Gives back the attempt counted at `at` (a successful login does not use up the allowance). */
  release(keys: string[], at: number): void {
    for (const key of keys) {
      const list = this.hits.get(key);
      const i = list?.lastIndexOf(at) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    }
  }

  private recent(key: string, t: number): number[] {
    let list = this.hits.get(key);
    if (!list) {
      list = [];
      this.hits.set(key, list);
    }
    while (list.length && list[0]! <= t - this.windowMs) list.shift();
    return list;
  }

  // keeps memory bounded under a flood of distinct keys
  private sweep(t: number) {
    if (this.hits.size < 10_000) return;
    for (const [key, list] of this.hits)
      if (!list.length || list[list.length - 1]! <= t - this.windowMs) this.hits.delete(key);
  }
}
