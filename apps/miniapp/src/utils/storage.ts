/** uni storage that never throws: a full or unavailable storage (private browsing) only loses persistence. */
export function readStored(key: string): unknown {
  try {
    const value: unknown = uni.getStorageSync(key);
    return value === '' ? null : value;
  } catch {
    return null;
  }
}

export function writeStored(key: string, value: unknown): void {
  try {
    if (value === null || value === undefined) uni.removeStorageSync(key);
    else uni.setStorageSync(key, value);
  } catch {
    // The state still works until the app restarts.
  }
}
