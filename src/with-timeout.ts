/**
 * Rejects with a TimeoutError when the promise has not settled within `ms` (the promise itself runs on;
 * its late result is ignored). The timer does not keep the process alive.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'no answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} within ${ms / 1000} s`);
      err.name = 'TimeoutError';
      reject(err);
    }, ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
