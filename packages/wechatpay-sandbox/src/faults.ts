import { z } from 'zod';

/**
 * Faults a developer can switch on at run time, from the library or over `POST /sandbox/faults`.
 * Counters ("next N") are consumed as the sandbox meets the matching event.
 */
export const faultConfigSchema = z
  .object({
    /** The next N notifications are lost: never delivered, never retried. */
    dropNotifications: z.number().int().min(0).max(10_000),
    /** Each notification is delivered this many extra times. */
    duplicateNotifications: z.number().int().min(0).max(100),
    /** Send the duplicates at the same moment as the original (true) or one after another (false). */
    duplicateConcurrently: z.boolean(),
    /** Extra delay before a notification's first attempt, in ms (not scaled). */
    notificationDelayMs: z.number().int().min(0).max(3_600_000),
    /** Hold notifications until this many are queued, then deliver them newest first (0/1: off). */
    reorderNotifications: z.number().int().min(0).max(1000),
    /** The next N notifications carry a signature that does not verify. */
    corruptNotificationSignatures: z.number().int().min(0).max(10_000),
    /** The next N API calls (optionally only under pathPrefix) fail this way. */
    failApi: z
      .object({
        count: z.number().int().min(0).max(10_000),
        mode: z.enum(['500', '429', 'timeout']),
        pathPrefix: z.string().startsWith('/').optional(),
        /** For mode "timeout": how long the connection hangs before it is cut. */
        timeoutMs: z.number().int().min(1).max(600_000).optional(),
      })
      .nullable(),
    /** Before each of the next N notifications, WeChat's signature probe (WECHATPAY/SIGNTEST/…) goes to its notify_url. */
    signatureProbes: z.number().int().min(0).max(10_000),
    /** The next N API responses carry a signature that does not verify. */
    corruptResponseSignatures: z.number().int().min(0).max(10_000),
    /** Refunds are refused with 403 NOT_ENOUGH (the merchant's balance cannot cover them). */
    refundBalanceInsufficient: z.boolean(),
    /** Outcomes for the next refunds, consumed one per refund; SUCCESS when empty. */
    refundOutcomes: z.array(z.enum(['SUCCESS', 'ABNORMAL', 'CLOSED'])).max(1000),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export const faultPatchSchema = faultConfigSchema.partial().strict();
export type FaultPatch = z.infer<typeof faultPatchSchema>;

export function defaultFaults(): FaultConfig {
  return {
    dropNotifications: 0,
    duplicateNotifications: 0,
    duplicateConcurrently: false,
    notificationDelayMs: 0,
    reorderNotifications: 0,
    corruptNotificationSignatures: 0,
    failApi: null,
    corruptResponseSignatures: 0,
    signatureProbes: 0,
    refundBalanceInsufficient: false,
    refundOutcomes: [],
  };
}

export class Faults {
  private config: FaultConfig = defaultFaults();
  private readonly listeners = new Set<() => void>();

  /** Merges a partial configuration; throws a ZodError on bad input. */
  set(patch: FaultPatch): FaultConfig {
    const parsed = faultPatchSchema.parse(patch);
    this.config = { ...this.config, ...parsed } as FaultConfig;
    this.emit();
    return this.get();
  }

  reset(): FaultConfig {
    this.config = defaultFaults();
    this.emit();
    return this.get();
  }

  get(): FaultConfig {
    return structuredClone(this.config);
  }

  /** @internal */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal consumes one "drop" if any is pending. */
  takeDrop(): boolean {
    if (this.config.dropNotifications <= 0) return false;
    this.config.dropNotifications -= 1;
    return true;
  }

  /** @internal */
  takeCorruptNotification(): boolean {
    if (this.config.corruptNotificationSignatures <= 0) return false;
    this.config.corruptNotificationSignatures -= 1;
    return true;
  }

  /** @internal */
  takeSignatureProbe(): boolean {
    if (this.config.signatureProbes <= 0) return false;
    this.config.signatureProbes -= 1;
    return true;
  }

  /** @internal */
  takeCorruptResponse(): boolean {
    if (this.config.corruptResponseSignatures <= 0) return false;
    this.config.corruptResponseSignatures -= 1;
    return true;
  }

  /** @internal consumes one API failure matching this path, if any. */
  takeApiFailure(path: string): { mode: '500' | '429' | 'timeout'; timeoutMs: number } | null {
    const f = this.config.failApi;
    if (!f || f.count <= 0) return null;
    if (f.pathPrefix && !path.startsWith(f.pathPrefix)) return null;
    f.count -= 1;
    const out = { mode: f.mode, timeoutMs: f.timeoutMs ?? 30_000 };
    if (f.count === 0) this.config.failApi = null;
    return out;
  }

  /** @internal */
  takeRefundOutcome(): 'SUCCESS' | 'ABNORMAL' | 'CLOSED' {
    return this.config.refundOutcomes.shift() ?? 'SUCCESS';
  }

  /** @internal */
  peek(): Readonly<FaultConfig> {
    return this.config;
  }

  private emit() {
    for (const l of this.listeners) l();
  }
}
