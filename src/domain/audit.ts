/** One audit log entry: who did what to which site, and what came of it. */
export interface AuditEntry {
  /** ISO time. */
  at: string;
  site: string;
  action: string;
  requestId?: string;
  /** Slack user id, "controller", "github:<login>" ... */
  actor: string;
  event: string;
  detail?: Record<string, unknown>;
}

/**
 * How long the audit log keeps an entry: a year, so last year's incidents can still be read. DynamoDB drops
 * older entries by TTL; the SQLite store purges them.
 */
export const AUDIT_RETENTION_MS = 365 * 24 * 3_600_000;

/** A failover that moved routes. Tolerant: other features write these entries; accept the spellings they may use. */
export function isCompletedFailover(e: AuditEntry): boolean {
  const action = String(e.action ?? '').toLowerCase();
  const event = String(e.event ?? '').toLowerCase();
  return action.startsWith('failover') && /^(succeeded|routes[-_ ]changed|completed|done)$/.test(event);
}

/** One failover run as people think of it: when, which site, from and to which tunnel, who. */
export interface FailoverRun {
  at: number;
  site: string;
  from: string | null;
  to: string | null;
  actor: string;
}

/**
 * Completed failovers, one per run, oldest first: a run's entries (each route changed, then "succeeded")
 * share its run id (older entries: its request id, or its actor when the controller ran it); the last counts.
 */
export function failoverRuns(entries: readonly AuditEntry[]): FailoverRun[] {
  const runs: FailoverRun[] = [];
  const lastKey = new Map<string, { key: string; index: number }>();
  for (const e of entries) {
    if (!isCompletedFailover(e)) continue;
    const at = Date.parse(e.at);
    if (Number.isNaN(at)) continue;
    const runId = e.detail?.runId;
    const key = typeof runId === 'string' ? runId : (e.requestId ?? e.actor);
    const run = { at, site: e.site, from: text(e.detail?.from), to: text(e.detail?.to), actor: e.actor };
    const prev = lastKey.get(e.site);
    const prevRun = prev ? runs[prev.index] : undefined;
    if (prev && prevRun && prev.key === key && at - prevRun.at < RUN_GAP_MS) {
      runs[prev.index] = { ...run, from: run.from ?? prevRun.from, to: run.to ?? prevRun.to };
    } else {
      runs.push(run);
      lastKey.set(e.site, { key, index: runs.length - 1 });
    }
  }
  return runs;
}

/** Entries of one run are seconds apart; a new run by the same actor comes minutes later (cooldown). */
const RUN_GAP_MS = 60_000;
const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
