import { randomBytes } from 'node:crypto';
import type { Site, Topology } from '../../config/topology-schema.js';
import {
  type ApprovalRequest,
  type ApprovalRequestInput,
  requestId,
  transition,
} from '../../domain/approval.js';
import { type PendingRequest, pendingRequests } from '../../domain/pending.js';
import type { SiteStatus } from '../../domain/status.js';
import { findSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { Store } from '../../ports/store.js';
import type { FailoverExecutor } from '../failover/failover-executor.js';
import type { TargetCheck } from '../failover/failover-plan.js';
import type { RedeployExecutor } from '../redeploy/redeploy-executor.js';
import type { RotationExecutor } from '../rotation/rotation-executor.js';
import { EXECUTION_LEASE_MS, type ExecutionLeases, runApproved } from './approval-execution.js';
import { ApprovalNotifier } from './approval-notifier.js';
import { type RequestRefusal, refused, requestChecks } from './approval-request-checks.js';
import { ApprovalStore } from './approval-store.js';
import { sweepApprovals } from './approval-sweep.js';
import { ApprovalTransitions, type DecisionOutcome } from './approval-transitions.js';
import { Approvers } from './approvers.js';
import { keepExecutionLease } from './execution-lease.js';

export interface ApprovalServiceProps {
  topology: Topology;
  store: Store;
  chat: Chat;
  clock: Clock;
  log: Logger;
  failover: FailoverExecutor;
  redeploy: RedeployExecutor;
  /** `/vpn rotate` (absent: refused as not enabled). */
  rotation?: RotationExecutor;
  routeTables: RouteTables;
  /** Target health at request time, shown as evidence (the executor enforces it at run time). */
  checkTarget?: TargetCheck;
  /** The site's status, if the deployment has a status service: one read for routes and target health. */
  siteStatus?: (site: Site) => Promise<SiteStatus | undefined>;
  random?: (size: number) => Uint8Array;
  /** How often a running request's lease is renewed (default: a quarter of the lease). */
  leaseRenewMs?: number;
  /** How long a run may go unrenewed before another replica's sweep reports it (default EXECUTION_LEASE_MS). */
  executionLeases?: ExecutionLeases;
}

export type RequestInput = ApprovalRequestInput;

export type RequestOutcome = { ok: true; created: boolean; request: ApprovalRequest } | RequestRefusal;
export type { DecisionOutcome } from './approval-transitions.js';

const notFound = (id: string): DecisionOutcome => ({ ok: false, refusal: { code: 'not-found', id } });

/**
 * The two-person approval workflow. Every state change is a compare-and-set on the stored request, so a
 * double click, a retried Slack delivery or two approvers at once run the action exactly once; every change
 * is audited and mirrored into the request's Slack message.
 */
export class ApprovalService {
  private readonly requests: ApprovalStore;
  private readonly approvers: Approvers;
  private readonly notifier: ApprovalNotifier;
  private readonly transitions: ApprovalTransitions;
  private readonly random: (size: number) => Uint8Array;

  constructor(private readonly props: ApprovalServiceProps) {
    this.requests = new ApprovalStore(props.store, () => props.clock.now());
    this.approvers = new Approvers(props);
    this.notifier = new ApprovalNotifier(props);
    this.transitions = new ApprovalTransitions({
      ...props,
      requests: this.requests,
      notifier: this.notifier,
    });
    this.random = props.random ?? ((n) => randomBytes(n));
  }

  get store(): ApprovalStore {
    return this.requests;
  }

  async request(input: RequestInput): Promise<RequestOutcome> {
    const site = findSite(this.props.topology, input.site);
    if (!site) return refused('unknown-site', `Unknown site "${input.site}". Sites: ${this.siteNames()}.`);
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
      ...(checked.cautions.length ? { cautions: checked.cautions } : {}),
      state: 'pending',
      createdAt: now,
      expiresAt: now + site.approvalExpiryMinutes * 60_000,
    };
    const created = await this.requests.create(draft);
    if (!created.created) {
      if ('existing' in created) return { ok: true, created: false, request: created.existing };
      return refused(
        'locked',
        `Another ${input.action} request for ${site.name} is being created right now; try again in a few seconds.`,
      );
    }
    await this.transitions.audit(draft, 'requested', draft.requester, {
      reason: draft.reason,
      to: draft.to,
      tunnel: draft.tunnel,
      force: draft.force,
      expiresAt: new Date(draft.expiresAt).toISOString(),
    });
    const ref = await this.notifier.post(draft, site.slackChannel);
    if (!ref) return { ok: true, created: true, request: draft };
    // A click can land before the ref is saved; retry the CAS on top of whatever changed meanwhile.
    const saved = await this.transitions.apply(draft.id, (r) => ({
      ok: true,
      request: { ...r, message: ref },
    }));
    return { ok: true, created: true, request: saved.ok ? saved.request : { ...draft, message: ref } };
  }

  /** Approves and, on success, runs the action; resolves with the final request once it has run. */
  async approve(id: string, user: string): Promise<DecisionOutcome> {
    const who = await this.whoDecides(id, user);
    if (!who) return notFound(id);
    const { site, isApprover } = who;
    const approved = await this.transitions.step(
      id,
      { kind: 'approve', user, isApprover, now: this.props.clock.now() },
      undefined,
      {
        event: 'approved',
        actor: user,
        detail: (a) => ({ requester: a.requester, waitedMs: (a.approvedAt ?? 0) - a.createdAt }),
      },
    );
    if (!approved.ok || !site) return approved;
    const a = approved.request;
    await this.notifier.update(a);
    return this.execute(a, site);
  }

  async deny(id: string, user: string, reason: string): Promise<DecisionOutcome> {
    const who = await this.whoDecides(id, user);
    if (!who) return notFound(id);
    const { isApprover } = who;
    const now = this.props.clock.now();
    const denied = await this.transitions.step(
      id,
      { kind: 'deny', user, isApprover, reason, now },
      undefined,
      { event: 'denied', actor: user, detail: (r) => ({ reason, waitedMs: now - r.createdAt }) },
    );
    if (denied.ok) {
      await this.notifier.update(denied.request);
    }
    return denied;
  }

  /** Whether `user` may deny right now (checked before the reason modal opens); changes nothing. */
  async checkDeny(id: string, user: string): Promise<DecisionOutcome> {
    const who = await this.whoDecides(id, user);
    if (!who) return notFound(id);
    return transition(who.request, {
      kind: 'deny',
      user,
      isApprover: who.isApprover,
      reason: '',
      now: this.props.clock.now(),
    });
  }

  async cancel(id: string, user: string): Promise<DecisionOutcome> {
    const who = await this.whoDecides(id, user);
    if (!who) return notFound(id);
    const cancelled = await this.transitions.step(
      id,
      { kind: 'cancel', user, isApprover: who.isApprover, now: this.props.clock.now() },
      undefined,
      { event: 'cancelled', actor: user },
    );
    if (cancelled.ok) {
      await this.notifier.update(cancelled.request);
    }
    return cancelled;
  }

  /** Open requests (of one site, or all), oldest first. */
  async pending(site?: string): Promise<PendingRequest[]> {
    const open = await this.requests.listOpen();
    return pendingRequests(
      open.map((r) => r.value),
      this.props.clock.now(),
      site,
    );
  }

  async get(id: string): Promise<ApprovalRequest | null> {
    return (await this.requests.get(id))?.value ?? null;
  }

  /**
   * The sweep: expires pending requests past their time, and closes runs abandoned by a dead process
   * (lease over) from what the route tables show. Safe to run in several processes at once (CAS).
   */
  expireDue(): Promise<number> {
    return sweepApprovals({
      ...this.props,
      requests: this.requests,
      transitions: this.transitions,
      notifier: this.notifier,
      leases: this.leases,
    });
  }

  private get leases(): ExecutionLeases {
    return this.props.executionLeases ?? EXECUTION_LEASE_MS;
  }

  private async execute(a: ApprovalRequest, site: Site): Promise<DecisionOutcome> {
    const started = await this.transitions.step(a.id, {
      kind: 'start',
      now: this.props.clock.now(),
      leaseMs: this.leases[a.action],
    });
    if (!started.ok) return started;
    let current = started.request;
    const lease = keepExecutionLease({
      transitions: this.transitions,
      id: a.id,
      leaseUntil: current.leaseUntil ?? this.props.clock.now() + this.leases[a.action],
      clock: this.props.clock,
      leaseMs: this.leases[a.action],
      ...(this.props.leaseRenewMs ? { everyMs: this.props.leaseRenewMs } : {}),
      log: this.props.log,
    });
    let result: Awaited<ReturnType<typeof runApproved>>;
    try {
      await this.notifier.update(current);
      result = await runApproved(current, site, this.props, (line) =>
        this.notifier.addProgress(current, line),
      );
    } finally {
      // The 'finish' transition below ends the execution lease; nothing to release.
      lease.stop();
    }
    const finished = await this.transitions.step(a.id, {
      kind: 'finish',
      result,
      now: this.props.clock.now(),
    });
    if (!finished.ok) {
      this.props.log.warn(
        { requestId: a.id, refusal: finished.refusal },
        'could not record the result of a run',
      );
      return { ok: true, request: { ...current, result } };
    }
    current = finished.request;
    await this.notifier.update(current);
    return { ok: true, request: current };
  }

  /** The stored request, its site, and whether `user` may decide on it (user-group lookups included). */
  private async whoDecides(
    id: string,
    user: string,
  ): Promise<{ request: ApprovalRequest; site: Site | undefined; isApprover: boolean } | null> {
    const rec = await this.requests.get(id);
    if (!rec) return null;
    const site = findSite(this.props.topology, rec.value.site);
    const isApprover = site ? await this.approvers.isApprover(site, user) : false;
    return { request: rec.value, site, isApprover };
  }

  private siteNames(): string {
    return this.props.topology.sites.map((s) => s.name).join(', ');
  }

  /** Used by the Slack layer to tell a person something privately. */
  tell(channel: string, user: string, text: string): Promise<void> {
    return this.notifier.tell(channel, user, text);
  }
}
