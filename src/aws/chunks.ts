/** Splits a list into batches of at most `size` (AWS APIs cap ids or queries per call). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** EC2 Describe* filters accept at most 200 values each. */
export const EC2_FILTER_VALUES_MAX = 200;
