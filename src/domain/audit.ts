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

/** A failover that moved routes. Tolerant: other features write these entries; accept the spellings they may use. */
export function isCompletedFailover(e: AuditEntry): boolean {
  const action = String(e.action ?? '').toLowerCase();
  const event = String(e.event ?? '').toLowerCase();
  return action.startsWith('failover') && /^(succeeded|routes[-_ ]changed|completed|done)$/.test(event);
}
