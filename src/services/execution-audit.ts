import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';

/**
 * The audit trail and progress messages of one failover or redeploy run.
 * Both are best effort: a full audit table or a Slack outage must not stop (or roll back) a route change,
 * so failures are logged rather than thrown.
 */
export class ExecutionAudit {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly action: string;
  private readonly plan: {
    site: { name: string };
    actor: string;
    requestId?: string;
    onProgress?: (message: string) => Promise<void> | void;
  };

  constructor(props: {
    store: Store;
    clock: Clock;
    log: Logger;
    action: 'failover' | 'redeploy';
    plan: ExecutionAudit['plan'];
  }) {
    this.store = props.store;
    this.clock = props.clock;
    this.log = props.log;
    this.action = props.action;
    this.plan = props.plan;
  }

  async record(event: string, detail: Record<string, unknown>): Promise<void> {
    try {
      await this.store.appendAudit({
        at: new Date(this.clock.now()).toISOString(),
        site: this.plan.site.name,
        action: this.action,
        ...(this.plan.requestId === undefined ? {} : { requestId: this.plan.requestId }),
        actor: this.plan.actor,
        event,
        detail: stripUndefined(detail),
      });
    } catch (err) {
      this.log.error({ err, event }, 'could not write the audit entry');
    }
  }

  async progress(message: string): Promise<void> {
    if (!this.plan.onProgress) return;
    try {
      await this.plan.onProgress(message);
    } catch (err) {
      this.log.warn({ err }, 'progress callback failed');
    }
  }
}

// DynamoDB's marshaller rejects undefined values; JSON would drop them anyway.
function stripUndefined(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined));
}
