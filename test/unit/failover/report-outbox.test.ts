import { describe, expect, it } from '@jest/globals';
import { createFailoverController } from '../../../src/app/create-controller.js';
import type { FailoverMode } from '../../../src/config/topology-schema.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Chat } from '../../../src/ports/chat.js';
import type { Store } from '../../../src/ports/store.js';
import type { FailoverProposer } from '../../../src/services/failover/report-outbox.js';
import { OUTBOX_NS, OutboxRelay } from '../../../src/services/failover/report-outbox.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from './fakes.js';

/**
 * Issue 22 item 4: a server host holds no Slack token. Its fast path (createFailoverController without
 * SLACK_BOT_TOKEN, as src/monitor/main.ts runs it in AWS) leaves its reports in its site's outbox; the bot's
 * relay posts them to the site's channel, once, and makes the approval request of a proposal.
 */
function serverAndBot(mode: FailoverMode) {
  const clock = new ManualClock();
  const store = new SqliteStore({ path: ':memory:', clock });
  const topology = testTopology({ mode });
  const account = memoryAccount(topology);
  const { log, lines } = captureLog();
  // The server's fast path: no token in its environment.
  const server = createFailoverController({
    env: { SLACK_BOT_TOKEN: undefined, SLACK_API_URL: undefined },
    topology,
    account,
    store,
    clock,
    log,
  });
  const chat = new RecordingChat();
  const proposals: Array<Parameters<FailoverProposer['request']>[0]> = [];
  const approvals: FailoverProposer = {
    request: async (input) => {
      proposals.push(input);
      return { ok: true, created: true, request: { id: 'fo-123456' } };
    },
  };
  const relay = (c: Chat = chat) =>
    new OutboxRelay({ store, sites: topology.sites, chat: c, approvals, clock, log });
  return { clock, store, topology, account, server, chat, proposals, relay, lines };
}

const outage = async (store: Store, clock: ManualClock) => {
  await putHeartbeat(store, heartbeat('primary', 'down', clock.now() - 1000), 600_000);
  await putHeartbeat(store, heartbeat('secondary', 'up', clock.now() - 1000), 600_000);
};
const PRIMARY_DOWN = { kind: 'health-changed', tunnel: 'primary', health: 'down' } as const;

describe("a server's reports reach Slack through the bot", () => {
  it("puts an automatic failover's report in its site's outbox; the bot posts it once, in the site's channel", async () => {
    const h = serverAndBot('auto');
    await outage(h.store, h.clock);
    const out = await h.server.evaluate('dc1', PRIMARY_DOWN);
    expect(out.result).toMatchObject({ ok: true, to: 'secondary' });
    // The routes moved without Slack; the report waits in dc1's outbox.
    expect(h.account.routeTables.replaced.length).toBeGreaterThan(0);
    expect(out.posted).toBe(true);
    const waiting = await h.store.list(OUTBOX_NS, { site: 'dc1' });
    expect(waiting).toHaveLength(1);
    expect(h.chat.posts).toEqual([]);

    expect(await h.relay().drain()).toBe(1);
    expect(h.chat.posts).toHaveLength(1);
    expect(h.chat.posts[0]!.channel).toBe(h.topology.sites[0]!.slackChannel);
    expect(h.chat.posts[0]!.text).toMatch(
      /^:rotating_light: Automatic failover of \*dc1\*: primary -> \*secondary\*/,
    );
    // Delivered once: the record is gone, a second pass (or a second bot replica) posts nothing.
    expect(await h.store.list(OUTBOX_NS, { site: 'dc1' })).toEqual([]);
    expect(await h.relay().drain()).toBe(0);
    expect(h.chat.posts).toHaveLength(1);
    await h.store.close();
  });

  it("turns a proposal into the bot's approval request (the server makes none itself)", async () => {
    const h = serverAndBot('propose');
    await outage(h.store, h.clock);
    const out = await h.server.evaluate('dc1', PRIMARY_DOWN);
    expect(out.decision).toMatchObject({ action: 'propose', to: 'secondary' });
    expect(out.proposal?.created).toBe(true);
    expect(h.account.routeTables.replaced).toEqual([]);
    expect(await h.store.list('approval')).toEqual([]);
    await h.relay().drain();
    expect(h.proposals).toEqual([
      expect.objectContaining({
        action: 'failover',
        site: 'dc1',
        to: 'secondary',
        requester: expect.any(String),
      }),
    ]);
    expect(h.proposals[0]!.evidence?.length).toBeGreaterThan(0);
    await h.store.close();
  });

  it('keeps a notice the bot could not post in its event, and posts it on a later pass, once (nothing lost)', async () => {
    const h = serverAndBot('manual');
    await outage(h.store, h.clock);
    await h.server.evaluate('dc1', PRIMARY_DOWN); // manual mode: an alert
    class FailingChat extends RecordingChat {
      override async post(): Promise<never> {
        throw new Error('slack is down');
      }
    }
    const failing = new FailingChat();
    await h.relay(failing).drain();
    // The report moved into its event's record (the store), which Slack is now behind on.
    expect(await h.store.list(OUTBOX_NS, { site: 'dc1' })).toHaveLength(0);
    expect(h.chat.posts).toHaveLength(0);
    // Another relay (a restarted bot, another replica) posts it on its next pass, and only once.
    await h.relay().drain();
    await h.relay().drain();
    expect(h.chat.posts).toHaveLength(1);
    expect(h.chat.posts[0]!.text).toMatch(/failover controller/);
    await h.store.close();
  });

  it('drops what is not a report, or names a tunnel the site does not have, without showing it', async () => {
    const h = serverAndBot('auto');
    const forged = [
      { report: { kind: 'text', text: '<!channel> click <https://evil.example|here>' } },
      {
        report: {
          kind: 'failover',
          to: '<!channel>',
          reason: 'x',
          result: { ok: true, from: 'primary', to: '<!channel>', changed: 1, durationMs: 1 },
        },
      },
      { report: { kind: 'alert', code: 'both-down', reason: 'x'.repeat(5000) } },
    ];
    for (const [i, value] of forged.entries()) await h.store.create(OUTBOX_NS, `dc1/forged-${i}`, value);
    expect(await h.relay().drain()).toBe(0);
    expect(h.chat.posts).toEqual([]);
    expect(await h.store.list(OUTBOX_NS, { site: 'dc1' })).toEqual([]);
    expect(h.lines.filter((l) => /dropped a report/.test(String(l.msg)))).toHaveLength(3);
    await h.store.close();
  });

  it('escapes what a report says, so a reason cannot mention the channel or link', async () => {
    const h = serverAndBot('auto');
    await h.store.create(OUTBOX_NS, 'dc1/x', {
      report: { kind: 'alert', code: 'both-down', reason: '<!channel> see <https://evil.example|this>' },
    });
    await h.relay().drain();
    expect(h.chat.posts[0]!.text).toContain('&lt;!channel&gt; see &lt;https://evil.example|this&gt;');
    await h.store.close();
  });
});
