import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { tempDataDirs } from '../integration/approvals-support.js';
import { signGithub, WEBHOOK_SECRET } from './support.js';

// Finding 8: deliveries were not deduplicated by X-GitHub-Delivery, so a captured `/deploy` could be replayed.
const API = 'http://github.test';
const REPO = '/repos/Codertocat/Hello-World';
const dataDir = tempDataDirs('tunnelops-replay-');
let app: TestApp | undefined;
afterEach(async () => {
  await app?.close(false);
  app = undefined;
});

function deployComment(): string {
  const payload = JSON.parse(readFileSync('test/fixtures/github/issue_comment.created.json', 'utf8'));
  payload.issue.pull_request = { url: `${API}${REPO}/pulls/1` };
  payload.comment.body = '/deploy nowhere';
  payload.comment.created_at = new Date().toISOString();
  payload.installation = { id: 2 };
  return JSON.stringify(payload);
}

const deliver = (a: TestApp, body: string, id: string) =>
  fetch(`${a.url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': id,
      'x-hub-signature-256': signGithub(body),
    },
    body,
  });

describe('finding 8: a GitHub delivery id is handled once, also across a restart', () => {
  it('a replayed delivery is answered "duplicate" and runs nothing, before and after a restart', async () => {
    const dir = dataDir();
    const env = { WEBHOOK_SECRET, GITHUB_API_URL: API };
    app = await startTestApp({ dataDir: dir, env });
    // The handler answers an unknown environment with one comment: exactly one token and one comment.
    const api = nock(API)
      .post('/app/installations/2/access_tokens')
      .reply(201, { token: 'ghs_test', permissions: {} })
      .post(`${REPO}/issues/1/comments`)
      .reply(201, { id: 1 });
    const body = deployComment();
    const id = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
    const first = await deliver(app, body, id);
    expect(first.status).toBe(200);
    expect(api.isDone()).toBe(true);

    const replay = await deliver(app, body, id);
    expect({ status: replay.status, body: await replay.json() }).toEqual({
      status: 200,
      body: { status: 'duplicate' },
    });

    await app.close(false);
    app = await startTestApp({ dataDir: dir, env });
    const afterRestart = await deliver(app, body, id);
    expect(await afterRestart.json()).toEqual({ status: 'duplicate' });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
