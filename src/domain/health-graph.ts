import { type AuditEntry, isCompletedFailover } from './audit.js';
import type { ProbePoint } from './observations.js';
import type { Outcome } from './outcome.js';

/** A failover on the graph's time axis. */
export interface FailoverMark {
  at: number;
  from: string | null;
  to: string | null;
  actor: string;
}

/** What the health graph shows, for any renderer (PNG for Slack, SVG for the status page). */
export interface HealthGraph {
  site: string;
  startMs: number;
  endMs: number;
  activeTunnel: string | null;
  /** In topology order; `unknown` says why a tunnel has no points. */
  tunnels: Array<{ name: string; points: ProbePoint[]; unknown?: string }>;
  failovers: FailoverMark[];
}

export const GRAPH_MINUTES = 60;

/**
 * The site's graph over [endMs - minutes, endMs]: each tunnel's series, and one mark per failover run
 * (a run's entries share its request id, or its actor when the controller ran it; the last entry counts).
 */
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
  const failovers: FailoverMark[] = [];
  let lastRun: string | null = null;
  for (const e of input.audit) {
    const at = Date.parse(e.at);
    if (e.site !== input.site || !isCompletedFailover(e) || !(at >= startMs && at <= input.endMs)) continue;
    const run = e.requestId ?? e.actor;
    const mark = { at, from: text(e.detail?.from), to: text(e.detail?.to), actor: e.actor };
    const prev = failovers.at(-1);
    if (prev && run === lastRun && at - prev.at < 60_000) {
      failovers[failovers.length - 1] = { ...mark, from: mark.from ?? prev.from, to: mark.to ?? prev.to };
    } else failovers.push(mark);
    lastRun = run;
  }
  return {
    site: input.site,
    startMs,
    endMs: input.endMs,
    activeTunnel: input.activeTunnel,
    tunnels,
    failovers,
  };
}

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
