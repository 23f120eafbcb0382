/**
 * The two-person approval state machine. Pure: a request and an event in, the next request or a refusal
 * (a code and the facts a person can act on, worded by the views) out. Persistence and compare-and-set live in the service.
 *
 *   pending -> approved -> executing -> succeeded | failed
 *   pending -> denied | expired | cancelled
 * A rotation (renew the site's server certificates, standby first) is one request whose run is several steps.
 */
export type ApprovalAction = 'failover' | 'redeploy' | 'rotate';

/** The requester of the automatic controller's proposals (mode propose). */
export const CONTROLLER_ACTOR = 'controller';

export type ApprovalState =
  | 'pending'
  | 'approved'
  | 'executing'
  | 'succeeded'
  | 'failed'
  | 'denied'
  | 'expired'
  | 'cancelled';

export const TERMINAL_STATES: ReadonlySet<ApprovalState> = new Set([
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
]);

export interface ApprovalResult {
  ok: boolean;
  summary: string;
  durationMs?: number;
  detail?: Record<string, unknown>;
}

/** What someone asks for: a person from Slack, or "controller" for the automatic controller in propose mode. */
export interface ApprovalRequestInput {
  action: ApprovalAction;
  site: string;
  requester: string;
  /** Failover target tunnel. */
  to?: string;
  /** Tunnel to redeploy. */
  tunnel?: string;
  force?: boolean;
  reason?: string;
  evidence?: string[];
  /** What an approver must know before approving (shown marked as a warning). */
  cautions?: Caution[];
}

/** A risk of the request, as data: the views word and mark it. */
export type Caution =
  | { kind: 'target-unhealthy'; tunnel: string; reason: string }
  | { kind: 'forced-redeploy'; tunnel: string };

export interface ApprovalRequest extends ApprovalRequestInput {
  /** Short and typeable: fo-7k2m9q (failover), rd-3x8pq2 (redeploy), ro-9tq4zk (rotate). */
  id: string;
  state: ApprovalState;
  /** Epoch ms. */
  createdAt: number;
  expiresAt: number;
  approver?: string;
  approvedAt?: number;
  /** Who denied or cancelled it. */
  closedBy?: string;
  closedAt?: number;
  denyReason?: string;
  startedAt?: number;
  /** Execution lease: after this, a request still "executing" was abandoned by a dead process. */
  leaseUntil?: number;
  finishedAt?: number;
  result?: ApprovalResult;
  /** The request message in the site's channel. */
  message?: { channel: string; ts: string };
}

export type ApprovalEvent =
  | { kind: 'approve'; user: string; isApprover: boolean; now: number }
  | { kind: 'deny'; user: string; isApprover: boolean; reason: string; now: number }
  /** isApprover matters only for the controller's proposals, which any approver may withdraw. */
  | { kind: 'cancel'; user: string; now: number; isApprover?: boolean }
  | { kind: 'expire'; now: number }
  | { kind: 'start'; now: number; leaseMs: number }
  | { kind: 'finish'; result: ApprovalResult; now: number };

/** The events a refusal can answer: the state machine's, and the service's lease renewal. */
export type RefusedEvent = ApprovalEvent['kind'] | 'renew';

/**
 * Why an event was refused, as data: a stable code and the facts a person needs (who asked, who approved,
 * the state). The views word it; nothing here is chat markup.
 */
export type Refusal =
  /** The request is past the state the event needs (who approved, denied or cancelled it is in the facts). */
  | {
      code: 'wrong-state';
      id: string;
      event: RefusedEvent;
      state: ApprovalState;
      approver?: string;
      closedBy?: string;
    }
  /** Still pending, but past its expiry: nobody may decide on it any more. */
  | { code: 'expired'; id: string; expiresAt: number }
  /** The expiry sweep came too early. */
  | { code: 'not-due'; id: string; expiresAt: number }
  /** The requester tried to approve or deny their own request (two-person rule; cancel is theirs). */
  | { code: 'own-request'; id: string; event: 'approve' | 'deny' }
  | { code: 'not-approver'; site: string; event: 'approve' | 'deny' }
  /** Someone other than the requester tried to cancel a person's request. */
  | { code: 'not-requester'; id: string; requester: string }
  /** Someone who is not an approver tried to cancel the controller's proposal. */
  | { code: 'controller-proposal'; id: string; site: string }
  /** The service's: no such request, or it kept changing under a compare-and-set. */
  | { code: 'not-found'; id: string }
  | { code: 'contended'; id: string };

export type Transition = { ok: true; request: ApprovalRequest } | { ok: false; refusal: Refusal };

const refuse = (refusal: Refusal): Transition => ({ ok: false, refusal });
const next = (request: ApprovalRequest): Transition => ({ ok: true, request });

export const isTerminal = (r: ApprovalRequest): boolean => TERMINAL_STATES.has(r.state);
/** Pending but past its expiry: nobody may approve it any more, even before the sweep marks it. */
export const isDue = (r: ApprovalRequest, now: number): boolean =>
  r.state === 'pending' && now >= r.expiresAt;

/** The refusal of `event` on a request that is not in the state it needs: what state, and who put it there. */
export function wrongState(r: ApprovalRequest, event: RefusedEvent): Refusal {
  return {
    code: 'wrong-state',
    id: r.id,
    event,
    state: r.state,
    ...(r.approver ? { approver: r.approver } : {}),
    ...(r.closedBy ? { closedBy: r.closedBy } : {}),
  };
}

function mustBePending(r: ApprovalRequest, event: 'approve' | 'deny', now: number): Refusal | null {
  if (r.state !== 'pending') return wrongState(r, event);
  if (isDue(r, now)) return { code: 'expired', id: r.id, expiresAt: r.expiresAt };
  return null;
}

/** Approve and deny: only on a pending request in time, only by an approver who did not ask for it. */
function decide(
  r: ApprovalRequest,
  e: { kind: 'approve' | 'deny'; user: string; isApprover: boolean; now: number },
): Refusal | null {
  const bad = mustBePending(r, e.kind, e.now);
  if (bad) return bad;
  if (e.user === r.requester) return { code: 'own-request', id: r.id, event: e.kind };
  if (!e.isApprover) return { code: 'not-approver', site: r.site, event: e.kind };
  return null;
}

/** Cancel: the requester's own request, or the controller's proposal by an approver; only while pending. */
function mayCancel(r: ApprovalRequest, e: Extract<ApprovalEvent, { kind: 'cancel' }>): Refusal | null {
  if (r.requester === CONTROLLER_ACTOR && e.user !== r.requester && !e.isApprover)
    return { code: 'controller-proposal', id: r.id, site: r.site };
  if (r.requester !== CONTROLLER_ACTOR && e.user !== r.requester)
    return { code: 'not-requester', id: r.id, requester: r.requester };
  if (r.state !== 'pending') return wrongState(r, 'cancel');
  return null;
}

export function transition(r: ApprovalRequest, e: ApprovalEvent): Transition {
  switch (e.kind) {
    case 'approve': {
      const bad = decide(r, e);
      return bad ? refuse(bad) : next({ ...r, state: 'approved', approver: e.user, approvedAt: e.now });
    }
    case 'deny': {
      const bad = decide(r, e);
      if (bad) return refuse(bad);
      return next({ ...r, state: 'denied', closedBy: e.user, closedAt: e.now, denyReason: e.reason });
    }
    case 'cancel': {
      const bad = mayCancel(r, e);
      return bad ? refuse(bad) : next({ ...r, state: 'cancelled', closedBy: e.user, closedAt: e.now });
    }
    case 'expire':
      if (r.state !== 'pending') return refuse(wrongState(r, 'expire'));
      if (!isDue(r, e.now)) return refuse({ code: 'not-due', id: r.id, expiresAt: r.expiresAt });
      return next({ ...r, state: 'expired', closedAt: e.now });
    case 'start':
      if (r.state !== 'approved') return refuse(wrongState(r, 'start'));
      return next({ ...r, state: 'executing', startedAt: e.now, leaseUntil: e.now + e.leaseMs });
    case 'finish':
      // approved -> failed too: a request abandoned before it started must still end.
      if (r.state !== 'executing' && r.state !== 'approved') return refuse(wrongState(r, 'finish'));
      return next({ ...r, state: e.result.ok ? 'succeeded' : 'failed', finishedAt: e.now, result: e.result });
  }
}

const ID_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no i, l, o, 0, 1: easy to read back and type
const PREFIX: Record<ApprovalAction, string> = { failover: 'fo', redeploy: 'rd', rotate: 'ro' };

/** A short id such as fo-7k2m9q from six random bytes. */
export function requestId(action: ApprovalAction, random: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += ID_ALPHABET[(random[i] ?? 0) % ID_ALPHABET.length];
  return `${PREFIX[action]}-${s}`;
}

/** Whether a user may approve: listed by id, or a member of a listed user group. */
export function isApproverOf(
  user: string,
  approverUsers: readonly string[],
  groupMembers: readonly string[],
): boolean {
  return approverUsers.includes(user) || groupMembers.includes(user);
}
