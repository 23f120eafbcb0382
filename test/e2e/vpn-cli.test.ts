/**
 * The `vpn` CLI as a newcomer uses it (a real child process) against the running app: help, the outcome of
 * each click, exit statuses, deny without a reason, a server that is down, and readable Slack markup.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileAsync, freePort, runCli, sandboxEnv } from '../helpers/sandbox-process.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { monitorsUp } from '../integration/approvals-support.js';

let app: TestApp;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  app = await startTestApp();
  env = sandboxEnv({
    TUNNELOPS_URL: app.url,
    TUNNELOPS_DATA_DIR: app.dataDir,
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    TZ: 'UTC',
  });
});
afterAll(async () => {
  await app?.close();
});

const cli = (args: string[], extra: Record<string, string> = {}) => runCli('vpn', args, { ...env, ...extra });

const pendingId = async (): Promise<string> => {
  const p = await app.ctx.services.approvals.pending('dc1');
  return p[0]?.id ?? '';
};

describe('vpn CLI', () => {
  it('help and --help list every command, option and environment variable, with exit 0', async () => {
    for (const flag of ['help', '--help']) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      for (const word of [
        'status [site]',
        'failover <site>',
        'redeploy <site> <tunnel>',
        'history [site]',
        'pending [site]',
        'cancel <request-id>',
        'approve <request-id>',
        'deny <request-id> "<reason>"',
        'chaos break|heal <site> <tunnel>',
        'transcript [n] [--raw]',
        '--as <user>',
        '--url <url>',
        'PORT',
        'TUNNELOPS_URL',
        'VPN_USER',
      ])
        expect(r.out).toContain(word);
    }
  }, 60_000);

  it("a malformed command is a command-line mistake: exit 2 with the CLI's hint, nothing sent; a down server names the URL", async () => {
    const bad = await cli(['status', 'DC1']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('did you mean "dc1"?');
    expect(bad.err).toContain('npm run vpn -- help');
    // Exactly what the README's reader types: through npm, as an unknown command.
    const unknown = await execFileAsync('npm', ['run', '--silent', 'vpn', '--', 'frobnicate'], {
      env,
      timeout: 45_000,
    }).then(
      () => ({ code: 0, err: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code, err: e.stderr ?? '' }),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('vpn: unknown command "frobnicate"');
    expect(unknown.err).toContain('(npm run vpn -- help lists every command)');
    expect(unknown.err).not.toContain('/vpn help');
    const port = await freePort();
    const down = await cli(['status'], { TUNNELOPS_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.err).toContain(`cannot reach tunnelops at http://127.0.0.1:${port}`);
    expect(down.err).toContain('npm start');
    expect(down.err).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('approve prints the refusal (exit 1) or that the routes moved (exit 0), with names instead of ids', async () => {
    const asked = await cli(['failover', 'dc1', 'planned maintenance']);
    expect(asked.code).toBe(0);
    expect(asked.out).toContain('Posted in #tunnelops');
    expect(asked.out).not.toMatch(/<#|<!date/);
    const id = await pendingId();
    const self = await cli(['approve', id]);
    expect(self.code).toBe(1);
    expect(self.out).toContain('a second person must approve it');
    // An approved failover needs the target's monitor to say up (its rise rounds, seconds after the start).
    await monitorsUp(app);
    const ok = await cli(['--as', 'UAPPROVER1', 'approve', id]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(
      `${id} approved by @approver1 and done: 4 route(s) moved from primary to secondary.`,
    );
    const again = await cli(['--as', 'UAPPROVER2', 'approve', id]);
    expect(again.code).toBe(1);
    expect(again.out).toContain('has already run');
  }, 90_000);

  it('"not enabled on this deployment" exits 1: the reply is refused, though its text has no emoji', async () => {
    const certs = app.ctx.commands.certs;
    delete app.ctx.commands.certs;
    try {
      const off = await cli(['certs']);
      expect(off.out).toContain('is not enabled on this deployment');
      expect(off.code).toBe(1);
    } finally {
      app.ctx.commands.certs = certs;
    }
    expect((await cli(['certs'])).code).toBe(0);
  }, 60_000);

  it('a refusal whose text starts with no emoji exits 1 (an unknown site: its :warning: is in its block)', async () => {
    const unknown = await cli(['status', 'dc9']);
    expect(unknown.out).toContain('Unknown site "dc9"');
    expect(unknown.code).toBe(1);
  }, 60_000);

  it('deny needs a reason (exit 2, nothing changed); with one it denies and says so', async () => {
    await cli(['failover', 'dc1', 'back to primary']);
    const id = await pendingId();
    for (const reason of [[], ['  ']]) {
      const r = await cli(['--as', 'UAPPROVER2', 'deny', id, ...reason]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('deny needs a reason');
      expect(r.err).toContain('nothing was changed');
    }
    expect((await app.ctx.services.approvals.get(id))?.state).toBe('pending');
    const denied = await cli(['--as', 'UAPPROVER2', 'deny', id, 'not during the release']);
    expect(denied.code).toBe(0);
    expect(denied.out).toContain(`${id} denied by @approver2: not during the release. Nothing was changed.`);
    expect((await app.ctx.services.approvals.get(id))?.state).toBe('denied');
  }, 90_000);

  it('status and transcript print plain text: no *bold*, no :emoji: codes, no button payloads, one date format', async () => {
    await cli(['failover', 'dc1', 'a *starred* reason']);
    const status = await cli(['status', 'dc1']);
    const transcript = await cli(['transcript', '20']);
    expect(status.code).toBe(0);
    expect(transcript.code).toBe(0);
    expect(transcript.out).toContain('[Approve] [Deny]');
    for (const out of [status.out, transcript.out]) {
      expect(out).not.toMatch(/(^|\s)\*[^*\s][^*\n]*\*(\s|$)/m); // *bold*
      expect(out).not.toMatch(/(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w])/); // :emoji:
      expect(out).not.toMatch(/value=|\{"site"/); // button payloads
      expect(out).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/); // ISO timestamps
      expect(out).not.toContain('\x1b['); // no ANSI codes when not on a terminal
    }
    expect(transcript.out).toMatch(/^--- \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC #tunnelops/m);
    const raw = await cli(['transcript', '20', '--raw']);
    expect(raw.out).toMatch(/\[Approve value=fo-[a-z0-9]+\]/);
  }, 90_000);

  it('transcript shows the request once, in its latest state, without raw markup; --raw shows the calls', async () => {
    const t = await cli(['transcript', '20']);
    expect(t.code).toBe(0);
    expect(t.out).not.toMatch(/<@U|<#C|<!date|&lt;|&gt;/);
    expect(t.out.match(/== Failover request fo-/g)?.length).toBe(3); // three requests, one message each
    expect(t.out).toMatch(/updated \d+ times/);
    const raw = await cli(['transcript', '5', '--raw']);
    expect(raw.out).toMatch(/^--- \S+ chat\.(postMessage|update|postEphemeral)/m);
  }, 60_000);
});
