import type { ProbeTarget } from '../config/topology-schema.js';

/** One probe of one on-prem target through this tunnel. */
export interface ProbeResult {
  /** "icmp:10.20.0.10" or "tcp:10.20.0.11:443". */
  target: string;
  ok: boolean;
  /** Round-trip (ICMP) or connect (TCP) time in ms; null when the probe failed. */
  rttMs: number | null;
  /** Why the probe failed (timeout, refused, unreachable ...). */
  error?: string;
}

/** Probes one target; never throws (a failure is a result with ok=false). */
export type Prober = (target: ProbeTarget) => Promise<ProbeResult>;

export const targetLabel = (t: ProbeTarget): string =>
  t.kind === 'icmp' ? `icmp:${t.host}` : `tcp:${t.host}:${t.port}`;

/** Routes each target to the prober of its kind. */
export function byKind(probers: { icmp: Prober; tcp: Prober }): Prober {
  return (target) => (target.kind === 'icmp' ? probers.icmp(target) : probers.tcp(target));
}
