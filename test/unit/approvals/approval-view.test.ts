import { describe, expect, it } from '@jest/globals';
import type { ApprovalRequest, ApprovalState } from '../../../src/domain/approval.js';
import { approvalMessage, denyModal, progressReply } from '../../../src/slack/views/approval-view.js';
import { historyMessage } from '../../../src/slack/views/history-view.js';
import { pendingRequest } from './pending-request.js';

const base: ApprovalRequest = pendingRequest({
  createdAt: 0,
  expiresAt: 900_000,
  approver: 'UAPP',
  closedBy: 'UAPP',
});
const extras = { approverUsers: ['UAPP'], approverGroups: ['S0ONCALL'] };
type Block = {
  type: string;
  text?: { text: string };
  elements?: Array<{ action_id?: string; value?: string }>;
};

describe('approval message', () => {
  it('while pending: Approve and Deny buttons carrying the request id, approvers and the cancel command', () => {
    const m = approvalMessage({ ...base, evidence: ['Routes: 4/4 on primary'] }, extras);
    const blocks = m.blocks as Block[];
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => [e.action_id, e.value])).toEqual([
      ['approval_approve', 'fo-7k2m9q'],
      ['approval_deny', 'fo-7k2m9q'],
    ]);
    const all = JSON.stringify(blocks);
    expect(all).toContain('<!subteam^S0ONCALL>');
    expect(all).toContain('/vpn cancel fo-7k2m9q');
    expect(all).toContain('Routes: 4/4 on primary');
  });

  it('shows the cautions after the evidence, marked as warnings, with their words escaped', () => {
    const m = approvalMessage(
      {
        ...base,
        evidence: ['Routes: 4/4 on primary'],
        cautions: [{ kind: 'target-unhealthy', tunnel: 'secondary', reason: 'probe lost <!channel>' }],
      },
      extras,
    );
    const evidence = (m.blocks as Block[]).find((b) => b.text?.text.startsWith('*Evidence*'))?.text?.text;
    expect(evidence).toBe(
      '*Evidence*\n• Routes: 4/4 on primary\n• :warning: Target secondary is not healthy now: probe lost &lt;!channel&gt;',
    );
    const forced = approvalMessage(
      { ...base, cautions: [{ kind: 'forced-redeploy', tunnel: 'primary' }] },
      extras,
    );
    expect(JSON.stringify(forced.blocks)).toContain(
      ':warning: --force: primary carries traffic; the site loses connectivity while it restarts',
    );
  });

  it.each<ApprovalState>(['approved', 'executing', 'succeeded', 'failed', 'denied', 'expired', 'cancelled'])(
    'no buttons once %s',
    (state) => {
      const m = approvalMessage(
        { ...base, state, result: { ok: state === 'succeeded', summary: 's', durationMs: 1234 } },
        extras,
      );
      expect((m.blocks as Block[]).some((b) => b.type === 'actions')).toBe(false);
      expect(m.text).toContain('fo-7k2m9q');
    },
  );

  it('the result shows its duration', () => {
    const m = approvalMessage(
      { ...base, state: 'succeeded', result: { ok: true, summary: '4 route(s) moved', durationMs: 1234 } },
      extras,
    );
    expect(m.text).toContain('Done in 1.2 s');
  });

  it('stays within Slack limits with huge reasons, evidence and progress', () => {
    const long = 'x'.repeat(5000);
    const m = approvalMessage(
      { ...base, reason: long, evidence: [long, long] },
      { ...extras, progress: [long, long] },
    );
    const blocks = m.blocks as Block[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('a progress line in the thread is escaped (it quotes ECS and the executors)', () => {
    expect(progressReply('deployment ecs-svc/1 started <!channel>')).toEqual({
      text: 'deployment ecs-svc/1 started &lt;!channel&gt;',
    });
  });

  it('the deny modal asks for a reason and carries the request and channel', () => {
    const v = denyModal(base, 'C0SANDBOX1');
    expect(v.callback_id).toBe('approval_deny_modal');
    expect(JSON.parse(String(v.private_metadata))).toEqual({ id: 'fo-7k2m9q', channel: 'C0SANDBOX1' });
    expect(JSON.stringify(v.blocks)).toContain('plain_text_input');
  });
});

describe('history message', () => {
  it('newest first, with ids and actors; says so when empty', () => {
    const m = historyMessage(
      [
        {
          at: '2026-01-01T10:00:00.000Z',
          site: 'dc1',
          action: 'failover',
          requestId: 'fo-7k2m9q',
          actor: 'UREQ',
          event: 'requested',
        },
        {
          at: '2026-01-01T10:01:00.000Z',
          site: 'dc1',
          action: 'failover',
          requestId: 'fo-7k2m9q',
          actor: 'controller',
          event: 'succeeded',
        },
      ],
      'dc1',
    );
    expect(m.text.indexOf('succeeded')).toBeLessThan(m.text.indexOf('requested'));
    expect(m.text).toContain('<@UREQ>');
    expect(m.text).toContain('by controller');
    expect(historyMessage([], 'dc1').text).toMatch(/No failovers/);
  });
});

describe('durations', () => {
  it('read naturally from milliseconds to minutes', async () => {
    const { formatDuration } = await import('../../../src/slack/views/approval-view.js');
    expect(formatDuration(18)).toBe('18 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(95_000)).toBe('95 s');
  });
});
