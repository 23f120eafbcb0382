import { afterEach, describe, expect, it } from '@jest/globals';
import { escapeMrkdwn } from '../../src/domain/mrkdwn.js';
import { systemClock } from '../../src/ports/clock.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  buttonPayload,
  command,
  countingAccount,
  denySubmission,
  interact,
  messageOf,
  REQUESTER,
  requestFailover,
  startApprovalApp,
  waitFor,
} from '../integration/approvals-support.js';

// Finding 3: a deny reason went into Slack mrkdwn as written, so it pinged the channel and hid a link.
const HOSTILE = '<!channel> nope <https://evil.example|click> & more';
const ESCAPED = '&lt;!channel&gt; nope &lt;https://evil.example|click&gt; &amp; more';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Every string anywhere in a message (text, blocks, fields, elements). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

describe('finding 3: text a person wrote is escaped wherever Slack shows it', () => {
  it('escapes &, < and > and nothing else', () => {
    expect(escapeMrkdwn(HOSTILE)).toBe(ESCAPED);
    expect(escapeMrkdwn('plain *bold* _it_ `code`')).toBe('plain *bold* _it_ `code`');
  });

  it('a deny reason with <!channel> and a link is shown literally in the message and in /vpn history', async () => {
    const { account } = countingAccount(systemClock);
    app = await startApprovalApp({ account });
    const id = await requestFailover(app, REQUESTER, `"${HOSTILE.replace(/"/g, '')}"`);
    await interact(app, buttonPayload(app, id, APPROVER1, 'approval_deny'));
    const [open] = await waitFor('views.open', () => {
      const calls = app!.slackStandin!.callsTo('views.open');
      return calls.length ? calls : undefined;
    });
    const view = open!.args.view as Record<string, unknown>;
    const res = await app.slack.interaction(denySubmission(APPROVER1, view, HOSTILE));
    expect(res.status).toBe(200);
    await waitFor('the denied message', () =>
      /Denied by/.test(messageOf(app!, id).text) ? true : undefined,
    );

    // What the Slack stand-in received for the request message: every text field, escaped.
    const shown = strings(messageOf(app, id));
    const all = shown.join('\n');
    expect(all).toContain(ESCAPED);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://evil.example');
    // The request reason (typed in /vpn failover) is escaped too.
    expect(all).toContain('&lt;!channel&gt; nope &lt;https://evil.example|click&gt;');

    const history = await command(app, 'history dc1', REQUESTER);
    expect(history).toContain(ESCAPED);
    expect(history).not.toContain('<!channel>');
    expect(history).not.toContain('<https://evil.example');
  });
});
