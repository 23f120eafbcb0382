import type { AdvanceRequest, AdvanceResult } from './store.js';

/**
 * Store.advance's rule, for an adapter that reads and writes in one transaction (SQLite); DynamoDB states the
 * same rule as the conditions of its writes (src/aws/dynamo-advance.ts). `stored` is the live record's number,
 * undefined when it holds something else; `live` whether there is a live record at all.
 */
export function decideAdvance(
  live: boolean,
  stored: number | undefined,
  request: AdvanceRequest,
): AdvanceResult {
  const replaced = live && (stored === undefined || stored > request.replaceAbove);
  if (stored !== undefined && !replaced && stored > request.ceiling) return { advanced: false, stored };
  const from = replaced || stored === undefined ? request.floor : Math.max(stored, request.floor);
  return { advanced: true, value: from + request.increment, replaced };
}

/** The number of an advance record's value (`{ n }`), or undefined when the value is anything else. */
export function advanceNumber(value: unknown): number | undefined {
  const n = (value as { n?: unknown } | null)?.n;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
