/** A value or the reason it could not be had: one failing AWS call makes only its part "unknown, because ...". */
export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const unknown = <T = never>(reason: string): Outcome<T> => ({ ok: false, reason });

/** A short, human reason for a failed call (throttled, access denied, timeout ...). */
export function reasonOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; message?: string; Code?: string };
    const code = e.Code ?? e.name;
    if (code === 'TimeoutError' || code === 'AbortError') return 'the AWS call timed out';
    if (code && /Throttl|RequestLimitExceeded|TooManyRequests/i.test(code))
      return `AWS throttled the call (${code})`;
    if (code && /AccessDenied|UnauthorizedOperation|Unauthorized/i.test(code))
      return `access denied (${code})`;
    if (code && e.message) return `${code}: ${e.message}`;
    if (e.message) return e.message;
  }
  return String(err);
}
