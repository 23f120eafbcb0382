import { describe, expect, it } from '@jest/globals';
import {
  type ApprovalEvent,
  type ApprovalRequest,
  CONTROLLER_ACTOR,
  transition,
} from '../../../src/domain/approval.js';
import {
  refusalReply,
  refusalText,
  requestRefusalReply,
} from '../../../src/slack/views/approval-reply-view.js';
import { approveEvent as approve, pendingRequest, T0 } from './pending-request.js';

/** The words a person is shown when `event` is refused on `r` (the domain refuses, the view words it). */
function refusedWith(r: ApprovalRequest, event: ApprovalEvent): string {
  const t = transition(r, event);
  if (t.ok) throw new Error(`expected a refusal, got ${t.request.state}`);
  return refusalText(t.refusal);
}

describe('approval refusals in words', () => {
  it('approve: the two-person rule, a non-approver, and an expired request', () => {
    expect(refusedWith(pendingRequest(), approve('UREQ'))).toBe(
      'You asked for fo-7k2m9q; a second person must approve it (two-person rule).',
    );
    expect(refusedWith(pendingRequest(), approve('UOTHER', false))).toBe(
      'You are not an approver for site dc1; ask one of its approvers.',
    );
    expect(refusedWith(pendingRequest(), approve('UAPP', true, T0 + 15 * 60_000))).toBe(
      'Request fo-7k2m9q expired at 2026-01-01T10:15:00.000Z; ask again with a new request.',
    );
  });

  it('deny: the requester is pointed at /vpn cancel; a non-approver may not deny', () => {
    const deny = (user: string, isApprover: boolean) =>
      refusedWith(pendingRequest(), { kind: 'deny', user, isApprover, reason: 'no', now: T0 });
    expect(deny('UREQ', true)).toBe('You asked for fo-7k2m9q; to withdraw it use `/vpn cancel fo-7k2m9q`.');
    expect(deny('UX', false)).toBe('You are not an approver for site dc1; only approvers may deny.');
  });

  it('names who moved the request on, as Slack mentions', () => {
    const at = (over: Partial<ApprovalRequest>) => refusedWith(pendingRequest(over), approve('UX'));
    expect(at({ state: 'executing', approver: 'UAPP' })).toBe(
      'Request fo-7k2m9q was already approved by <@UAPP> and is running.',
    );
    expect(at({ state: 'succeeded', approver: 'UAPP' })).toBe(
      'Request fo-7k2m9q was approved by <@UAPP> and has already run.',
    );
    expect(at({ state: 'failed', approver: 'UAPP' })).toBe(
      'Request fo-7k2m9q was approved by <@UAPP> and has already run (it failed).',
    );
    expect(at({ state: 'failed' })).toBe('Request fo-7k2m9q has already failed.');
    expect(at({ state: 'denied', closedBy: 'UAPP' })).toBe('Request fo-7k2m9q was denied by <@UAPP>.');
    expect(at({ state: 'cancelled', closedBy: 'UREQ' })).toBe('Request fo-7k2m9q was cancelled by <@UREQ>.');
    expect(at({ state: 'expired' })).toBe('Request fo-7k2m9q has expired; ask again with a new request.');
  });

  it('cancel: only the requester, only while pending; the controller proposal by an approver', () => {
    expect(refusedWith(pendingRequest(), { kind: 'cancel', user: 'UAPP', now: T0 })).toBe(
      'Only <@UREQ>, who asked for fo-7k2m9q, may cancel it.',
    );
    expect(
      refusedWith(pendingRequest({ state: 'approved', approver: 'UAPP' }), {
        kind: 'cancel',
        user: 'UREQ',
        now: T0,
      }),
    ).toBe(
      'Request fo-7k2m9q was already approved by <@UAPP> and is running; only pending requests can be cancelled.',
    );
    expect(
      refusedWith(pendingRequest({ requester: CONTROLLER_ACTOR }), {
        kind: 'cancel',
        user: 'UX',
        isApprover: false,
        now: T0,
      }),
    ).toBe('fo-7k2m9q was proposed by the controller; only an approver of site dc1 may cancel it.');
  });

  it('a requester that is not a Slack user stays plain text, escaped', () => {
    expect(refusalText({ code: 'not-requester', id: 'fo-7k2m9q', requester: 'ci <bot>' })).toBe(
      'Only ci &lt;bot&gt;, who asked for fo-7k2m9q, may cancel it.',
    );
  });

  it("escapes an id that came from a click's value, and marks the reply as a refusal", () => {
    expect(refusalReply({ code: 'not-found', id: '<!channel>' })).toBe(
      ':no_entry_sign: No request &lt;!channel&gt;.',
    );
    expect(refusalText({ code: 'contended', id: 'fo-7k2m9q' })).toBe(
      'Request fo-7k2m9q is changing too fast; try again.',
    );
  });

  it('a refused request: the reason is escaped (it can quote a clicked site name or an AWS error)', () => {
    expect(requestRefusalReply('Unknown site "<!channel>". Sites: dc1.')).toBe(
      ':no_entry_sign: Unknown site "&lt;!channel&gt;". Sites: dc1.',
    );
    expect(requestRefusalReply('say which one with --to <tunnel>.', ':warning:')).toBe(
      ':warning: say which one with --to &lt;tunnel&gt;.',
    );
  });
});
