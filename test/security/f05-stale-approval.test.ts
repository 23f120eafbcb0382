import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { Probot } from 'probot';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { testProbot } from '../helpers/test-probot.js';
import { silentChat } from './support.js';

// Finding 5: /deploy counted any APPROVED review, whatever commit it approved, from the first 100 only.
const API = 'https://api.github.com';
const REPO = '/repos/Codertocat/Hello-World';
const HEAD = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
const OLD = '0000000000000000000000000000000000000001';

let probot: Probot;
let store: SqliteStore;
beforeEach(() => {
  store = new SqliteStore({ path: ':memory:' });
  probot = testProbot(store, silentChat);
});
afterEach(async () => {
  expect(nock.pendingMocks()).toEqual([]);
  await store.close();
});

function deployComment() {
  const payload = JSON.parse(readFileSync('test/fixtures/github/issue_comment.created.json', 'utf8'));
  payload.issue.pull_request = { url: `${API}${REPO}/pulls/1` };
  payload.comment.body = '/deploy prod';
  payload.comment.user.login = 'octo-deployer';
  payload.comment.created_at = new Date().toISOString();
  payload.installation = { id: 2 };
  return payload;
}

type Review = { user: { login: string }; state: string; commit_id: string };

/** The facts GitHub gives; reviews come in the pages given (Link headers like GitHub's). */
function nockFacts(pages: Review[][]): { replies: string[] } {
  const replies: string[] = [];
  const api = nock(API)
    .post('/app/installations/2/access_tokens')
    .reply(201, { token: 'ghs_test', permissions: {} })
    .get(`${REPO}/collaborators/octo-deployer/permission`)
    .reply(200, { permission: 'write', user: { login: 'octo-deployer' } })
    .get(`${REPO}/pulls/1`)
    .reply(200, {
      number: 1,
      state: 'open',
      user: { login: 'Codertocat' },
      head: { sha: HEAD },
      mergeable: true,
      mergeable_state: 'clean',
    })
    .get(`${REPO}/commits/${HEAD}/check-runs`)
    .query(true)
    .reply(200, {
      total_count: 1,
      check_runs: [{ name: 'test', status: 'completed', conclusion: 'success' }],
    })
    .post(`${REPO}/issues/1/comments`, (b) => {
      replies.push(b.body);
      return true;
    })
    .reply(201, { id: 1 });
  pages.forEach((page, i) => {
    const next: Record<string, string> =
      i + 1 < pages.length
        ? { link: `<${API}${REPO}/pulls/1/reviews?per_page=100&page=${i + 2}>; rel="next"` }
        : {};
    api
      .get(`${REPO}/pulls/1/reviews`)
      .query((q) => String(q.page ?? '1') === String(i + 1))
      .reply(200, page, next);
  });
  return { replies };
}

describe('finding 5: /deploy counts only approvals of the head commit, over every page', () => {
  it('an approval of an earlier commit does not count (approve, push, deploy)', async () => {
    const { replies } = nockFacts([[{ user: { login: 'reviewer' }, state: 'APPROVED', commit_id: OLD }]]);
    await probot.receive({ id: 'd1', name: 'issue_comment', payload: deployComment() });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/cannot deploy/);
    expect(replies[0]).toMatch(/approved an earlier commit/);
    expect(await store.get('deploy-lock', 'prod')).toBeNull();
  });

  it('"changes requested" on the second page of reviews is seen', async () => {
    const approvals = Array.from({ length: 100 }, (_, i) => ({
      user: { login: `reviewer${i}` },
      state: 'APPROVED',
      commit_id: HEAD,
    }));
    const { replies } = nockFacts([
      approvals,
      [{ user: { login: 'blocker' }, state: 'CHANGES_REQUESTED', commit_id: HEAD }],
    ]);
    await probot.receive({ id: 'd2', name: 'issue_comment', payload: deployComment() });
    expect(replies[0]).toMatch(/requested changes/);
    expect(await store.get('deploy-lock', 'prod')).toBeNull();
  });
});
