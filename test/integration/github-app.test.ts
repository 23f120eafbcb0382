import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import type { Probot } from 'probot';
import { parseCdkDiffText } from '../../src/domain/cdk-diff.js';
import { assessTunnelRisk } from '../../src/domain/tunnel-risk.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import type { Chat, ChatMessage } from '../../src/ports/chat.js';
import { slackRenderer } from '../../src/slack/views/slack-renderer.js';
import { demoTopology } from '../helpers/test-app.js';
import { testProbot } from '../helpers/test-probot.js';
import { makeZip } from '../helpers/zip.js';

const fixture = (name: string) => JSON.parse(readFileSync(`test/fixtures/github/${name}.json`, 'utf8'));
const API = 'https://api.github.com';
const REPO = '/repos/Codertocat/Hello-World';
const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

class RecordingChat implements Chat {
  readonly render = slackRenderer;
  readonly posts: Array<{ channel: string; message: ChatMessage }> = [];
  async post(channel: string, message: ChatMessage) {
    this.posts.push({ channel, message });
    return { channel, ts: String(this.posts.length) };
  }
  async update() {}
  async postEphemeral() {}
  async uploadFile() {}
  async userGroupMembers() {
    return [];
  }
}

let probot: Probot;
let store: SqliteStore;
let chat: RecordingChat;

beforeEach(() => {
  store = new SqliteStore({ path: ':memory:' });
  chat = new RecordingChat();
  probot = testProbot(store, chat);
});

afterEach(async () => {
  expect(nock.pendingMocks()).toEqual([]);
  await store.close();
});

const token = () =>
  nock(API).post('/app/installations/2/access_tokens').reply(201, { token: 'ghs_test', permissions: {} });

function diffRun() {
  const payload = fixture('workflow_run.completed');
  payload.workflow_run.name = 'cdk-diff';
  payload.repository.full_name = 'Codertocat/Hello-World';
  payload.repository.name = 'Hello-World';
  payload.repository.owner.login = 'Codertocat';
  payload.workflow_run.head_sha = SHA;
  return payload;
}

function nockArtifact(api: nock.Scope, diffText: string, extra: Record<string, string> = {}) {
  api
    .get(`${REPO}/actions/runs/289782451/artifacts`)
    .reply(200, { total_count: 1, artifacts: [{ id: 11, name: 'cdk-diff', expired: false }] })
    .get(`${REPO}/actions/artifacts/11/zip`)
    .reply(302, undefined, { location: 'https://pipelines.actions.githubusercontent.com/artifact/11.zip' });
  nock('https://pipelines.actions.githubusercontent.com')
    .get('/artifact/11.zip')
    .reply(200, makeZip({ 'cdk-diff.txt': diffText, ...extra }), { 'content-type': 'application/zip' });
}

const recorded = readFileSync('test/fixtures/cdk/multi-stack-example.txt', 'utf8');

describe('PR diff comment and tunnel risk check', () => {
  it('creates one sticky comment and a check run, then updates the same comment on the next push', async () => {
    const comments: string[] = [];
    const checks: Array<Record<string, any>> = [];
    for (const round of [1, 2]) {
      token();
      const api = nock(API)
        .get(`${REPO}/pulls/2/files`)
        .query(true)
        .reply(200, [{ filename: 'infra/lib/tunnel-stack.ts' }]);
      nockArtifact(api, recorded);
      api
        .get(`${REPO}/pulls/2`)
        .reply(200, { number: 2, body: 'Bigger primary instance', head: { sha: SHA } });
      if (round === 1) {
        api.get(`${REPO}/issues/2/comments`).query(true).reply(200, []);
        api
          .post(`${REPO}/issues/2/comments`, (b) => {
            comments.push(b.body);
            return true;
          })
          .reply(201, { id: 9001 });
      } else {
        api
          .patch(`${REPO}/issues/comments/9001`, (b) => {
            comments.push(b.body);
            return true;
          })
          .reply(200, { id: 9001 });
      }
      api
        .post(`${REPO}/check-runs`, (b) => {
          checks.push(b);
          return true;
        })
        .reply(201, { id: round });
      await probot.receive({ id: `d${round}`, name: 'workflow_run', payload: diffRun() });
    }
    expect(comments).toHaveLength(2);
    expect(comments[0]).toContain('<!-- tunnelops:diff -->');
    expect(comments[0]).toContain('traffic will fail over to secondary');
    expect(comments[0]).toContain('| tunnelops-dc1 | 1 | 1 | 1 | 0 |');
    expect(checks[0]).toMatchObject({
      name: 'tunnelops / tunnel risk',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'neutral',
    });
  });

  it('fails the check when both tunnels of a site go down and the PR does not say why', async () => {
    const both = `${recorded}\nStack tunnelops-dc1-b\nResources\n[~] AWS::ECS::TaskDefinition dc1/secondary/TaskDef dc1secondaryTaskDefAB12 replace\n`;
    let check: Record<string, any> = {};
    token();
    const api = nock(API)
      .get(`${REPO}/pulls/2/files`)
      .query(true)
      .reply(200, [{ filename: 'tunnels.yml' }]);
    nockArtifact(api, both);
    api
      .get(`${REPO}/pulls/2`)
      .reply(200, { number: 2, body: 'Move both', head: { sha: SHA } })
      .get(`${REPO}/issues/2/comments`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues/2/comments`)
      .reply(201, { id: 1 })
      .post(`${REPO}/check-runs`, (b) => {
        check = b;
        return true;
      })
      .reply(201, { id: 1 });
    await probot.receive({ id: 'd3', name: 'workflow_run', payload: diffRun() });
    expect(check.conclusion).toBe('failure');
    expect(check.output.title).toContain('Both tunnels of dc1');
  });

  it('does not comment on PRs that do not touch infra, images or the topology', async () => {
    token();
    const api = nock(API)
      .get(`${REPO}/pulls/2/files`)
      .query(true)
      .reply(200, [{ filename: 'README.md' }])
      .get(`${REPO}/pulls/2`)
      .reply(200, { number: 2, body: 'Docs', head: { sha: SHA } });
    nockArtifact(api, recorded);
    await probot.receive({ id: 'd4', name: 'workflow_run', payload: diffRun() });
  });

  it('ignores other workflows', async () => {
    const payload = diffRun();
    payload.workflow_run.name = 'ci';
    await probot.receive({ id: 'd5', name: 'workflow_run', payload });
  });
});

/**
 * Issue 22 item 14: the diff runs in a workflow_run workflow on the default branch (cdk-diff.yml), so its run
 * names no PR (GitHub's payload for such a run: event workflow_run, head_branch main, pull_requests []); the PR
 * comes from the artifact's pr.json, whose number the PR's own job wrote.
 */
describe('diff from the workflow_run workflow (pr.json)', () => {
  const MAIN_SHA = '0123456789abcdef0123456789abcdef01234567';
  function defaultBranchRun() {
    const payload = diffRun();
    payload.workflow_run.event = 'workflow_run';
    payload.workflow_run.head_branch = 'main';
    payload.workflow_run.head_sha = MAIN_SHA;
    payload.workflow_run.pull_requests = [];
    return payload;
  }
  const prJson = (pr: unknown) => ({ 'pr.json': JSON.stringify(pr) });

  it("reports on the PR pr.json names, at the PR's head commit, when that head is the diffed SHA", async () => {
    let check: Record<string, any> = {};
    let comment = '';
    token();
    const api = nock(API)
      .get(`${REPO}/pulls/2`)
      .reply(200, { number: 2, body: 'Bigger primary instance', head: { sha: SHA } })
      .get(`${REPO}/pulls/2/files`)
      .query(true)
      .reply(200, [{ filename: 'infra/lib/tunnel-stack.ts' }])
      .get(`${REPO}/issues/2/comments`)
      .query(true)
      .reply(200, [])
      .post(`${REPO}/issues/2/comments`, (b) => {
        comment = b.body;
        return true;
      })
      .reply(201, { id: 1 })
      .post(`${REPO}/check-runs`, (b) => {
        check = b;
        return true;
      })
      .reply(201, { id: 1 });
    nockArtifact(api, recorded, prJson({ number: 2, head_sha: SHA }));
    await probot.receive({ id: 'w1', name: 'workflow_run', payload: defaultBranchRun() });
    expect(comment).toContain('traffic will fail over to secondary');
    // The check belongs to the PR's head commit, not to the default branch's commit the diff job ran on.
    expect(check).toMatchObject({ name: 'tunnelops / tunnel risk', head_sha: SHA, conclusion: 'neutral' });
  });

  it("refuses a pr.json whose SHA is not the PR's head: nothing is posted", async () => {
    // A PR's job may write any number into its artifact, e.g. another PR's; that PR's head is not what was diffed.
    token();
    const api = nock(API)
      .get(`${REPO}/pulls/2`)
      .reply(200, { number: 2, body: 'Someone else', head: { sha: SHA } });
    nockArtifact(api, recorded, prJson({ number: 2, head_sha: 'f'.repeat(40) }));
    await probot.receive({ id: 'w2', name: 'workflow_run', payload: defaultBranchRun() });
    // No listFiles, no comment, no check run: any of them would be a request nock refuses.
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('refuses a malformed pr.json with a clear error, before asking GitHub about any PR', async () => {
    for (const [i, bad] of [
      { number: '2', head_sha: SHA },
      { number: 2, head_sha: 'main' },
      { number: 2, head_sha: SHA, extra: 'x'.repeat(2000) },
    ].entries()) {
      token();
      nockArtifact(nock(API), recorded, prJson(bad));
      await expect(
        probot.receive({ id: `w3-${i}`, name: 'workflow_run', payload: defaultBranchRun() }),
      ).rejects.toThrow(/pr\.json|JSON is larger/);
    }
  });
});

function deployComment(body = '/deploy prod', login = 'octo-deployer') {
  const payload = fixture('issue_comment.created');
  payload.issue.pull_request = { url: `${API}${REPO}/pulls/1` };
  payload.comment.body = body;
  payload.comment.user.login = login;
  payload.comment.created_at = new Date().toISOString();
  return payload;
}

interface Gate {
  permission?: string;
  reviews?: Array<{ user: { login: string }; state: string; commit_id?: string }>;
  checks?: Array<{ name: string; status: string; conclusion: string | null }>;
  mergeable?: boolean | null;
  mergeableState?: string;
}

function nockFacts(api: nock.Scope, g: Gate = {}) {
  api
    .get(`${REPO}/collaborators/octo-deployer/permission`)
    .reply(200, { permission: g.permission ?? 'write', user: { login: 'octo-deployer' } })
    .get(`${REPO}/pulls/1`)
    .reply(200, {
      number: 1,
      state: 'open',
      user: { login: 'Codertocat' },
      head: { sha: SHA },
      mergeable: g.mergeable === undefined ? true : g.mergeable,
      mergeable_state: g.mergeableState ?? 'clean',
    })
    .get(`${REPO}/pulls/1/reviews`)
    .query(true)
    .reply(200, g.reviews ?? [{ user: { login: 'reviewer' }, state: 'APPROVED', commit_id: SHA }])
    .get(`${REPO}/commits/${SHA}/check-runs`)
    .query(true)
    .reply(200, {
      total_count: 1,
      check_runs: g.checks ?? [{ name: 'test', status: 'completed', conclusion: 'success' }],
    });
}

describe('/deploy', () => {
  it('creates a deployment for the head SHA and locks the environment', async () => {
    let deployment: Record<string, any> = {};
    let replyBody = '';
    token();
    const api = nock(API);
    nockFacts(api);
    api
      .post(`${REPO}/deployments`, (b) => {
        deployment = b;
        return true;
      })
      .reply(201, { id: 777, sha: SHA, environment: 'prod' })
      .post(`${REPO}/issues/1/comments`, (b) => {
        replyBody = b.body;
        return true;
      })
      .reply(201, { id: 1 });
    await probot.receive({ id: 'c1', name: 'issue_comment', payload: deployComment() });
    expect(deployment).toMatchObject({
      ref: SHA,
      environment: 'prod',
      auto_merge: false,
      payload: { pr: 1, requestedBy: 'octo-deployer' },
    });
    expect(replyBody).toContain('Deploying');
    expect((await store.get('deploy-lock', 'prod'))?.value).toMatchObject({ pr: 1, by: 'octo-deployer' });
    expect((await store.listAudit()).map((e) => e.event)).toEqual(['requested']);
  });

  it.each<[string, Gate, string]>([
    ['without write permission', { permission: 'read' }, 'needs write, maintain or admin permission'],
    [
      'approved only by its author',
      { reviews: [{ user: { login: 'Codertocat' }, state: 'APPROVED', commit_id: SHA }] },
      'no approving review from someone other than the author',
    ],
    [
      'with a failing check',
      { checks: [{ name: 'test', status: 'completed', conclusion: 'failure' }] },
      'checks not green: test (failure)',
    ],
    [
      'with a running check',
      { checks: [{ name: 'test', status: 'in_progress', conclusion: null }] },
      'checks still running: test',
    ],
    ['behind its base', { mergeableState: 'behind' }, 'behind its base'],
    ['with conflicts', { mergeable: false, mergeableState: 'dirty' }, 'merge conflicts'],
  ])('refuses a PR %s, says why, and deploys nothing', async (_name, gate, reason) => {
    let replyBody = '';
    token();
    const api = nock(API);
    nockFacts(api, gate);
    api
      .post(`${REPO}/issues/1/comments`, (b) => {
        replyBody = b.body;
        return true;
      })
      .reply(201, { id: 1 });
    await probot.receive({ id: 'c2', name: 'issue_comment', payload: deployComment() });
    expect(replyBody).toContain(reason);
    expect(await store.get('deploy-lock', 'prod')).toBeNull();
  });

  it('refuses an unknown environment without gathering anything else', async () => {
    let replyBody = '';
    token();
    const api = nock(API);
    api
      .post(`${REPO}/issues/1/comments`, (b) => {
        replyBody = b.body;
        return true;
      })
      .reply(201, { id: 1 });
    await probot.receive({ id: 'c3', name: 'issue_comment', payload: deployComment('/deploy moon') });
    expect(replyBody).toContain('unknown environment `moon`');
  });

  it('two /deploy at once: one deployment, the other is told the environment is locked', async () => {
    const replies: string[] = [];
    let deployments = 0;
    token();
    token();
    const api = nock(API);
    nockFacts(api);
    nockFacts(api);
    api
      .post(`${REPO}/deployments`, () => {
        deployments++;
        return true;
      })
      .reply(201, { id: 778 })
      .post(`${REPO}/issues/1/comments`, (b) => {
        replies.push(b.body);
        return true;
      })
      .times(2)
      .reply(201, { id: 1 });
    await Promise.all([
      probot.receive({ id: 'c4', name: 'issue_comment', payload: deployComment() }),
      probot.receive({ id: 'c5', name: 'issue_comment', payload: deployComment() }),
    ]);
    expect(deployments).toBe(1);
    expect(replies.filter((r) => r.includes('Deploying'))).toHaveLength(1);
    expect(
      replies.filter((r) =>
        r.includes('is locked by the deploy of #1 (@octo-deployer); an admin can `/unlock prod`'),
      ),
    ).toHaveLength(1);
  });

  it('/unlock is for admins only', async () => {
    await store.create('deploy-lock', 'prod', { pr: 5, by: 'x', sha: SHA, repo: 'r', at: '' });
    let replyBody = '';
    token();
    nock(API)
      .get(`${REPO}/collaborators/octo-deployer/permission`)
      .reply(200, { permission: 'write' })
      .post(`${REPO}/issues/1/comments`, (b) => {
        replyBody = b.body;
        return true;
      })
      .reply(201, { id: 1 });
    await probot.receive({ id: 'c6', name: 'issue_comment', payload: deployComment('/unlock prod') });
    expect(replyBody).toContain('only admins');
    expect(await store.get('deploy-lock', 'prod')).not.toBeNull();
  });

  it('ignores ordinary comments without calling GitHub', async () => {
    await probot.receive({ id: 'c7', name: 'issue_comment', payload: deployComment('LGTM, ship it') });
  });
});

describe('deployment_status', () => {
  it('tells Slack, updates the sticky comment and frees the lock when the deploy finishes', async () => {
    await store.create('deploy-lock', 'production', {
      pr: 2,
      by: 'octo-deployer',
      sha: SHA,
      repo: 'r',
      at: '',
    });
    await store.put('pr-comment', 'Codertocat/Hello-World#2', {
      commentId: 9001,
      input: {
        sha: SHA,
        diff: { stacks: [] },
        risk: { risks: [], bothTunnelsDown: [] },
        justification: null,
        detailsUrl: 'https://example.invalid/run',
      },
    });
    const payload = fixture('deployment_status.created');
    payload.deployment.payload = { pr: 2 };
    let updated = '';
    token();
    nock(API)
      .patch(`${REPO}/issues/comments/9001`, (b) => {
        updated = b.body;
        return true;
      })
      .reply(200, { id: 9001 });
    await probot.receive({ id: 's1', name: 'deployment_status', payload });
    expect(updated).toContain('success — deploy of #2 to `production`');
    expect(chat.posts).toHaveLength(1);
    expect(chat.posts[0]).toMatchObject({ channel: 'C0SANDBOX1' });
    expect(chat.posts[0]!.message.text).toContain('success');
    expect(await store.get('deploy-lock', 'production')).toBeNull();
  });
});

describe('check_run.rerequested', () => {
  function rerun() {
    const payload = fixture('check_run.rerequested');
    payload.check_run.name = 'tunnelops / tunnel risk';
    payload.check_run.pull_requests = [
      {
        number: 2,
        id: 1,
        url: '',
        head: { ref: 'x', sha: SHA, repo: payload.repository },
        base: { ref: 'main', sha: SHA, repo: payload.repository },
      },
    ];
    return payload;
  }

  it('re-posts the risk check from the stored assessment', async () => {
    await store.put('pr-comment', 'github/hello-world#2', {
      commentId: 1,
      input: {
        sha: SHA,
        diff: { stacks: [] },
        risk: { risks: [], bothTunnelsDown: ['dc1'] },
        justification: null,
        detailsUrl: 'https://example.invalid/run',
      },
    });
    let check: Record<string, any> = {};
    token();
    nock(API)
      .post('/repos/github/hello-world/check-runs', (b) => {
        check = b;
        return true;
      })
      .reply(201, { id: 5 });
    await probot.receive({ id: 'r1', name: 'check_run', payload: rerun() });
    expect(check).toMatchObject({ name: 'tunnelops / tunnel risk', conclusion: 'failure' });
  });

  it('ignores reruns of other checks', async () => {
    const payload = rerun();
    payload.check_run.name = 'randscape';
    await probot.receive({ id: 'r2', name: 'check_run', payload });
  });
});

describe('pull_request.edited', () => {
  function edited(body: string) {
    // webhooks-examples has no "edited" pull_request; the "opened" one with GitHub's documented `changes` field.
    const payload = fixture('pull_request.opened');
    payload.action = 'edited';
    payload.changes = { body: { from: 'Move both' } };
    payload.pull_request.body = body;
    return payload;
  }

  async function storeBothDown() {
    const text = `${recorded}\nStack tunnelops-dc1-b\nResources\n[~] AWS::ECS::TaskDefinition dc1/secondary/TaskDef dc1secondaryTaskDefAB12 replace\n`;
    const diff = parseCdkDiffText(text);
    const risk = assessTunnelRisk(demoTopology(), diff);
    const input = { sha: SHA, diff, risk, justification: null, detailsUrl: 'https://example.invalid/run' };
    await store.put('pr-comment', 'Codertocat/Hello-World#2', { commentId: 9001, input });
  }

  it('re-judges the risk check at once when a tunnel-risk reason is added', async () => {
    await storeBothDown();
    let comment = '';
    let check: Record<string, any> = {};
    token();
    nock(API)
      .patch(`${REPO}/issues/comments/9001`, (b) => {
        comment = b.body;
        return true;
      })
      .reply(200, { id: 9001 })
      .post(`${REPO}/check-runs`, (b) => {
        check = b;
        return true;
      })
      .reply(201, { id: 7 });
    await probot.receive({
      id: 'e1',
      name: 'pull_request',
      payload: edited('Move both.\ntunnel-risk: DC maintenance window, both links idle'),
    });
    expect(check).toMatchObject({ head_sha: SHA, conclusion: 'neutral' });
    expect(comment).toContain('the PR says why: "DC maintenance window, both links idle"');
  });

  it('does nothing when the reason did not change', async () => {
    await storeBothDown();
    await probot.receive({ id: 'e2', name: 'pull_request', payload: edited('Move both, no reason given') });
  });
});
