import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from '@jest/globals';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../src/domain/heartbeat.js';
import { createSandboxAccount, type SandboxAccount } from '../../src/local/sandbox-account.js';
import { slashCommandBody } from '../../src/local/slack-command-client.js';
import type { Clock } from '../../src/ports/clock.js';
import type { RouteTables } from '../../src/ports/route-tables.js';
import { heartbeat, putHeartbeat } from '../helpers/heartbeats.js';
import { demoTopology, startTestApp, type TestApp, type TestAppOptions } from '../helpers/test-app.js';

export const REQUESTER = 'UREQUESTER';
export const APPROVER1 = 'UAPPROVER1';
export const APPROVER2 = 'UAPPROVER2';
export const CHANNEL = 'C0SANDBOX1';

export interface ReplaceCall {
  site: string;
  routeTableId: string;
  cidr: string;
  tunnel: string;
}

/** The sandbox account with a RouteTables wrapper that counts reads, records every replace (and can fail chosen ones). */
export function countingAccount(
  clock: Clock,
  failReplace?: (n: number, call: ReplaceCall) => boolean,
): { account: SandboxAccount; replaces: ReplaceCall[]; observes: { count: number } } {
  const inner = createSandboxAccount({ topology: demoTopology(), clock });
  const replaces: ReplaceCall[] = [];
  const observes = { count: 0 };
  const routeTables: RouteTables = {
    observe: (sites) => {
      observes.count++;
      return inner.routeTables.observe(sites);
    },
    async replace(site, routeTableId, cidr, tunnel) {
      const call = { site: site.name, routeTableId, cidr, tunnel };
      replaces.push(call);
      if (failReplace?.(replaces.length, call)) {
        throw Object.assign(new Error('The request has exceeded the rate limit'), {
          name: 'RequestLimitExceeded',
        });
      }
      await inner.routeTables.replace(site, routeTableId, cidr, tunnel);
    },
    create: (site, routeTableId, cidr, tunnel) => inner.routeTables.create(site, routeTableId, cidr, tunnel),
  };
  return { account: { ...inner, routeTables }, replaces, observes };
}

/** A clock tests can move forward (everything in the app reads it, including the signature check). */
export function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

/** Data dirs that outlive one app (restarts, two processes); each is removed after its test. */
export function tempDataDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/**
 * Starts the app with both dc1 monitors saying up: an approved failover refuses a target whose monitor does not
 * (issue 22 item 5), as the fast path does. The sandbox runs its simulated monitors (up after `rise` rounds,
 * ~5 s); with an injected account there are none, and a stand-in reports both tunnels up every 500 ms.
 */
export async function startApprovalApp(options: TestAppOptions & { clock?: Clock } = {}): Promise<TestApp> {
  const app = await startTestApp(options);
  if (app.ctx.sandbox) {
    await monitorsUp(app);
    return app;
  }
  const report = () =>
    Promise.all(
      ['primary', 'secondary'].map((t) =>
        putHeartbeat(app.ctx.store, heartbeat(t, 'up', app.ctx.clock.now()), 60_000),
      ),
    ).catch(() => undefined);
  await report();
  const timer = setInterval(() => void report(), 500);
  const close = app.close;
  return {
    ...app,
    close: async (wipe?: boolean) => {
      clearInterval(timer);
      await close(wipe);
    },
  };
}

/** Until every dc1 tunnel's heartbeat says up. */
export async function monitorsUp(app: TestApp): Promise<void> {
  await waitFor('both dc1 monitors to say up', async () => {
    const beats = await Promise.all(
      ['primary', 'secondary'].map((t) => app.ctx.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey('dc1', t))),
    );
    return beats.every((b) => b?.value.health === 'up') ? true : undefined;
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

export async function requestState(app: TestApp, id: string): Promise<ApprovalRequest> {
  const r = await app.ctx.services.approvals.get(id);
  if (!r) throw new Error(`no request ${id}`);
  return r;
}

/** Waits until the request reaches one of the given states. */
export function waitForState(
  app: TestApp,
  id: string,
  states: ApprovalRequest['state'][],
): Promise<ApprovalRequest> {
  return waitFor(`${id} to become ${states.join('|')}`, async () => {
    const r = await requestState(app, id);
    return states.includes(r.state) ? r : undefined;
  });
}

/** Sends `/vpn <text>` and returns the first reply posted to its response_url after this call. */
export async function command(app: TestApp, text: string, user: string, clock?: Clock): Promise<string> {
  const before = app.slack.received.length;
  const ack = clock
    ? await app.slack.post(
        slashCommandBody({
          text,
          userId: user,
          channelId: CHANNEL,
          responseUrl: app.slack.responseUrl,
          triggerTag: 'test',
        }),
        'application/x-www-form-urlencoded',
        Math.floor(clock.now() / 1000),
      )
    : await app.slack.command(text, user);
  if (ack.status !== 200) throw new Error(`/vpn ${text} got HTTP ${ack.status}`);
  if (ack.body?.text) return ack.body.text;
  const replies = await app.slack.waitForReplies(before + 1);
  return replies[before]?.text ?? '';
}

/** Asks for a failover and returns the new request's id (from the reply). */
export async function requestFailover(
  app: TestApp,
  user = REQUESTER,
  extra = '"primary flapping"',
  clock?: Clock,
): Promise<string> {
  const reply = await command(app, `failover dc1 ${extra}`, user, clock);
  const id = /`(fo-[a-z0-9]{6})`/.exec(reply)?.[1];
  if (!id) throw new Error(`no request id in the reply: ${reply}`);
  return id;
}

/** The Slack message of a request as the stand-in holds it now. */
export function messageOf(
  app: TestApp,
  id: string,
): { channel: string; ts: string; text: string; blocks?: unknown } {
  for (const m of app.slackStandin?.messages.values() ?? []) if (m.text.includes(id) && !m.threadTs) return m;
  throw new Error(`no Slack message for ${id}`);
}

export const hasButtons = (m: { blocks?: unknown }): boolean =>
  Array.isArray(m.blocks) && m.blocks.some((b) => (b as { type?: string }).type === 'actions');

/** A block_actions payload as Slack sends it when a button of the request message is clicked. */
export function buttonPayload(
  app: TestApp,
  id: string,
  user: string,
  actionId: 'approval_approve' | 'approval_deny',
): Record<string, unknown> {
  const m = messageOf(app, id);
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1234567890.abcdef0123456789`,
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: m.channel, name: 'tunnelops' },
    message: {
      type: 'message',
      subtype: 'bot_message',
      text: m.text,
      ts: m.ts,
      bot_id: 'B0TUNNELOPS',
      blocks: m.blocks,
    },
    state: { values: {} },
    response_url: app.slack.responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: `approval:${id}`,
        text: { type: 'plain_text', text: actionId === 'approval_approve' ? 'Approve' : 'Deny', emoji: true },
        value: id,
        style: actionId === 'approval_approve' ? 'primary' : 'danger',
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

/** A view_submission payload for the Deny modal, as Slack sends it. */
export function denySubmission(
  user: string,
  view: Record<string, unknown>,
  reason: string,
): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0SANDBOX' },
    api_app_id: 'A0TUNNELOPS',
    token: 'deprecated-verification-token',
    trigger_id: `${Date.now()}.1234567890.fedcba9876543210`,
    view: {
      id: 'V0DENYMODAL',
      team_id: 'T0SANDBOX',
      type: 'modal',
      blocks: view.blocks,
      private_metadata: view.private_metadata,
      callback_id: view.callback_id,
      state: { values: { deny_reason: { reason: { type: 'plain_text_input', value: reason } } } },
      hash: '1700000000.abcdefgh',
      title: view.title,
      clear_on_close: false,
      notify_on_close: false,
      close: view.close,
      submit: view.submit,
      previous_view_id: null,
      root_view_id: 'V0DENYMODAL',
      app_id: 'A0TUNNELOPS',
      external_id: '',
      app_installed_team_id: 'T0SANDBOX',
      bot_id: 'B0TUNNELOPS',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** Sends an interaction signed with the given clock's time (tests that move the clock). */
export async function interact(
  app: TestApp,
  payload: Record<string, unknown>,
  clock?: Clock,
): Promise<number> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = Math.floor((clock ?? { now: Date.now }).now() / 1000);
  const res = await app.slack.post(body, 'application/x-www-form-urlencoded', ts);
  return res.status;
}

/** Ephemeral messages the bot sent to a user. */
export function ephemeralsTo(app: TestApp, user: string): string[] {
  return (app.slackStandin?.callsTo('chat.postEphemeral') ?? [])
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));
}
