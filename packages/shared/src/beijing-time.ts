/**
 * Beijing time (Asia/Shanghai), the clock of the shop's day, its order numbers and WeChat Pay's
 * times. China keeps one offset all year (no daylight saving): Beijing time is UTC+8.
 */
export const BEIJING_OFFSET_MS = 8 * 3600_000;

/** `YYYY-MM-DDTHH:mm:ss` as a Beijing wall clock shows the instant `at`. */
export function beijingWallClock(at: Date): string {
  return new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19);
}

/** `YYYYMMDDHHmmss` in Beijing time: the time part of order and refund numbers. */
export function beijingStamp(at: Date): string {
  return beijingWallClock(at).replace(/[-T:]/g, '');
}

/** The hour (0-23) a Beijing clock shows at `at`. */
export function beijingHour(at: Date): number {
  return new Date(at.getTime() + BEIJING_OFFSET_MS).getUTCHours();
}

/** YYYY-MM-DD of the Asia/Shanghai day containing `at`. */
export function shanghaiDate(at: Date): string {
  return beijingWallClock(at).slice(0, 10);
}

/** The instant an Asia/Shanghai day (YYYY-MM-DD) begins. */
export function shanghaiDayStart(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00+08:00`));
}

/** RFC 3339 in China Standard Time, as WeChat Pay writes and wants times: 2015-05-20T13:29:35+08:00. */
export function toRfc3339Beijing(at: Date): string {
  return `${beijingWallClock(at)}+08:00`;
}

/** The Asia/Shanghai date `days` after (negative: before) `date`, both YYYY-MM-DD. */
export function shiftShanghaiDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
