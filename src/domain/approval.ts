/**
 * The two-person approval state machine. Pure: a request and an event in, the next request or a refusal
 * (with a reason the person can act on) out. Persistence and compare-and-set live in the service.
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

export type Transition = { ok: true; request: ApprovalRequest } | { ok: false; reason: string };

const refuse = (reason: string): Transition => ({ ok: false, reason });
const next = (request: ApprovalRequest): Transition => ({ ok: true, request });

export const isTerminal = (r: ApprovalRequest): boolean => TERMINAL_STATES.has(r.state);
/** Pending but past its expiry: nobody may approve it any more, even before the sweep marks it. */
export const isDue = (r: ApprovalRequest, now: number): boolean =>
  r.state === 'pending' && now >= r.expiresAt;

/** Why a request that is no longer pending cannot be acted on, in words. */
function describeState(r: ApprovalRequest): string {
  switch (r.state) {
    case 'pending':
      return 'is waiting for approval';
    case 'approved':
    case 'executing':
      return `was already approved by <@${r.approver}> and is running`;
    case 'succeeded':
      return `was approved by <@${r.approver}> and has already run`;
    case 'failed':
      return r.approver
        ? `was approved by <@${r.approver}> and has already run (it failed)`
        : 'has already failed';
    case 'denied':
      return `was denied by <@${r.closedBy}>`;
    case 'expired':
      return 'has expired; ask again with a new request';
    case 'cancelled':
      return `was cancelled by <@${r.closedBy}>`;
  }
}

function mustBePending(r: ApprovalRequest, now: number): string | null {
  if (r.state !== 'pending') return `Request ${r.id} ${describeState(r)}.`;
  if (isDue(r, now))
    return `Request ${r.id} expired at ${new Date(r.expiresAt).toISOString()}; ask again with a new request.`;
  return null;
}

export function transition(r: ApprovalRequest, e: ApprovalEvent): Transition {
  switch (e.kind) {
    case 'approve': {
      const bad = mustBePending(r, e.now);
      if (bad) return refuse(bad);
      if (e.user === r.requester)
        return refuse(`You asked for ${r.id}; a second person must approve it (two-person rule).`);
      if (!e.isApprover)
        return refuse(`You are not an approver for site ${r.site}; ask one of its approvers.`);
      return next({ ...r, state: 'approved', approver: e.user, approvedAt: e.now });
    }
    case 'deny': {
      const bad = mustBePending(r, e.now);
      if (bad) return refuse(bad);
      if (e.user === r.requester)
        return refuse(`You asked for ${r.id}; to withdraw it use \`/vpn cancel ${r.id}\`.`);
      if (!e.isApprover)
        return refuse(`You are not an approver for site ${r.site}; only approvers may deny.`);
      return next({ ...r, state: 'denied', closedBy: e.user, closedAt: e.now, denyReason: e.reason });
    }
    case 'cancel': {
      if (r.requester === CONTROLLER_ACTOR && e.user !== r.requester && !e.isApprover)
        return refuse(
          `${r.id} was proposed by the controller; only an approver of site ${r.site} may cancel it.`,
        );
      if (r.requester !== CONTROLLER_ACTOR && e.user !== r.requester)
        return refuse(
          `Only ${/^[UW][A-Z0-9]+$/.test(r.requester) ? `<@${r.requester}>` : r.requester}, who asked for ${r.id}, may cancel it.`,
        );
      if (r.state !== 'pending')
        return refuse(`Request ${r.id} ${describeState(r)}; only pending requests can be cancelled.`);
      return next({ ...r, state: 'cancelled', closedBy: e.user, closedAt: e.now });
    }
    case 'expire':
      if (r.state !== 'pending') return refuse(`Request ${r.id} ${describeState(r)}.`);
      if (!isDue(r, e.now))
        return refuse(`Request ${r.id} expires only at ${new Date(r.expiresAt).toISOString()}.`);
      return next({ ...r, state: 'expired', closedAt: e.now });
    case 'start':
      if (r.state !== 'approved') return refuse(`Request ${r.id} ${describeState(r)}.`);
      return next({ ...r, state: 'executing', startedAt: e.now, leaseUntil: e.now + e.leaseMs });
    case 'finish':
      // approved -> failed too: a request abandoned before it started must still end.
      if (r.state !== 'executing' && r.state !== 'approved')
        return refuse(`Request ${r.id} ${describeState(r)}.`);
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
