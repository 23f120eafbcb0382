import { afterEach, describe, expect, it } from '@jest/globals';
import { LogLevel, WebClient } from '@slack/web-api';
import type { AlarmState } from '../../../src/domain/alarm-event.js';
import { SlackStandin } from '../../../src/local/slack-standin.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { NS_SEEN } from '../../../src/services/alarms/alarm-service.js';
import { SlackChat } from '../../../src/slack/slack-chat.js';
import { shownAlarmStates } from '../../../src/slack/views/alarm-view.js';
import { cloudWatchAlarm, messageId } from '../sns/sns-pki.js';
import {
  errorsAgainst,
  type Kit,
  sitesTopology,
  startKit,
  threadReplies,
  topLevelPosts,
  waitFor,
} from './alarm-test-kit.js';

const log = silentLogger();
let kit: Kit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

const at = (offsetMs: number) => new Date(Date.parse('2026-03-01T10:00:00.000Z') + offsetMs).toISOString();
const send = (k: Kit, name: string, state: AlarmState, offsetMs: number, id = messageId()) =>
  k.service.ingestMessage(id, cloudWatchAlarm({ name, state, time: at(offsetMs) }), log);

describe('AlarmService + publisher against the rate-limited Slack stand-in', () => {
  it('posts one message per alarm, updates it in place on a change, replies in its thread, and marks OK resolved', async () => {
    kit = await startKit(sitesTopology(2));
    const k = kit;
    const first = await send(k, 'tunnelops-site01-primary-down', 'ALARM', 0);
    expect(first.status).toBe('accepted');
    await first.settled();
    expect(topLevelPosts(k.standin)).toHaveLength(1);
    const post = topLevelPosts(k.standin)[0]!;
    expect(post.args.channel).toBe('C0ALARMS1');
    expect(JSON.stringify(post.args.blocks)).toContain('alarm_failover');
    expect(JSON.stringify(post.args.blocks)).toContain('site *site01* · tunnel *primary*');

    const second = await send(k, 'tunnelops-site01-primary-down', 'OK', 60_000);
    await second.settled();
    await waitFor(() => threadReplies(k.standin).length === 1, 5000, 'thread reply');
    expect(topLevelPosts(k.standin)).toHaveLength(1);
    const updates = k.standin.callsTo('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.at(-1)?.args.ts).toBe(post.ts);
    const shown = k.standin.messages.get(`C0ALARMS1:${post.ts}`)!;
    expect(shownAlarmStates(shown).get('tunnelops-site01-primary-down')).toBe('OK');
    expect(shown.text).toContain('resolved');
    expect(JSON.stringify(shown.blocks)).not.toContain('alarm_failover');
    expect(threadReplies(k.standin)[0]?.args.thread_ts).toBe(post.ts);
    expect(String(threadReplies(k.standin)[0]?.args.text)).toContain('ALARM → *OK*');
  });

  it('ignores duplicates (same MessageId) and deliveries older than the known state', async () => {
    kit = await startKit(sitesTopology(1));
    const k = kit;
    const id = messageId();
    await (await send(k, 'tunnelops-site01-primary-down', 'ALARM', 10_000, id)).settled();
    expect((await send(k, 'tunnelops-site01-primary-down', 'ALARM', 10_000, id)).status).toBe('duplicate');
    const older = await send(k, 'tunnelops-site01-primary-down', 'OK', 0);
    expect(older).toMatchObject({ status: 'ignored', reason: /older/ });
    await new Promise((r) => setTimeout(r, 200));
    expect(k.standin.calls.filter((c) => c.method.startsWith('chat.'))).toHaveLength(1);
    expect(errorsAgainst(k.standin, new Map([['tunnelops-site01-primary-down', 'ALARM']]))).toEqual([]);
  });

  it('coalesces a burst on one site into one site message', async () => {
    kit = await startKit(sitesTopology(2));
    const k = kit;
    const names = ['primary-down', 'secondary-down', 'primary-loss', 'secondary-loss'].map(
      (x) => `tunnelops-site01-${x}`,
    );
    const results = await Promise.all(names.map((n, i) => send(k, n, 'ALARM', i)));
    await Promise.all(results.map((r) => r.settled()));
    expect(topLevelPosts(k.standin)).toHaveLength(1);
    expect(String(topLevelPosts(k.standin)[0]?.args.text)).toContain('site01: 4 alarms changing');
    expect(errorsAgainst(k.standin, new Map(names.map((n) => [n, 'ALARM'])))).toEqual([]);
  });

  it('turns a storm over many sites into one summary updated in place, ending with every final state shown', async () => {
    kit = await startKit(sitesTopology(10));
    const k = kit;
    const truth = new Map<string, AlarmState>();
    const pending: Promise<unknown>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let s = 1; s <= 10; s++) {
        for (const t of ['primary', 'secondary']) {
          const name = `tunnelops-site${String(s).padStart(2, '0')}-${t}-down`;
          const state: AlarmState = (round + s) % 2 === 0 ? 'ALARM' : 'OK';
          truth.set(name, state);
          pending.push(send(k, name, state, round * 1000 + s).then((r) => r.settled()));
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    await Promise.all(pending);
    expect(errorsAgainst(k.standin, truth)).toEqual([]);
    expect(topLevelPosts(k.standin).length).toBeLessThanOrEqual(2);
    const storm = [...k.standin.messages.values()].find((m) => m.text.startsWith('Alarm storm'));
    expect(storm?.text).toContain('20 alarms on 10 sites');
    expect(threadReplies(k.standin)).toHaveLength(0);
  });

  it('keeps posts to about one per second per channel, so the stand-in never answers 429', async () => {
    kit = await startKit(sitesTopology(3, (i) => `C0SITE${i}`));
    const k = kit;
    const results = await Promise.all(
      [1, 2, 3].map((s) => send(k, `tunnelops-site0${s}-primary-down`, 'ALARM', 0)),
    );
    await Promise.all(results.map((r) => r.settled()));
    const r2 = await send(k, 'tunnelops-site01-primary-down', 'OK', 1000);
    const r3 = await send(k, 'tunnelops-site01-secondary-down', 'ALARM', 1000);
    await Promise.all([r2.settled(), r3.settled()]);
    await waitFor(() => k.service.publisher.idle() || threadReplies(k.standin).length >= 1, 5000);
    expect(k.standin.http429).toBe(0);
    const posts = k.standin.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0SITE0');
    for (let i = 1; i < posts.length; i++) {
      expect(Date.parse(posts[i]!.at) - Date.parse(posts[i - 1]!.at)).toBeGreaterThanOrEqual(990);
    }
  });

  it('records acknowledgements in the message and the audit log', async () => {
    kit = await startKit(sitesTopology(1));
    const k = kit;
    const r = await send(k, 'tunnelops-site01-primary-down', 'ALARM', 0);
    await r.settled();
    const key = k.service.records.get(r.alarmId!)!.home!;
    const acked = await k.service.acknowledge(key, 'UONCALL1');
    expect(acked.map((a) => a.name)).toEqual(['tunnelops-site01-primary-down']);
    await waitFor(
      () =>
        JSON.stringify([...k.standin.messages.values()][0]?.blocks).includes('Acknowledged by <@UONCALL1>'),
      5000,
      'ack shown',
    );
    expect(await k.service.acknowledge(key, 'UONCALL2')).toEqual([]);
    const audit = await k.store.listAudit({ site: 'site01' });
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'UONCALL1', event: 'acknowledged', action: 'alarm' }),
    ]);
  });

  it('after a restart, updates the stored message instead of posting a new one', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    const standin = new SlackStandin({ postsPerSecondPerChannel: 1 });
    await standin.start();
    try {
      const topology = sitesTopology(1);
      const a = await startKit(topology, { store, standin });
      await (await send(a, 'tunnelops-site01-primary-down', 'ALARM', 0)).settled();
      await a.close();
      const b = await startKit(topology, { store, standin });
      await (await send(b, 'tunnelops-site01-primary-down', 'OK', 5000)).settled();
      await b.close();
      expect(topLevelPosts(standin)).toHaveLength(1);
      expect(errorsAgainst(standin, new Map([['tunnelops-site01-primary-down', 'OK']]))).toEqual([]);
      expect(await store.get(NS_SEEN, 'nope')).toBeNull();
    } finally {
      await standin.stop();
      await store.close();
    }
  });

  it('attaches the site health graph in the new alarm message thread', async () => {
    const graphs: string[][] = [];
    kit = await startKit(sitesTopology(1), {
      uploadGraph: async (channel, ts, site) => {
        graphs.push([channel, ts, site]);
      },
    });
    const k = kit;
    await (await send(k, 'tunnelops-site01-primary-down', 'ALARM', 0)).settled();
    await waitFor(() => graphs.length === 1, 5000, 'graph upload');
    expect(graphs[0]).toEqual(['C0ALARMS1', topLevelPosts(k.standin)[0]?.ts, 'site01']);
  });

  it('posts unmapped alarms too, marked as not mapped, in the default channel', async () => {
    kit = await startKit(sitesTopology(1));
    const k = kit;
    await (await send(k, 'ServerCpuTooHigh', 'ALARM', 0)).settled();
    const post = topLevelPosts(k.standin)[0]!;
    expect(post.args.channel).toBe('C0ALARMS1');
    expect(JSON.stringify(post.args.blocks)).toContain('not mapped to a site');
    expect(JSON.stringify(post.args.blocks)).not.toContain('alarm_failover');
  });
});

describe('Slack 429 handling', () => {
  it('WebClient retries a 429 after Retry-After, so both posts land', async () => {
    const standin = new SlackStandin({ postsPerSecondPerChannel: 1 });
    await standin.start();
    try {
      const chat = new SlackChat(
        new WebClient('xoxb-test', { slackApiUrl: standin.url, logLevel: LogLevel.ERROR }),
      );
      const t0 = Date.now();
      const refs = await Promise.all([chat.post('C1', { text: 'one' }), chat.post('C1', { text: 'two' })]);
      expect(refs.map((r) => r.ts)).toHaveLength(2);
      expect(standin.http429).toBeGreaterThanOrEqual(1);
      expect(standin.callsTo('chat.postMessage')).toHaveLength(2);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    } finally {
      await standin.stop();
    }
  });
});
