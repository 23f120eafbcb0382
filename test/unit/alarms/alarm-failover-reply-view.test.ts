import { describe, expect, it } from '@jest/globals';
import { alarmFailoverReply } from '../../../src/slack/views/alarm-failover-reply-view.js';
import { pendingRequest } from '../approvals/pending-request.js';

describe("the reply to an alarm's Fail over button", () => {
  it('asked: names the site and says it waits for a second person', () => {
    expect(alarmFailoverReply({ ok: true, created: true, request: pendingRequest() })).toBe(
      'Failover of *dc1* requested; it waits for a second person to approve.',
    );
  });

  it('already open: says so, without asking again', () => {
    expect(alarmFailoverReply({ ok: true, created: false, request: pendingRequest() })).toBe(
      'A failover request for *dc1* is already open.',
    );
  });

  it('refused: the reason is marked and escaped (it can quote a forged site name)', () => {
    expect(
      alarmFailoverReply({
        ok: false,
        code: 'unknown-site',
        reason: 'Unknown site "<!channel>". Sites: dc1.',
      }),
    ).toBe(':warning: Unknown site "&lt;!channel&gt;". Sites: dc1.');
  });

  it('escapes the site name it shows', () => {
    const text = alarmFailoverReply({
      ok: true,
      created: false,
      request: pendingRequest({ site: 'a<!here>' }),
    });
    expect(text).toBe('A failover request for *a&lt;!here&gt;* is already open.');
  });
});
