import { randomBytes } from 'node:crypto';
import type { Site, Topology } from '../config/topology-schema.js';
import {
  type ApprovalAction,
  type ApprovalEvent,
  type ApprovalRequest,
  isDue,
  requestId,
  transition,
} from '../domain/approval.js';
import { findSite } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { RouteTables } from '../ports/route-tables.js';
import type { Store, Versioned } from '../ports/store.js';
import { EXECUTION_LEASE_MS, reconcileAbandoned, runApproved } from './approval-execution.js';
import { ApprovalNotifier } from './approval-notifier.js';
import { requestChecks } from './approval-request-checks.js';
import { ApprovalStore } from './approval-store.js';
import { Approvers } from './approvers.js';
import type { FailoverExecutor, TargetCheck } from './failover-executor.js';
import type { RedeployExecutor } from './redeploy-executor.js';

export interface ApprovalServiceProps {
  topology: Topology;
  store: Store;
  chat: Chat;
  clock: Clock;
  log: Logger;
  failover: FailoverExecutor;
  redeploy: RedeployExecutor;
  routeTables: RouteTables;
  /** Target health at request time, shown as evidence (the executor enforces it at run time). */
  checkTarget?: TargetCheck;
  random?: (size: number) => Uint8Array;
}

export interface RequestInput {
  action: ApprovalAction;
  site: string;
  /** Slack user id, or "controller" for the automatic controller in propose mode. */
  requester: string;
  to?: string;
  tunnel?: string;
  force?: boolean;
  reason?: string;
  evidence?: string[];
}

export type RequestOutcome =
  | { ok: true; created: boolean; request: ApprovalRequest }
  | { ok: false; reason: string };
export type DecisionOutcome = { ok: true; request: ApprovalRequest } | { ok: false; reason: string };

/**
 * The two-person approval workflow. Every state change is a compare-and-set on the stored request, so a
 * double click, a retried Slack delivery or two approvers at once run the action exactly once; every change
 * is audited and mirrored into the request's Slack message.
 */
export class ApprovalService {
  private readonly requests: ApprovalStore;
  private readonly approvers: Approvers;
  private readonly notifier: ApprovalNotifier;
  private readonly random: (size: number) => Uint8Array;

  constructor(private readonly props: ApprovalServiceProps) {
    this.requests = new ApprovalStore(props.store);
    this.approvers = new Approvers(props);
    this.notifier = new ApprovalNotifier(props);
    this.random = props.random ?? ((n) => randomBytes(n));
  }

  get store(): ApprovalStore {
    return this.requests;
  }

  async request(input: RequestInput): Promise<RequestOutcome> {
    const site = findSite(this.props.topology, input.site);
    if (!site) return { ok: false, reason: `Unknown site "${input.site}". Sites: ${this.siteNames()}.` };
    const open = await this.requests.openFor(site.name, input.action);
    if (open) return { ok: true, created: false, request: open };
    const checked = await requestChecks(site, input, this.props);
    if (!checked.ok) return checked;
    const now = this.props.clock.now();
    const draft: ApprovalRequest = {
      id: requestId(input.action, this.random(6)),
      action: input.action,
      site: site.name,
      requester: input.requester,
      ...(checked.to ? { to: checked.to } : {}),
      ...(input.action === 'redeploy' ? { tunnel: input.tunnel, force: input.force ?? false } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
      evidence: [...(input.evidence ?? []), ...checked.evidence],
      state: 'pending',
      createdAt: now,
      expiresAt: now + site.approvalExpiryMinutes * 60_000,
    };
    const created = await this.requests.create(draft);
    if (!created.created) return { ok: true, created: false, request: created.existing };
    await this.audit(draft, 'requested', draft.requester, {
      reason: draft.reason,
      to: draft.to,
      tunnel: draft.tunnel,
      force: draft.force,
      expiresAt: new Date(draft.expiresAt).toISOString(),
    });
    const ref = await this.notifier.post(draft, site.slackChannel);
    if (!ref) return { ok: true, created: true, request: draft };
    // A click can land before the ref is saved; retry the CAS on top of whatever changed meanwhile.
    const saved = await this.apply(draft.id, (r) => ({ ok: true, request: { ...r, message: ref } }));
    return { ok: true, created: true, request: saved.ok ? saved.request : { ...draft, message: ref } };
  }

  /** Approves and, on success, runs the action; resolves with the final request once it has run. */
  async approve(id: string, user: string): Promise<DecisionOutcome> {
    const rec = await this.requests.get(id);
    if (!rec) return { ok: false, reason: `No request ${id}.` };
    const site = this.siteOf(rec.value);
    const isApprover = site ? await this.approvers.isApprover(site, user) : false;
    const approved = await this.step(id, { kind: 'approve', user, isApprover, now: this.props.clock.now() });
    if (!approved.ok || !site) return approved;
    const a = approved.request;
    await this.audit(a, 'approved', user, {
      requester: a.requester,
      waitedMs: (a.approvedAt ?? 0) - a.createdAt,
    });
    await this.notifier.update(a);
    return this.execute(a, site);
  }

  async deny(id: string, user: string, reason: string): Promise<DecisionOutcome> {
    const rec = await this.requests.get(id);
    if (!rec) return { ok: false, reason: `No request ${id}.` };
    const site = this.siteOf(rec.value);
    const isApprover = site ? await this.approvers.isApprover(site, user) : false;
    const denied = await this.step(id, {
      kind: 'deny',
      user,
      isApprover,
      reason,
      now: this.props.clock.now(),
    });
    if (denied.ok) {
      await this.audit(denied.request, 'denied', user, {
        reason,
        waitedMs: this.props.clock.now() - denied.request.createdAt,
      });
      await this.notifier.update(denied.request);
    }
    return denied;
  }

  /** Whether `user` may deny right now (checked before the reason modal opens); changes nothing. */
  async checkDeny(id: string, user: string): Promise<DecisionOutcome> {
    const rec = await this.requests.get(id);
    if (!rec) return { ok: false, reason: `No request ${id}.` };
    const site = this.siteOf(rec.value);
    const isApprover = site ? await this.approvers.isApprover(site, user) : false;
    return transition(rec.value, { kind: 'deny', user, isApprover, reason: '', now: this.props.clock.now() });
  }

  async cancel(id: string, user: string): Promise<DecisionOutcome> {
    const cancelled = await this.step(id, { kind: 'cancel', user, now: this.props.clock.now() });
    if (cancelled.ok) {
      await this.audit(cancelled.request, 'cancelled', user, {});
      await this.notifier.update(cancelled.request);
    }
    return cancelled;
  }

  async get(id: string): Promise<ApprovalRequest | null> {
    return (await this.requests.get(id))?.value ?? null;
  }

  /**
   * The sweep: expires pending requests past their time, and closes runs abandoned by a dead process
   * (lease over) from what the route tables show. Safe to run in several processes at once (CAS).
   */
  async expireDue(): Promise<number> {
    let closed = 0;
    const now = this.props.clock.now();
    for (const rec of await this.requests.listOpen()) {
      const r = rec.value;
      if (isDue(r, now)) {
        const expired = await this.step(r.id, { kind: 'expire', now });
        if (!expired.ok) continue;
        await this.audit(expired.request, 'expired', 'tunnelops', { waitedMs: now - r.createdAt });
        await this.notifier.update(expired.request);
        closed++;
      } else if (this.abandoned(r, now)) {
        const site = this.siteOf(r);
        const result = site
          ? await reconcileAbandoned(r, site, this.props.routeTables)
          : { ok: false, summary: `Site ${r.site} is no longer in the topology.` };
        const done = await this.step(r.id, { kind: 'finish', result, now }, rec);
        if (!done.ok) continue;
        await this.audit(done.request, 'reconciled', 'tunnelops', {
          outcome: done.request.state,
          summary: result.summary,
        });
        await this.notifier.update(done.request);
        closed++;
      }
    }
    return closed;
  }

  private abandoned(r: ApprovalRequest, now: number): boolean {
    if (r.state === 'executing') return (r.leaseUntil ?? 0) <= now;
    if (r.state === 'approved') return (r.approvedAt ?? 0) + EXECUTION_LEASE_MS[r.action] <= now;
    return false;
  }

  private async execute(a: ApprovalRequest, site: Site): Promise<DecisionOutcome> {
    const started = await this.step(a.id, {
      kind: 'start',
      now: this.props.clock.now(),
      leaseMs: EXECUTION_LEASE_MS[a.action],
    });
    if (!started.ok) return started;
    let current = started.request;
    await this.notifier.update(current);
    const result = await runApproved(current, site, this.props, (line) =>
      this.notifier.addProgress(current, line),
    );
    const finished = await this.step(a.id, { kind: 'finish', result, now: this.props.clock.now() });
    if (!finished.ok) {
      this.props.log.warn(
        { requestId: a.id, reason: finished.reason },
        'could not record the result of a run',
      );
      return { ok: true, request: { ...current, result } };
    }
    current = finished.request;
    await this.notifier.update(current);
    return { ok: true, request: current };
  }

  /** Applies one state-machine event with compare-and-set, re-reading and re-deciding when someone else wrote first. */
  private async step(
    id: string,
    event: ApprovalEvent,
    first?: Versioned<ApprovalRequest>,
  ): Promise<DecisionOutcome> {
    const outcome = await this.apply(id, (r) => transition(r, event), first);
    // An approval refused because time ran out: mark it expired now rather than wait for the sweep.
    if (!outcome.ok && event.kind === 'approve') {
      const rec = await this.requests.get(id);
      if (rec && isDue(rec.value, event.now)) await this.expireOne(rec);
    }
    return outcome;
  }

  private async apply(
    id: string,
    decide: (r: ApprovalRequest) => DecisionOutcome,
    first?: Versioned<ApprovalRequest>,
  ): Promise<DecisionOutcome> {
    let rec = first ?? (await this.requests.get(id));
    for (let attempt = 0; attempt < 10 && rec; attempt++) {
      const next = decide(rec.value);
      if (!next.ok) return next;
      if (await this.requests.compareAndSet(rec.version, next.request)) return next;
      rec = await this.requests.get(id);
    }
    return {
      ok: false,
      reason: rec ? `Request ${id} is changing too fast; try again.` : `No request ${id}.`,
    };
  }

  private async expireOne(rec: Versioned<ApprovalRequest>): Promise<void> {
    const now = this.props.clock.now();
    const expired = await this.apply(rec.value.id, (r) => transition(r, { kind: 'expire', now }), rec);
    if (!expired.ok) return;
    await this.audit(expired.request, 'expired', 'tunnelops', { waitedMs: now - rec.value.createdAt });
    await this.notifier.update(expired.request);
  }

  private siteOf(r: ApprovalRequest): Site | undefined {
    return findSite(this.props.topology, r.site);
  }

  private siteNames(): string {
    return this.props.topology.sites.map((s) => s.name).join(', ');
  }

  private async audit(
    r: ApprovalRequest,
    event: string,
    actor: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.props.store.appendAudit({
        at: new Date(this.props.clock.now()).toISOString(),
        site: r.site,
        action: r.action,
        requestId: r.id,
        actor,
        event,
        detail: Object.fromEntries(Object.entries(detail).filter(([, v]) => v !== undefined)),
      });
    } catch (err) {
      this.props.log.error({ err, requestId: r.id, event }, 'could not write the audit entry');
    }
  }

  /** Used by the Slack layer to tell a person something privately. */
  tell(channel: string, user: string, text: string): Promise<void> {
    return this.notifier.tell(channel, user, text);
  }

  /** Re-renders a request's message (after a restart, or when a click shows it out of date). */
  refresh(r: ApprovalRequest): Promise<void> {
    return this.notifier.update(r);
  }
}
