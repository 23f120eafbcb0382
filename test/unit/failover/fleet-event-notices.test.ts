import { describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import type { Site } from '../../../src/config/topology-schema.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { ChatMessage, ChatMessageRef } from '../../../src/ports/chat.js';
import { EVENT_WINDOW_MS } from '../../../src/services/failover/fleet-event-notices.js';
import { OutboxRelay, ReportOutbox } from '../../../src/services/failover/report-outbox.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { demoTopology } from '../../helpers/test-app.js';
import { RecordingChat } from './fakes.js';

/** Posts (with their thread) and in-place updates, as Slack would see them. */
class EventChat extends RecordingChat {
  readonly updates: Array<{ ref: ChatMessageRef } & ChatMessage> = [];
  override async update(ref: ChatMessageRef, message: ChatMessage): Promise<void> {
    this.updates.push({ ref, ...message });
  }
}

/** n sites in one channel; odd sites' primaries in us-east-1a, even ones' in us-east-1b (alternate placement). */
function fleet(n: number): Site[] {
  const dc1 = demoTopology().sites[0]!;
  return parseTopology(
    JSON.stringify({
      sites: Array.from({ length: n }, (_, i) => ({
        ...dc1,
        name: `site${String(i + 1).padStart(3, '0')}`,
        slackChannel: 'C0FLEET001',
        tunnels: dc1.tunnels.map((t, k) => ({
          ...t,
          availabilityZone: (i + k) % 2 === 0 ? 'us-east-1a' : 'us-east-1b',
        })),
      })),
    }),
    'test',
  ).sites;
}

const movedOff = (_site: Site) => ({
  kind: 'failover' as const,
  to: 'secondary',
  reason: 'monitor reports down',
  result: { ok: true as const, from: 'primary', to: 'secondary', changed: 2, durationMs: 900 },
});

/** Slack's limits on a message: 50 blocks, 3000 chars a section, and our 3000-char text fallback. */
function expectWithinSlackLimits(m: ChatMessage): void {
  const blocks = (m.blocks ?? []) as Array<{ text?: { text: string } }>;
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const b of blocks) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
  expect(m.text.length).toBeLessThanOrEqual(3000);
}

function world(n: number) {
  const clock = new ManualClock(Date.parse('2026-12-07T15:00:00Z'));
  const store = new SqliteStore({ path: ':memory:', clock });
  const sites = fleet(n);
  const chat = new EventChat();
  const outbox = new ReportOutbox({ store, clock });
  const relay = new OutboxRelay({ store, sites, chat, clock, log: captureLog().log });
  return { clock, store, sites, chat, outbox, relay };
}

describe('one event, one message', () => {
  it('posts an AZ outage across 250 of 500 sites as one message updated in place and 3 thread replies', async () => {
    const w = world(500);
    const hit = w.sites.filter((_, i) => i % 2 === 0); // primaries in us-east-1a
    expect(hit).toHaveLength(250);
    // The reports arrive over a minute, across many relay passes (every 2 s), as the fleet heals.
    for (let i = 0; i < hit.length; i += i === 0 ? 1 : 10) {
      for (const site of hit.slice(i, i === 0 ? 1 : i + 10)) await w.outbox.report(site, movedOff(site));
      await w.relay.drain();
      w.clock.advance(2_000);
    }
    await w.relay.drain();
    const top = w.chat.posts.filter((p) => !p.threadTs);
    const thread = w.chat.posts.filter((p) => p.threadTs);
    expect(top).toHaveLength(1);
    expect(thread).toHaveLength(3);
    expect(w.chat.posts.length).toBeLessThanOrEqual(5);
    expect(new Set(thread.map((p) => p.threadTs))).toEqual(new Set(['1']));
    // The first report showed as a site's own message; the message then became the event's.
    expect(top[0]!.text).toMatch(/Automatic failover of \*site001\*/);
    const last = w.chat.updates.filter((u) => u.ref.ts === '1').at(-1)!;
    expect(last.text).toMatch(/\*250 sites\* with a tunnel in AZ us-east-1a \(us-east-1\)/);
    expect(last.text).toContain(':white_check_mark: 250 failed over automatically');
    expectWithinSlackLimits(last);
    // Every site is in the thread exactly once (posts, then their latest updates).
    const latest = new Map<string, ChatMessage>();
    for (const p of w.chat.posts) latest.set(String(w.chat.posts.indexOf(p) + 1), p);
    for (const u of w.chat.updates) latest.set(u.ref.ts, u);
    const replies = [...latest].filter(([ts]) => ts !== '1').map(([, m]) => m);
    for (const r of replies) expectWithinSlackLimits(r);
    const listed = replies.flatMap((r) => JSON.stringify(r.blocks).match(/\*site\d{3}\*/g) ?? []);
    expect(listed.sort()).toEqual(hit.map((s) => `*${s.name}*`).sort());
    // Updates are one per pass at most, not one per site.
    expect(w.chat.updates.filter((u) => u.ref.ts === '1').length).toBeLessThanOrEqual(26);
    await w.store.close();
  });

  it('keeps a lone failover its own message, another AZ its own event, and starts anew after a quiet spell', async () => {
    const w = world(4);
    const [a1, b1, a2] = [w.sites[0]!, w.sites[1]!, w.sites[2]!];
    await w.outbox.report(a1, movedOff(a1));
    await w.outbox.report(b1, movedOff(b1)); // primary in us-east-1b: another event
    await w.relay.drain();
    expect(w.chat.posts.map((p) => p.text.split(':')[1])).toHaveLength(2);
    expect(
      w.chat.posts.every((p) => /^:rotating_light: Automatic failover of \*site00[12]\*/.test(p.text)),
    ).toBe(true);
    w.clock.advance(EVENT_WINDOW_MS + 1000);
    await w.outbox.report(a2, movedOff(a2));
    await w.relay.drain();
    expect(w.chat.posts).toHaveLength(3);
    expect(w.chat.updates).toHaveLength(0);
    await w.store.close();
  });

  it('escapes what a report says in the event message and its thread', async () => {
    const w = world(2);
    for (const site of w.sites)
      await w.outbox.report(site, {
        kind: 'failover',
        to: 'secondary',
        reason: 'x',
        result: {
          ok: false,
          refused: false,
          reason: '<!channel> <https://evil|x>',
          changed: 0,
          rolledBack: 0,
          durationMs: 5,
        },
      });
    await w.relay.drain();
    const all = JSON.stringify([...w.chat.posts, ...w.chat.updates]);
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!channel&gt;');
    await w.store.close();
  });
});
