import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_WEBHOOK_BODY } from '../../src/github/webhook-endpoint.js';
import { captureLog } from '../helpers/capture-log.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { postBig, WEBHOOK_SECRET } from './support.js';

// Finding 1: POST /api/github/webhooks read bodies of any size before the signature was checked, and the
// unverified payload was logged at ERROR.
let app: TestApp;
const logs = captureLog();
beforeAll(async () => {
  app = await startTestApp({ log: logs.log, env: { WEBHOOK_SECRET } });
});
afterAll(async () => {
  await app.close();
});

describe('finding 1: webhook bodies are bounded and verified before anything reads them', () => {
  it('a body over the limit is refused with 413 before it is read, with or without Content-Length', async () => {
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'big-1',
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
    };
    const declared = await postBig(`${app.url}/api/github/webhooks`, 20 * 1024 * 1024, headers);
    expect(declared.status).toBe(413);
    const streamed = await postBig(`${app.url}/api/github/webhooks`, MAX_WEBHOOK_BODY + 1, headers, true);
    expect(streamed.status).toBe(413);
  });

  it('an unsigned body is refused and nothing of it reaches the log', async () => {
    const marker = 'UNVERIFIED-PAYLOAD-MARKER';
    const body = JSON.stringify({ action: 'created', comment: { body: `/deploy prod ${marker}` } });
    const res = await fetch(`${app.url}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': 'unsigned-1',
        'x-hub-signature-256': `sha256=${'1'.repeat(64)}`,
      },
      body,
    });
    expect(res.status).toBe(401);
    expect(JSON.stringify(logs.lines)).not.toContain(marker);
    expect(logs.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });
});
