/**
 * Two bot replicas' alarm services on one store (two SQLite connections to one file, as two processes would
 * share one table) and one Slack: whichever replica a notification reaches, each alarm is posted once and
 * updated in place, and the Acknowledge button works on the replica that did not post the message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AlarmState } from '../../../src/domain/alarm-event.js';
import { SlackStandin } from '../../../src/local/slack-standin.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
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
const at = (offsetMs: number) => new Date(Date.parse('2026-03-01T10:00:00.000Z') + offsetMs).toISOString();
const send = (k: Kit, name: string, state: AlarmState, offsetMs: number, id = messageId()) =>
  k.service.ingestMessage(id, cloudWatchAlarm({ name, state, time: at(offsetMs) }), log);
const ALARM = 'tunnelops-site01-primary-down';

/** How many current messages show each alarm (a duplicate post would show one twice). */
function messagesPerAlarm(standin: SlackStandin): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of standin.messages.values()) {
    if (m.threadTs) continue;
    for (const name of shownAlarmStates(m).keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

describe('alarms with two replicas on one store', () => {
  let dir: string;
  let standin: SlackStandin;
  let a: Kit;
  let b: Kit;
  const stores: SqliteStore[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tunnelops-alarm-replicas-'));
    standin = new SlackStandin({ postsPerSecondPerChannel: 1 });
    await standin.start();
    const replica = async () => {
      const store = new SqliteStore({ path: join(dir, 'state.db') });
      stores.push(store);
      return startKit(sitesTopology(10), { store, standin });
    };
    a = await replica();
    b = await replica();
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    for (const s of stores.splice(0)) await s.close();
    await standin.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ALARM through one replica, OK through the other: one message, updated in place, one thread reply', async () => {
    await (await send(a, ALARM, 'ALARM', 0)).settled();
    expect(topLevelPosts(standin)).toHaveLength(1);
    const post = topLevelPosts(standin)[0]!;

    const ok = await send(b, ALARM, 'OK', 60_000);
    expect(ok.status).toBe('accepted');
    await ok.settled();
    await waitFor(() => threadReplies(standin).length === 1, 10_000, 'the thread reply');
    expect(topLevelPosts(standin)).toHaveLength(1);
    const updates = standin.callsTo('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((u) => u.args.ts === post.ts)).toBe(true);
    expect(errorsAgainst(standin, new Map([[ALARM, 'OK']]))).toEqual([]);
    expect(threadReplies(standin)[0]?.args.thread_ts).toBe(post.ts);
  });

  it('the same notification delivered to both replicas at once (SQS redelivery, SNS retry) is posted once', async () => {
    const id = messageId();
    const [x, y] = await Promise.all([send(a, ALARM, 'ALARM', 0, id), send(b, ALARM, 'ALARM', 0, id)]);
    expect([x.status, y.status].sort()).toEqual(['accepted', 'duplicate']);
    // Both wait until Slack shows it, whichever replica showed it (SQS deletes the message only then).
    await Promise.all([x.settled(), y.settled()]);
    await Promise.all([a.service.publisher.drain(), b.service.publisher.drain()]);
    expect(topLevelPosts(standin)).toHaveLength(1);
    expect(messagesPerAlarm(standin).get(ALARM)).toBe(1);
  });

  it('two changes of one alarm reaching the two replicas at once: one message, showing the newer state', async () => {
    const [x, y] = await Promise.all([send(a, ALARM, 'ALARM', 0), send(b, ALARM, 'OK', 30_000)]);
    await Promise.allSettled([x.settled(), y.settled()]);
    await waitFor(
      () => errorsAgainst(standin, new Map([[ALARM, 'OK']])).length === 0,
      10_000,
      'the OK state shown',
    );
    await Promise.all([a.service.publisher.drain(), b.service.publisher.drain()]);
    expect(topLevelPosts(standin)).toHaveLength(1);
    expect(messagesPerAlarm(standin).get(ALARM)).toBe(1);
  });

  it('alarms of ten sites spread over both replicas: every alarm shown once, in its final state', async () => {
    const names = Array.from(
      { length: 10 },
      (_, i) => `tunnelops-site${String(i + 1).padStart(2, '0')}-primary-down`,
    );
    const firing = await Promise.all(names.map((n, i) => send(i % 2 ? b : a, n, 'ALARM', i)));
    await Promise.all(firing.map((f) => f.settled()));
    const healed = await Promise.all(names.map((n, i) => send(i % 2 ? a : b, n, 'OK', 60_000 + i)));
    await Promise.all(healed.map((f) => f.settled()));
    await Promise.all([a.service.publisher.drain(), b.service.publisher.drain()]);
    expect(errorsAgainst(standin, new Map(names.map((n) => [n, 'OK' as const])))).toEqual([]);
    const counts = messagesPerAlarm(standin);
    expect(names.map((n) => counts.get(n))).toEqual(names.map(() => 1));
  });

  it('Acknowledge clicked on the replica that did not post the message: shown in that message, audited once', async () => {
    const r = await send(a, ALARM, 'ALARM', 0);
    await r.settled();
    const key = a.service.records.get(r.alarmId!)!.home!;
    const acked = await b.service.acknowledge(key, 'UONCALL1');
    expect(acked.map((x) => x.name)).toEqual([ALARM]);
    await waitFor(
      () =>
        JSON.stringify(
          topLevelPosts(standin).length === 1 && [...standin.messages.values()][0]?.blocks,
        ).includes('Acknowledged by <@UONCALL1>'),
      10_000,
      'the acknowledgement shown',
    );
    expect(await a.service.acknowledge(key, 'UONCALL2')).toEqual([]);
    expect((await b.service.alarmsOf(key)).map((x) => x.ack?.by)).toEqual(['UONCALL1']);
    const audit = await a.store.listAudit({ site: 'site01' });
    expect(audit.filter((e) => e.event === 'acknowledged')).toHaveLength(1);
    expect(topLevelPosts(standin)).toHaveLength(1);
  });
});
