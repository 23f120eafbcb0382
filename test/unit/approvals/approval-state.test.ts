import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  type ApprovalEvent,
  CONTROLLER_ACTOR,
  isApproverOf,
  isTerminal,
  type Refusal,
  requestId,
  TERMINAL_STATES,
  transition,
} from '../../../src/domain/approval.js';
import { approveEvent as approve, pendingRequest, T0 } from './pending-request.js';

const pending = pendingRequest;

describe('approval state machine', () => {
  it('an approver other than the requester approves a pending request', () => {
    const t = transition(pending(), approve('UAPP'));
    expect(t).toEqual({
      ok: true,
      request: expect.objectContaining({ state: 'approved', approver: 'UAPP', approvedAt: T0 + 1000 }),
    });
  });

  it.each<[string, ApprovalEvent, Refusal]>([
    [
      'the requester (two-person rule)',
      approve('UREQ', true),
      { code: 'own-request', id: 'fo-7k2m9q', event: 'approve' },
    ],
    ['a non-approver', approve('UOTHER', false), { code: 'not-approver', site: 'dc1', event: 'approve' }],
    [
      'anyone once expired',
      approve('UAPP', true, T0 + 15 * 60_000),
      { code: 'expired', id: 'fo-7k2m9q', expiresAt: T0 + 15 * 60_000 },
    ],
  ])('refuses approval by %s, with a code and the facts (no chat markup)', (_what, event, refusal) => {
    expect(transition(pending(), event)).toEqual({ ok: false, refusal });
  });

  it('a refusal on a request that moved on says its state and who moved it', () => {
    const approved = pending({ state: 'executing', approver: 'UAPP' });
    expect(transition(approved, approve('UX'))).toEqual({
      ok: false,
      refusal: {
        code: 'wrong-state',
        id: 'fo-7k2m9q',
        event: 'approve',
        state: 'executing',
        approver: 'UAPP',
      },
    });
    const denied = pending({ state: 'denied', closedBy: 'UAPP' });
    expect(transition(denied, { kind: 'start', now: T0, leaseMs: 1 })).toEqual({
      ok: false,
      refusal: { code: 'wrong-state', id: 'fo-7k2m9q', event: 'start', state: 'denied', closedBy: 'UAPP' },
    });
  });

  it('walks pending -> approved -> executing -> succeeded|failed', () => {
    let r = pending();
    for (const e of [approve('UAPP'), { kind: 'start', now: T0 + 2000, leaseMs: 60_000 } as const]) {
      const t = transition(r, e);
      if (!t.ok) throw new Error(t.refusal.code);
      r = t.request;
    }
    expect(r).toMatchObject({ state: 'executing', startedAt: T0 + 2000, leaseUntil: T0 + 62_000 });
    const ok = transition(r, { kind: 'finish', now: T0 + 3000, result: { ok: true, summary: 'moved' } });
    const bad = transition(r, {
      kind: 'finish',
      now: T0 + 3000,
      result: { ok: false, summary: 'rolled back' },
    });
    expect(ok.ok && ok.request.state).toBe('succeeded');
    expect(bad.ok && bad.request.state).toBe('failed');
  });

  it('deny needs an approver who is not the requester (who is pointed at /vpn cancel)', () => {
    const deny = (user: string, isApprover: boolean) =>
      transition(pending(), { kind: 'deny', user, isApprover, reason: 'no', now: T0 });
    expect(deny('UAPP', true)).toMatchObject({
      ok: true,
      request: { state: 'denied', closedBy: 'UAPP', denyReason: 'no' },
    });
    expect(deny('UREQ', true)).toEqual({
      ok: false,
      refusal: { code: 'own-request', id: 'fo-7k2m9q', event: 'deny' },
    });
    expect(deny('UX', false)).toEqual({
      ok: false,
      refusal: { code: 'not-approver', site: 'dc1', event: 'deny' },
    });
  });

  it('only the requester cancels, only while pending', () => {
    expect(transition(pending(), { kind: 'cancel', user: 'UREQ', now: T0 })).toMatchObject({
      ok: true,
      request: { state: 'cancelled' },
    });
    expect(transition(pending(), { kind: 'cancel', user: 'UAPP', now: T0 })).toEqual({
      ok: false,
      refusal: { code: 'not-requester', id: 'fo-7k2m9q', requester: 'UREQ' },
    });
    const approved = pending({ state: 'approved', approver: 'UAPP' });
    expect(transition(approved, { kind: 'cancel', user: 'UREQ', now: T0 })).toEqual({
      ok: false,
      refusal: { code: 'wrong-state', id: 'fo-7k2m9q', event: 'cancel', state: 'approved', approver: 'UAPP' },
    });
  });

  it("the controller's proposal may be cancelled by any approver, and by no one else", () => {
    const proposal = pending({ requester: CONTROLLER_ACTOR });
    const cancel = (user: string, isApprover: boolean) =>
      transition(proposal, { kind: 'cancel', user, isApprover, now: T0 });
    expect(cancel('UAPP', true)).toMatchObject({
      ok: true,
      request: { state: 'cancelled', closedBy: 'UAPP' },
    });
    expect(cancel('UX', false)).toEqual({
      ok: false,
      refusal: { code: 'controller-proposal', id: 'fo-7k2m9q', site: 'dc1' },
    });
  });

  it('expires only pending requests past their time', () => {
    expect(transition(pending(), { kind: 'expire', now: T0 + 60_000 })).toEqual({
      ok: false,
      refusal: { code: 'not-due', id: 'fo-7k2m9q', expiresAt: T0 + 15 * 60_000 },
    });
    expect(transition(pending(), { kind: 'expire', now: T0 + 15 * 60_000 })).toMatchObject({
      ok: true,
      request: { state: 'expired' },
    });
    expect(transition(pending({ state: 'approved' }), { kind: 'expire', now: T0 + 99 * 60_000 }).ok).toBe(
      false,
    );
  });

  const events: fc.Arbitrary<ApprovalEvent> = fc.oneof(
    fc.record({
      kind: fc.constant('approve' as const),
      user: fc.constantFrom('UREQ', 'UAPP', 'UX'),
      isApprover: fc.boolean(),
      now: fc.integer({ min: T0, max: T0 + 30 * 60_000 }),
    }),
    fc.record({
      kind: fc.constant('deny' as const),
      user: fc.constantFrom('UREQ', 'UAPP', 'UX'),
      isApprover: fc.boolean(),
      reason: fc.string(),
      now: fc.integer({ min: T0, max: T0 + 30 * 60_000 }),
    }),
    fc.record({
      kind: fc.constant('cancel' as const),
      user: fc.constantFrom('UREQ', 'UAPP'),
      now: fc.integer({ min: T0, max: T0 + 30 * 60_000 }),
    }),
    fc.record({ kind: fc.constant('expire' as const), now: fc.integer({ min: T0, max: T0 + 30 * 60_000 }) }),
    fc.record({
      kind: fc.constant('start' as const),
      now: fc.integer({ min: T0, max: T0 + 30 * 60_000 }),
      leaseMs: fc.constant(60_000),
    }),
    fc.record({
      kind: fc.constant('finish' as const),
      now: fc.integer({ min: T0, max: T0 + 30 * 60_000 }),
      result: fc.record({ ok: fc.boolean(), summary: fc.constant('x') }),
    }),
  );

  it('for any sequence of events: final states stay final, nothing runs without a second approver', () => {
    fc.assert(
      fc.property(fc.array(events, { maxLength: 30 }), (seq) => {
        let r = pending();
        let approvals = 0;
        for (const e of seq) {
          const before = r;
          const t = transition(r, e);
          if (!t.ok) continue;
          r = t.request;
          if (isTerminal(before)) return false; // a refusal was due
          if (r.state === 'approved' && before.state === 'pending') {
            approvals++;
            if (e.kind !== 'approve' || e.user === 'UREQ' || !e.isApprover || e.now >= before.expiresAt)
              return false;
          }
          if (r.state === 'executing' && before.state !== 'approved') return false;
        }
        return approvals <= 1 && (r.state === 'pending' || r.approver !== 'UREQ');
      }),
      { numRuns: 2000 },
    );
  });

  it('terminal states are exactly the five final ones', () => {
    expect([...TERMINAL_STATES].sort()).toEqual(['cancelled', 'denied', 'expired', 'failed', 'succeeded']);
  });
});

describe('request ids and approvers', () => {
  it('ids are short, typeable and prefixed by action', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        expect(requestId('failover', bytes)).toMatch(/^fo-[a-hj-km-np-z2-9]{6}$/);
        expect(requestId('redeploy', bytes)).toMatch(/^rd-[a-hj-km-np-z2-9]{6}$/);
      }),
    );
  });

  it('an approver is listed by id or through a user group', () => {
    expect(isApproverOf('U1', ['U1'], [])).toBe(true);
    expect(isApproverOf('U2', ['U1'], ['U2'])).toBe(true);
    expect(isApproverOf('U3', ['U1'], ['U2'])).toBe(false);
  });
});
