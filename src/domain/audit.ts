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
