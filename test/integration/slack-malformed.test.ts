import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('signed but malformed Slack payloads', () => {
  it.each([
    ['view_submission without a view', { type: 'view_submission', user: { id: 'U1' } }],
    ['shortcut without a team', { type: 'shortcut', callback_id: 'x', user: { id: 'U1' } }],
  ])('%s gets a 400 that leaks nothing and changes nothing', async (_name, payload) => {
    const res = await app.slack.interaction(payload);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toMatch(/Cannot read|undefined/);
    expect(await app.ctx.store.listAudit()).toEqual([]);
    expect(app.slackStandin?.calls).toEqual([]);
  });
});
