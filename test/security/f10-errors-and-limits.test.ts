import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createSandboxAccount } from '../../src/local/sandbox-account.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { silentLogger } from '../../src/log.js';
import type { Chat } from '../../src/ports/chat.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import { APPROVER_CACHE_MS, Approvers } from '../../src/services/approvals/approvers.js';
import { signSlackRequest, verifySlackRequest } from '../../src/slack/request-signature.js';
import { captureLog } from '../helpers/capture-log.js';
import { ManualClock } from '../helpers/fakes/manual-clock.js';
import { demoTopology, startTestApp, type TestApp } from '../helpers/test-app.js';
import { command, REQUESTER } from '../integration/approvals-support.js';
import { OTHER_TOPIC_ARN, TOPIC_ARN } from '../unit/sns/sns-pki.js';

// Finding 10: internal error text reached people and unauthenticated callers; /api/audit had no limit; odd
// Slack timestamps were accepted; client aborts were logged as errors with stacks; group membership was
// cached a minute.
const TOKEN = 'security-suite-api-token';
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('finding 10: errors, paging and small leaks', () => {
  it('a failing command tells the person what happened and an error id, never the internal text', async () => {
    const sqlite = new SqliteStore({ path: ':memory:' });
    const store = new Proxy(sqlite, {
      get(target, prop, receiver) {
        if (prop === 'listAudit')
          return async () => {
            throw new Error('SQLITE_CORRUPT: internal detail /var/lib/secret-path');
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
    const logs = captureLog();
    app = await startTestApp({ store, log: logs.log });
    const reply = await command(app, 'history dc1', REQUESTER);
    expect(reply).not.toMatch(/SQLITE|secret-path/);
    const errorId = /error (e[0-9a-z]+)/.exec(reply)?.[1];
    expect(errorId).toBeDefined();
    const logged = logs.lines.find((l) => l.errorId === errorId);
    expect(JSON.stringify(logged)).toContain('SQLITE_CORRUPT');
  });

  it('the chaos route asks for the token before telling whether this is a sandbox', async () => {
    // An injected account makes this "not the sandbox" (as with AWS).
    const account = createSandboxAccount({ topology: demoTopology(), clock: systemClock });
    app = await startTestApp({ account, env: { TUNNELOPS_API_TOKEN: TOKEN } });
    const res = await fetch(`${app.url}/api/sandbox/chaos`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });

  it('an SNS rejection does not name our configuration to the caller', async () => {
    app = await startTestApp({ env: { TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN } });
    const message = {
      Type: 'Notification',
      MessageId: 'm-1',
      TopicArn: OTHER_TOPIC_ARN,
      Message: '{}',
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      Signature: 'c2ln',
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
    };
    // Refused from its headers (before the body is read) and, with headers SNS would send, over the body.
    const headers = [{}, { 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': TOPIC_ARN }];
    for (const h of headers) {
      const res = await fetch(`${app.url}/sns`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify(message),
      });
      expect(res.status).toBe(403);
      const text = await res.text();
      expect(text).not.toMatch(/TUNNELOPS|topic|arn:/i);
      expect(Object.keys(JSON.parse(text))).toContain('error');
    }
  });

  it('GET /api/audit pages with limit and cursor, and refuses a limit over the maximum', async () => {
    app = await startTestApp({ env: { TUNNELOPS_API_TOKEN: TOKEN } });
    for (let i = 0; i < 5; i++)
      await app.ctx.store.appendAudit({
        at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        site: 'dc1',
        action: 'failover',
        actor: 'UREQUESTER',
        event: `e${i}`,
      });
    const get = async (q: string) => {
      const res = await fetch(`${app!.url}/api/audit${q}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return {
        status: res.status,
        body: (await res.json()) as { entries?: Array<{ event: string }>; next?: string | null },
      };
    };
    expect((await get('?limit=5000')).status).toBe(400);
    expect((await get('?limit=0')).status).toBe(400);
    expect((await get('?cursor=%%%')).status).toBe(400);
    const first = await get('?site=dc1&limit=2');
    expect(first.body.entries?.map((e) => e.event)).toEqual(['e3', 'e4']);
    const second = await get(`?site=dc1&limit=2&cursor=${first.body.next}`);
    expect(second.body.entries?.map((e) => e.event)).toEqual(['e1', 'e2']);
    const third = await get(`?site=dc1&limit=2&cursor=${second.body.next}`);
    expect(third.body).toEqual({ next: null, entries: [expect.objectContaining({ event: 'e0' })] });
  });

  it('a Slack timestamp in any form but plain decimal seconds is refused', () => {
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const body = Buffer.from('token=x&command=%2Fvpn&text=status');
    const signature = signSlackRequest('s3cret', ts, body);
    const verify = (tsHeader: string) => () =>
      verifySlackRequest(
        's3cret',
        { 'x-slack-signature': signature, 'x-slack-request-timestamp': tsHeader },
        body,
        now,
      );
    expect(verify(String(ts))).not.toThrow();
    for (const odd of [`0x${ts.toString(16)}`, `${ts}.000`, ` ${ts}`, `${ts}e0`, `0${ts}`])
      expect(verify(odd)).toThrow(/plain decimal seconds/);
  });

  it('a client that hangs up mid-body is one info line, not an error with a stack', async () => {
    const logs = captureLog();
    app = await startTestApp({ log: logs.log });
    const { port } = new URL(app.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        // Headers that pass the check made before the body is read, so the server is reading when it goes.
        const ts = Math.floor(Date.now() / 1000);
        socket.write(
          `POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Request-Timestamp: ${ts}\r\nX-Slack-Signature: v0=00\r\nContent-Length: 5000\r\n\r\npartial`,
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
    const gone = logs.lines.find((l) => l.msg === 'client went away');
    expect(gone).toMatchObject({ level: 30 });
    expect(JSON.stringify(gone)).not.toContain('stack');
  });

  it('approver group membership is re-read after a few seconds, not a minute', async () => {
    const clock = new ManualClock();
    let members = ['UOLD'];
    let calls = 0;
    const chat = {
      userGroupMembers: async () => {
        calls++;
        return members;
      },
    } as unknown as Chat;
    const approvers = new Approvers({ chat, clock, log: silentLogger() });
    const site = { ...demoTopology().sites[0]!, approvers: { users: [], userGroups: ['S0ONCALL'] } };
    expect(await approvers.isApprover(site, 'UOLD')).toBe(true);
    members = ['UNEW']; // UOLD left the on-call group
    clock.advance(APPROVER_CACHE_MS + 1);
    expect(await approvers.isApprover(site, 'UOLD')).toBe(false);
    expect(APPROVER_CACHE_MS).toBeLessThanOrEqual(10_000);
    expect(calls).toBe(2);
  });
});
