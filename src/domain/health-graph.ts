import { type AuditEntry, type FailoverRun, failoverRuns } from './audit.js';
import type { ProbePoint } from './observations.js';
import type { Outcome } from './outcome.js';

/** What the health graph shows, for any renderer (PNG for Slack, SVG for the status page). */
export interface HealthGraph {
  site: string;
  startMs: number;
  endMs: number;
  activeTunnel: string | null;
  /** In topology order; `unknown` says why a tunnel has no points. */
  tunnels: Array<{ name: string; points: ProbePoint[]; unknown?: string }>;
  failovers: FailoverRun[];
}

export const GRAPH_MINUTES = 60;

/** The site's graph over [endMs - minutes, endMs]: each tunnel's series, and one mark per failover run. */
export function healthGraphOf(input: {
  site: string;
  activeTunnel: string | null;
  tunnels: readonly string[];
  series: ReadonlyMap<string, Outcome<ProbePoint[]>>;
  audit: readonly AuditEntry[];
  endMs: number;
  minutes?: number;
}): HealthGraph {
  const startMs = input.endMs - (input.minutes ?? GRAPH_MINUTES) * 60_000;
  const tunnels = input.tunnels.map((name) => {
    const s = input.series.get(name);
    if (!s) return { name, points: [], unknown: 'no probe data' };
    if (!s.ok) return { name, points: [], unknown: s.reason };
    return { name, points: s.value.filter((p) => p.at >= startMs && p.at <= input.endMs) };
  });
  const failovers = failoverRuns(input.audit.filter((e) => e.site === input.site)).filter(
    (f) => f.at >= startMs && f.at <= input.endMs,
  );
  return {
    site: input.site,
    startMs,
    endMs: input.endMs,
    activeTunnel: input.activeTunnel,
    tunnels,
    failovers,
  };
}
