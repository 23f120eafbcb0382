import {
  type ApprovalEvent,
  type ApprovalRequest,
  isDue,
  type Transition,
  transition,
} from '../../domain/approval.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { Store, Versioned } from '../../ports/store.js';
import type { ApprovalNotifier } from './approval-notifier.js';
import type { ApprovalStore } from './approval-store.js';

/** A decision on a stored request: the request as it now is, or the refusal (data; the views word it). */
export type DecisionOutcome = Transition;

/** The audit entry a transition is stored with (same transaction): its event, who, and details of the result. */
export interface TransitionAudit {
  event: string;
  actor: string;
  detail?: (next: ApprovalRequest) => Record<string, unknown>;
}

/** Actor of the transitions nobody clicked (expiry, reconciliation). */
export const SYSTEM_ACTOR = 'tunnelops';

/**
 * Applies state-machine events to stored requests, each with compare-and-set: when someone else wrote first,
 * re-read and decide again (which usually turns into a refusal naming who won). Writes the audit trail.
 */
export class ApprovalTransitions {
  constructor(
    private readonly deps: {
      requests: ApprovalStore;
      notifier: ApprovalNotifier;
      store: Store;
      clock: Clock;
      log: Logger;
    },
  ) {}

  async step(
    id: string,
    event: ApprovalEvent,
    first?: Versioned<ApprovalRequest>,
    audit?: TransitionAudit,
  ): Promise<DecisionOutcome> {
    const outcome = await this.apply(id, (r) => transition(r, event), first, audit);
    // An approval refused because time ran out: mark it expired now rather than wait for the sweep.
    if (!outcome.ok && event.kind === 'approve') {
      const rec = await this.deps.requests.get(id);
      if (rec && isDue(rec.value, event.now)) await this.expire(rec);
    }
    return outcome;
  }

  async apply(
    id: string,
    decide: (r: ApprovalRequest) => DecisionOutcome,
    first?: Versioned<ApprovalRequest>,
    audit?: TransitionAudit,
  ): Promise<DecisionOutcome> {
    let rec = first ?? (await this.deps.requests.get(id));
    for (let attempt = 0; attempt < 10 && rec; attempt++) {
      const next = decide(rec.value);
      if (!next.ok) return next;
      const entry =
        audit && this.entry(next.request, audit.event, audit.actor, audit.detail?.(next.request) ?? {});
      if (await this.deps.requests.compareAndSet(rec.version, next.request, entry)) return next;
      rec = await this.deps.requests.get(id);
    }
    return { ok: false, refusal: { code: rec ? 'contended' : 'not-found', id } };
  }

  /** Marks a pending request past its time as expired (audited, message updated). True when this call did. */
  async expire(rec: Versioned<ApprovalRequest>): Promise<boolean> {
    const now = this.deps.clock.now();
    const expired = await this.apply(rec.value.id, (r) => transition(r, { kind: 'expire', now }), rec, {
      event: 'expired',
      actor: SYSTEM_ACTOR,
      detail: (r) => ({ waitedMs: now - r.createdAt }),
    });
    if (!expired.ok) return false;
    await this.deps.notifier.update(expired.request);
    return true;
  }

  /** Best effort, for entries that belong to no transition: a failed write must not undo what happened. */
  async audit(
    r: ApprovalRequest,
    event: string,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.deps.store.appendAudit(this.entry(r, event, actor, detail));
    } catch (err) {
      this.deps.log.error({ err, requestId: r.id, event }, 'could not write the audit entry');
    }
  }

  private entry(
    r: ApprovalRequest,
    event: string,
    actor: string,
    detail: Record<string, unknown>,
  ): AuditEntry {
    return {
      at: new Date(this.deps.clock.now()).toISOString(),
      site: r.site,
      action: r.action,
      requestId: r.id,
      actor,
      event,
      detail: Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined)),
    };
  }
}
