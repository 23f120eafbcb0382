import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseAlarmMessage } from '../../src/domain/alarm-parse.js';
import { parseBoundedJson } from '../../src/domain/bounded-json.js';
import { BadRequestError } from '../../src/domain/errors.js';
import { readZip } from '../../src/github/read-zip.js';
import { NS_SEEN } from '../../src/services/alarms/alarm-service.js';
import { NS_ALARM } from '../../src/services/alarms/alarm-state-store.js';
import { signSlackRequest } from '../../src/slack/request-signature.js';
import { parseSnsMessage } from '../../src/sns/sns-message.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { makeZip } from '../helpers/zip.js';
import { TOPIC_ARN } from '../unit/sns/sns-pki.js';
import { signGithub, WEBHOOK_SECRET } from './support.js';

/**
 * Random JSON, urlencoded and zip bodies at every endpoint and parser: never a 5xx, never more than
 * RSS_BOUND_MB of extra memory around a call, never a change of state.
 */
const RSS_BOUND_MB = 64;
const RUNS = 40;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { WEBHOOK_SECRET, TUNNELOPS_SNS_TOPIC_ARNS: TOPIC_ARN } });
});
afterAll(async () => {
  await app.close();
});

const jsonText = fc.oneof(
  fc.json({ maxDepth: 6 }),
  fc.string({ maxLength: 200 }),
  // Deep nesting, the kind a depth limit is for.
  fc.integer({ min: 60, max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
);
const formText = fc
  .dictionary(
    fc.string({ maxLength: 20 }),
    fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 4 })),
    {
      maxKeys: 6,
    },
  )
  .map((d) => new URLSearchParams(d).toString());
const zipBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.string({ maxLength: 200 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
    .map(([text, at, byte]) => {
      const zip = makeZip({ 'cdk-diff.txt': text });
      zip[at % zip.length] = byte; // one corrupted byte anywhere
      return zip;
    }),
);
const body = fc.oneof(
  jsonText.map((b) => ({ b: Buffer.from(b), type: 'application/json' })),
  formText.map((b) => ({ b: Buffer.from(b), type: 'application/x-www-form-urlencoded' })),
  zipBytes.map((b) => ({ b, type: 'application/zip' })),
);

async function stateSnapshot(): Promise<string> {
  const s = app.ctx.store;
  return JSON.stringify({
    audit: await s.listAudit(),
    approvals: await s.list('approval'),
    deliveries: await s.list('github-delivery'),
    alarms: await s.list(NS_ALARM),
    seen: await s.list(NS_SEEN),
    slack: app.slackStandin?.calls.length,
    routes: (
      (await (await fetch(`${app.url}/api/status`)).json()) as { sites: Array<{ routes: unknown }> }
    ).sites.map((site) => site.routes),
  });
}

type Sender = (b: Buffer, type: string) => Promise<Response>;
const post =
  (path: string, headers: (b: Buffer) => Record<string, string> = () => ({})): Sender =>
  (b, type) =>
    fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers(b) }, body: b });

const ENDPOINTS: Array<[string, Sender]> = [
  [
    'POST /slack/events (signed)',
    post('/slack/events', (b) => {
      const ts = Math.floor(Date.now() / 1000);
      return {
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest(app.signingSecret, ts, b),
      };
    }),
  ],
  ['POST /sns', post('/sns', () => ({ 'x-amz-sns-message-type': 'Notification' }))],
  [
    'POST /api/github/webhooks (bad signature)',
    post('/api/github/webhooks', (b) => ({
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'fuzz',
      'x-hub-signature-256': signGithub(b, 'not-the-secret'),
    })),
  ],
  ['POST /api/sandbox/alarm', post('/api/sandbox/alarm')],
  ['POST /api/sandbox/chaos', post('/api/sandbox/chaos')],
  [
    'GET /api/audit',
    (b) =>
      fetch(`${app.url}/api/audit?limit=${b.length % 2000}&cursor=${b.toString('base64url').slice(0, 40)}`),
  ],
];

describe('random inputs at every endpoint', () => {
  it.each(ENDPOINTS)(
    '%s: no 5xx, bounded memory, no state change',
    async (_name, send) => {
      const before = await stateSnapshot();
      await fc.assert(
        fc.asyncProperty(body, async ({ b, type }) => {
          const rss = process.memoryUsage().rss;
          const res = await send(b, type);
          await res.arrayBuffer();
          expect(res.status).toBeLessThan(500);
          expect((process.memoryUsage().rss - rss) / 1024 / 1024).toBeLessThan(RSS_BOUND_MB);
        }),
        { numRuns: RUNS },
      );
      expect(await stateSnapshot()).toBe(before);
    },
    60_000,
  );
});

describe('random inputs at every parser of external data', () => {
  const typed = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(BadRequestError);
    }
  };
  it('zip, JSON, SNS and alarm parsers fail only with a clear error, within the memory bound', () => {
    fc.assert(
      fc.property(zipBytes, jsonText, (zip, json) => {
        const rss = process.memoryUsage().rss;
        typed(() => readZip(zip));
        typed(() => parseBoundedJson(json));
        expect(() => parseSnsMessage(json)).not.toThrow();
        expect(() => parseAlarmMessage(json)).not.toThrow();
        expect((process.memoryUsage().rss - rss) / 1024 / 1024).toBeLessThan(RSS_BOUND_MB);
      }),
      { numRuns: 300 },
    );
  });
});
