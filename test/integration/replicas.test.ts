/**
 * Two bot replicas in one test process: two full apps (real HTTP servers, signed requests) on one store (two
 * SQLite connections to one file, as two tasks share one table) and one Slack (the stand-in, wire format),
 * driving one account. What test/moto/two-replicas.test.ts does not reach: the sweep in every replica, a
 * replica killed in the middle of a run, POST /sns on both, GitHub deliveries and /deploy locks.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { DeployLock } from '../../src/github/deploy-lock.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import type { Account } from '../../src/ports/account.js';
import type { Clock } from '../../src/ports/clock.js';
import { shownAlarmStates } from '../../src/slack/views/alarm-view.js';
import { demoTopology, startTestApp, type TestApp } from '../helpers/test-app.js';
import {
  CERT_HOST,
  CERT_PATH,
  cloudWatchAlarm,
  makeTestPki,
  signedNotification,
  type TestPki,
  TOPIC_ARN,
} from '../unit/sns/sns-pki.js';
import {
  APPROVER1,
  CHANNEL,
  countingAccount,
  movableClock,
  REQUESTER,
  requestFailover,
  requestState,
  tempDataDirs,
  waitFor,
} from './approvals-support.js';

const WEBHOOK_SECRET = 'replicas-webhook-secret';

describe('two replicas on one store and one Slack', () => {
  const newDataDir = tempDataDirs('tunnelops-replicas-');
  let standin: SlackStandin;
  let replicas: TestApp[] = [];
  let pki: TestPki;

  beforeAll(() => {
    pki = makeTestPki();
  });
  beforeEach(async () => {
    standin = new SlackStandin();
    await standin.start();
  });
  afterEach(async () => {
    for (const r of replicas) await r.ctx.services.alarms.publisher.drain(10_000);
    await Promise.all(replicas.map((r) => r.close()));
    replicas = [];
    await standin.stop();
  });

  /** Two apps on one data dir (one SQLite file), one Slack, one account. */
  async function startReplicas(o: { account?: Account; clock?: Clock; dataDir?: string } = {}) {
    const dataDir = o.dataDir ?? newDataDir();
    const start = () =>
      startTestApp({
        dataDir,
        ...(o.account ? { account: o.account } : {}),
        ...(o.clock ? { clock: o.clock } : {}),
        env: {
          SLACK_BOT_TOKEN: 'xoxb-replicas-test',
          SLACK_API_URL: standin.url,
          TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN,
          WEBHOOK_SECRET,
        },
      });
    replicas = await Promise.all([start(), start()]);
    return replicas as [TestApp, TestApp];
  }

  it('every replica sweeps: a request past its expiry is expired once, and its message updated once', async () => {
    const clock = movableClock();
    const { account } = countingAccount(clock);
    const [a, b] = await startReplicas({ account, clock });
    const id = await requestFailover(a, REQUESTER, '"expiring"', clock);
    const ts = (await requestState(b, id)).message?.ts;
    expect(ts).toBeDefined();
    const updatesBefore = standin.callsTo('chat.update').filter((u) => u.args.ts === ts).length;
    clock.advance(24 * 60 * 60_000);
    const closed = await Promise.all([
      a.ctx.services.approvals.expireDue(),
      b.ctx.services.approvals.expireDue(),
      a.ctx.services.approvals.expireDue(),
      b.ctx.services.approvals.expireDue(),
    ]);
    expect(closed.reduce((x, y) => x + y, 0)).toBe(1);
    expect((await requestState(a, id)).state).toBe('expired');
    const audit = (await b.ctx.store.listAudit({ site: 'dc1' })).filter((e) => e.requestId === id);
    expect(audit.filter((e) => e.event === 'expired')).toHaveLength(1);
    expect(standin.callsTo('chat.update').filter((u) => u.args.ts === ts).length - updatesBefore).toBe(1);
  });

  it('a replica killed mid-failover: the survivors report the run from the route tables, and never run it again', async () => {
    const dataDir = newDataDir();
    const { account, replaces } = countingAccount({ now: () => Date.now() });
    // What the killed replica left: two of the four routes moved, the run "executing" under a lease it no
    // longer renews (it died), its request message in the channel.
    const site = demoTopology().sites[0]!;
    const [rtb] = site.routeTableIds;
    for (const cidr of site.onPremCidrs) await account.routeTables.replace(site, rtb!, cidr, 'secondary');
    const movedByTheDead = replaces.length;
    const now = Date.now();
    const request: ApprovalRequest = {
      id: 'fo-k1lled',
      action: 'failover',
      site: 'dc1',
      requester: REQUESTER,
      to: 'secondary',
      state: 'executing',
      createdAt: now - 10 * 60_000,
      expiresAt: now + 5 * 60_000,
      approver: APPROVER1,
      approvedAt: now - 9 * 60_000,
      startedAt: now - 9 * 60_000,
      leaseUntil: now - 60_000,
      message: { channel: CHANNEL, ts: '1700000000.000001' },
    };
    const seed = new SqliteStore({ path: join(dataDir, 'tunnelops.sqlite') });
    await seed.create('approval-open', 'dc1/failover', { id: request.id });
    await seed.create('approval', request.id, request);
    await seed.close();

    // Both survivors sweep at start, at the same moment, and again on demand.
    const [a, b] = await startReplicas({ account, dataDir });
    await Promise.all([a.ctx.services.approvals.expireDue(), b.ctx.services.approvals.expireDue()]);
    const r = await requestState(b, request.id);
    expect(r.state).toBe('failed');
    expect(r.result?.summary).toMatch(/interrupted.*2\/4 route\(s\) on secondary/);
    const audit = (await a.ctx.store.listAudit({ site: 'dc1' })).filter((e) => e.requestId === request.id);
    expect(audit.map((e) => e.event)).toEqual(['reconciled']);
    // Reported once, in the run's own message; no route call made by the survivors.
    expect(standin.callsTo('chat.update').filter((u) => u.args.ts === '1700000000.000001')).toHaveLength(1);
    expect(replaces).toHaveLength(movedByTheDead);
    expect(await a.ctx.services.approvals.store.openFor('dc1', 'failover')).toBeNull();
  });

  it('POST /sns on both: the same notification posted once, the next state updating that message', async () => {
    nock(CERT_HOST).persist().get(CERT_PATH).reply(200, pki.certPem);
    const [a, b] = await startReplicas();
    const name = 'tunnelops-dc1-primary-down';
    const post = (app: TestApp, body: Record<string, string>) =>
      fetch(`${app.url}/sns`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'x-amz-sns-message-type': 'Notification',
          'x-amz-sns-message-id': body.MessageId ?? '',
          'x-amz-sns-topic-arn': body.TopicArn ?? '',
        },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    const alarm = signedNotification(pki, { message: cloudWatchAlarm({ name, state: 'ALARM' }) });
    // SNS retries a delivery it thinks failed; the load balancer may send each try to a different replica.
    expect((await Promise.all([post(a, alarm), post(b, alarm), post(a, alarm)])).every((s) => s < 300)).toBe(
      true,
    );
    const posts = () => standin.callsTo('chat.postMessage').filter((m) => !m.args.thread_ts);
    await waitFor('the alarm posted', () => (posts().length ? true : undefined));
    const ok = signedNotification(pki, {
      message: cloudWatchAlarm({ name, state: 'OK', time: new Date(Date.now() + 60_000).toISOString() }),
    });
    expect(await post(b, ok)).toBeLessThan(300);
    const ts = posts()[0]!.ts!;
    await waitFor('the message showing OK', () =>
      shownAlarmStates(standin.messages.get(`C0SANDBOX1:${ts}`)!).get(name) === 'OK' ? true : undefined,
    );
    await Promise.all([a, b].map((x) => x.ctx.services.alarms.publisher.drain(10_000)));
    expect(posts()).toHaveLength(1);
    expect(standin.callsTo('chat.update').filter((u) => u.args.ts === ts)).toHaveLength(1);
  });

  it('a GitHub delivery reaching both replicas (a redelivery, a retry) is handled by one', async () => {
    const [a, b] = await startReplicas();
    const body = readFileSync('test/fixtures/github/pull_request.opened.json', 'utf8');
    const send = (app: TestApp) =>
      fetch(`${app.url}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'pull_request',
          'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const answers = await Promise.all([send(a), send(b), send(b)]);
    expect(answers.map((x) => x.status)).toEqual([200, 200, 200]);
    expect(answers.filter((x) => x.body === 'ok\n')).toHaveLength(1);
    expect(answers.filter((x) => x.body.includes('"duplicate"'))).toHaveLength(2);
  });

  it('/deploy locks: of two deploys racing on the two replicas, one holds the environment', async () => {
    const [a, b] = await startReplicas();
    const holder = (pr: number) => ({
      pr,
      by: `u${pr}`,
      sha: `sha${pr}`,
      repo: 'o/r',
      at: new Date().toISOString(),
    });
    const got = await Promise.all([
      new DeployLock(a.ctx.store).acquire('prod', holder(1)),
      new DeployLock(b.ctx.store).acquire('prod', holder(2)),
    ]);
    expect(got.filter(Boolean)).toHaveLength(1);
    const winner = got[0] ? 1 : 2;
    expect((await new DeployLock(b.ctx.store).holder('prod'))?.pr).toBe(winner);
    // The loser's late release cannot free the winner's lock; the winner's does, on either replica.
    expect(await new DeployLock(a.ctx.store).release('prod', 3 - winner)).toBe(false);
    expect(await new DeployLock(b.ctx.store).release('prod', winner)).toBe(true);
    expect(await new DeployLock(a.ctx.store).holder('prod')).toBeNull();
  });
});
