import type { AuditEntry } from '../../domain/audit.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';

/** One completed failover run of a site: what the cooldown and the hourly cap count. */
export interface FailoverRun {
  runId: string;
  actor: string;
  /** ISO time it completed. */
  at: string;
}

export const FAILOVER_RUNS_NS = 'failover-runs';
const NS = FAILOVER_RUNS_NS;
const HOUR_MS = 3_600_000;
/** Runs older than an hour are kept only as the newest one (the cooldown's reference); the record outlives it by a day. */
const TTL_MS = 25 * HOUR_MS;
const WRITE_ATTEMPTS = 5;

/**
 * The runs of a site in the last hour, one entry per run, in their own record: the cooldown and the hourly cap
 * read them, not the audit log, where a run is one entry per route (so a few large runs pushed earlier runs out
 * of any fixed window) and where a given-up audit write made a failover vanish from both guards.
 */
export class FailoverRuns {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Adds a completed run. Written under the run's site lease, so one writer per site; retried on a race. */
  async record(site: string, run: FailoverRun): Promise<void> {
    const { store, clock } = this.deps;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const rec = await store.get<FailoverRun[]>(NS, site);
      const runs = keepRecent([...(rec?.value ?? []), run], clock.now());
      const written = rec
        ? await store.compareAndSet(NS, site, rec.version, runs, TTL_MS)
        : await store.create(NS, site, runs, TTL_MS);
      if (written) return;
    }
    throw new Error(`could not record failover run ${run.runId} of ${site}: the record kept changing`);
  }
}

/**
 * The recorded runs, merged with the audit's "succeeded" entries (a run in either counts once; the audit
 * covers runs from before the record existed), oldest first.
 */
export function mergeRuns(recorded: readonly FailoverRun[], audit: readonly AuditEntry[]): FailoverRun[] {
  const byId = new Map(recorded.map((r) => [r.runId, r]));
  for (const e of audit) {
    if (e.action !== 'failover' || e.event !== 'succeeded') continue;
    const runId = typeof e.detail?.runId === 'string' ? e.detail.runId : `audit:${e.at}`;
    if (!byId.has(runId)) byId.set(runId, { runId, actor: e.actor, at: e.at });
  }
  return [...byId.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The last hour's runs, and always the newest. */
function keepRecent(runs: FailoverRun[], now: number): FailoverRun[] {
  const newest = runs.at(-1);
  const recent = runs.filter((r) => now - Date.parse(r.at) < HOUR_MS);
  return newest && !recent.includes(newest) ? [...recent, newest] : recent;
}
