import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// GitHub's documented example for X-Hub-Signature-256.
const SECRET = "It's a Secret to Everybody";
const DOC_BODY = 'Hello, World!';
const DOC_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { WEBHOOK_SECRET: SECRET } });
});
afterAll(async () => {
  await app.close();
});

const post = (body: string, headers: Record<string, string>) =>
  fetch(`${app.url}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe('POST /api/github/webhooks', () => {
  it('signs like GitHub documents', () => {
    expect(sign(DOC_BODY)).toBe(DOC_SIGNATURE);
  });

  it('rejects a bad signature without side effects', async () => {
    const body = readFileSync('test/fixtures/github/issue_comment.created.json', 'utf8').replace(
      'You are totally right',
      '/deploy prod',
    );
    const res = await post(body, {
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'x1',
      'x-hub-signature-256': DOC_SIGNATURE,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(nock.pendingMocks()).toEqual([]);
    expect(await app.ctx.store.get('deploy-lock', 'prod')).toBeNull();
  });

  it('rejects a missing signature', async () => {
    const res = await post('{}', { 'x-github-event': 'issue_comment', 'x-github-delivery': 'x2' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('accepts a correctly signed event it does not handle and calls nothing', async () => {
    const body = readFileSync('test/fixtures/github/pull_request.opened.json', 'utf8');
    const res = await post(body, {
      'x-github-event': 'pull_request',
      'x-github-delivery': 'x3',
      'x-hub-signature-256': sign(body),
    });
    expect({ status: res.status, body: await res.text() }).toEqual({ status: 200, body: 'ok\n' });
    expect(app.slackStandin?.calls).toEqual([]);
    expect(await app.ctx.store.listAudit()).toEqual([]);
  });
});
