import type { AuditEntry } from '../../domain/audit.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { withTimeout } from '../../with-timeout.js';

/** A hung Slack call is abandoned after this long; the next (newest) message goes out instead. */
export const PROGRESS_TIMEOUT_MS = 10_000;
/** One audit write may take this long before it is retried. */
const AUDIT_WRITE_TIMEOUT_MS = 5_000;
const AUDIT_ATTEMPTS = 3;
/** After the routes moved and the lease is released, the run waits this long for its last progress lines. */
export const PROGRESS_SETTLE_MS = 1500;

/**
 * The audit trail and progress messages of one failover or redeploy run, kept off the path that moves routes.
 * Audit entries are stamped when recorded and written in order by a background queue (retried; a write that
 * still fails is logged with the whole entry, so it is in the logs if not in the store); `flush()` waits for
 * them. Progress messages are fire-and-forget: one in flight at a time, each bounded by a timeout, and while
 * one is in flight only the newest waiting message is kept (a stalled Slack sees 2 messages, not 12).
 */
export class ExecutionAudit {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly action: string;
  private readonly runId: string | undefined;
  private readonly progressTimeoutMs: number;
  private readonly plan: {
    site: { name: string };
    actor: string;
    requestId?: string;
    onProgress?: (message: string) => Promise<void> | void;
  };
  private writes: Promise<void> = Promise.resolve();
  private sending: Promise<void> | null = null;
  private waiting: { message: string; done: Array<() => void> } | null = null;
  private closed = false;

  constructor(props: {
    store: Store;
    clock: Clock;
    log: Logger;
    action: 'failover' | 'redeploy' | 'rotate';
    plan: ExecutionAudit['plan'];
    /** Put on every entry's detail, so a later run can tell whose (interrupted) run an entry belongs to. */
    runId?: string;
    progressTimeoutMs?: number;
  }) {
    this.store = props.store;
    this.clock = props.clock;
    this.log = props.log;
    this.action = props.action;
    this.plan = props.plan;
    this.runId = props.runId;
    this.progressTimeoutMs = props.progressTimeoutMs ?? PROGRESS_TIMEOUT_MS;
  }

  /** Queues an entry stamped now; resolves once it is written (or given up on). Never rejects. */
  record(event: string, detail: Record<string, unknown>): Promise<void> {
    const entry: AuditEntry = {
      at: new Date(this.clock.now()).toISOString(),
      site: this.plan.site.name,
      action: this.action,
      ...(this.plan.requestId === undefined ? {} : { requestId: this.plan.requestId }),
      actor: this.plan.actor,
      event,
      detail: stripUndefined(this.runId ? { runId: this.runId, ...detail } : detail),
    };
    this.writes = this.writes.then(() => this.write(entry));
    return this.writes;
  }

  /** Resolves when every entry recorded so far is written (or given up on). */
  flush(): Promise<void> {
    return this.writes;
  }

  /**
   * Queues a progress message; resolves once it was sent, failed, timed out or was superseded by a newer one.
   * Never rejects; callers on the route path do not await it.
   */
  progress(message: string): Promise<void> {
    if (!this.plan.onProgress || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.waiting) {
        // Coalesce: the older waiting message is dropped, and whoever waited on it is released now.
        this.waiting.message = message;
        this.waiting.done.push(resolve);
      } else {
        this.waiting = { message, done: [resolve] };
      }
      if (!this.sending) this.sending = this.drain();
    });
  }

  /**
   * Waits up to `ms` for the queued progress lines (the run is over: its result should come after them), then
   * drops what is left, so a line that arrives late cannot overwrite the result shown after the run.
   */
  async settleProgress(ms: number): Promise<void> {
    const sending = this.sending;
    if (sending) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sending, new Promise((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    }
    this.closed = true;
    if (this.waiting) {
      this.log.warn({ dropped: this.waiting.message }, 'progress still stalled after the run; dropped');
      for (const d of this.waiting.done) d();
      this.waiting = null;
    }
  }

  private async drain(): Promise<void> {
    while (this.waiting && !this.closed) {
      const { message, done } = this.waiting;
      this.waiting = null;
      try {
        await withTimeout(
          Promise.resolve().then(() => this.plan.onProgress?.(message)),
          this.progressTimeoutMs,
          'progress update: no answer',
        );
      } catch (err) {
        this.log.warn({ err }, 'progress update failed or timed out; moving on');
      }
      for (const d of done) d();
    }
    this.sending = null;
  }

  private async write(entry: AuditEntry): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await withTimeout(this.store.appendAudit(entry), AUDIT_WRITE_TIMEOUT_MS, 'audit write: no answer');
        return;
      } catch (err) {
        if (attempt >= AUDIT_ATTEMPTS) {
          this.log.error({ err, entry }, 'could not write the audit entry');
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}

// DynamoDB's marshaller rejects undefined values; JSON would drop them anyway.
function stripUndefined(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined));
}
