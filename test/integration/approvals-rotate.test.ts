import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../src/domain/audit.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../src/domain/heartbeat.js';
import { sandboxPublishedDir } from '../../src/local/sandbox-server-certs.js';
import { Authority } from '../../src/pki/authority.js';
import { certIdOfFile } from '../../src/pki/cert-id.js';
import { DirTarget, publishSite } from '../../src/pki/publish.js';
import { SiteDir } from '../../src/pki/site-dir.js';
import type { TestApp } from '../helpers/test-app.js';
import {
  APPROVER1,
  buttonPayload,
  command,
  interact,
  messageOf,
  REQUESTER,
  startApprovalApp,
  tempDataDirs,
  waitFor,
} from './approvals-support.js';

const TUNNELS = ['primary', 'secondary'];

/** What the operator does on the machine with the CA key: `npm run pki` issue or renew, then publish. */
async function stage(dataDir: string, first: boolean): Promise<{ primary: string; secondary: string }> {
  const dir = new SiteDir(join(dataDir, 'pki'), 'dc1');
  const ca = new Authority(dir);
  if (first) {
    await ca.init(365, 30);
    await ca.issue(TUNNELS, ['server', 'client'], 30);
  } else await ca.renew(TUNNELS, ['server'], 30);
  await publishSite(dir, TUNNELS, new DirTarget(sandboxPublishedDir(dataDir)));
  const serial = (t: string) =>
    certIdOfFile(join(sandboxPublishedDir(dataDir), 'dc1', t, 'server.crt'))!.serial;
  return { primary: serial('primary'), secondary: serial('secondary') };
}

describe('/vpn rotate in the sandbox (real HTTP server, signed Slack requests)', () => {
  let app: TestApp | undefined;
  const newDataDir = tempDataDirs('tunnelops-rotate-');
  afterEach(async () => {
    await app?.close(false);
    app = undefined;
  });

  it('refuses with nothing staged; asked, survives a restart, approved (twice at once), rotates standby first', async () => {
    const dataDir = newDataDir();
    const first = await stage(dataDir, true);
    app = await startApprovalApp({ dataDir });
    // The servers already run what is published: nothing to rotate, and the reply says how to stage.
    const none = await command(app, 'rotate dc1', REQUESTER);
    expect(none).toContain('nothing to rotate');
    expect(none).toContain('`npm run pki -- renew dc1 --role server`');
    expect(await app.ctx.services.approvals.pending('dc1')).toEqual([]);

    const staged = await stage(dataDir, false);
    expect(staged.primary).not.toBe(first.primary);
    const reply = await command(app, 'rotate dc1 "yearly renewal"', REQUESTER);
    const id = /`(ro-[a-z2-9]{6})`/.exec(reply)?.[1];
    expect(id).toBeDefined();
    const posted = messageOf(app, id!);
    expect(posted.text).toContain('Certificate rotation request');
    expect(JSON.stringify(posted.blocks)).toContain(`published ${staged.secondary.slice(0, 16)}`);
    expect(JSON.stringify(posted.blocks)).toContain('planned failover of dc1 to secondary');

    // The pending request lives in the store: a restarted bot still runs it once approved (the clicks come from
    // the message posted before the restart).
    const click = {
      requester: buttonPayload(app, id!, REQUESTER, 'approval_approve'),
      approver: buttonPayload(app, id!, APPROVER1, 'approval_approve'),
    };
    await app.close(false);
    app = await startApprovalApp({ dataDir });
    const fresh = (p: Record<string, unknown>) => ({ ...p, response_url: app!.slack.responseUrl });
    expect(await interact(app, fresh(click.requester))).toBe(200);
    expect((await app.ctx.services.approvals.get(id!))?.state).toBe('pending');
    const clicks = await Promise.all([
      interact(app, fresh(click.approver)),
      interact(app, fresh(click.approver)),
    ]);
    expect(clicks).toEqual([200, 200]);
    const done = await waitFor(
      `${id} to finish`,
      async () => {
        const r = await app!.ctx.services.approvals.get(id!);
        return r && (r.state === 'succeeded' || r.state === 'failed') ? r : undefined;
      },
      90_000,
    );
    expect(done.result?.summary).toContain('secondary and primary now run the published certificates');
    expect(done.state).toBe('succeeded');
    expect(done.result?.summary).toContain('npm run pki -- bundle dc1');

    // Both simulated servers loaded the staged certificates; traffic is on the former standby.
    for (const t of TUNNELS) {
      const beat = await app.ctx.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey('dc1', t));
      expect(beat?.value.serverCert?.serial).toBe(staged[t as 'primary' | 'secondary']);
    }
    expect(await command(app, 'status dc1', REQUESTER)).toMatch(/secondary/);
    // Ran once: one rotation, two redeploys, one failover, for all the clicks.
    const audit: AuditEntry[] = (await app.ctx.store.listAudit({ site: 'dc1', limit: 100 })).filter(
      (a) => a.requestId === id,
    );
    const count = (action: string, event: string) =>
      audit.filter((a) => a.action === action && a.event === event).length;
    expect([count('rotate', 'approved'), count('rotate', 'started'), count('rotate', 'succeeded')]).toEqual([
      1, 1, 1,
    ]);
    expect([count('redeploy', 'succeeded'), count('failover', 'succeeded')]).toEqual([2, 1]);
    // Each step in the request's thread.
    const thread = (app.slackStandin?.callsTo('chat.postMessage') ?? [])
      .filter((c) => c.args.thread_ts === posted.ts)
      .map((c) => String(c.args.text));
    expect(thread.join('\n')).toContain(`dc1/secondary is healthy on certificate ${staged.secondary}`);
    expect(thread.join('\n')).toContain('Planned failover of dc1 to secondary');
    expect(thread.join('\n')).toContain(`dc1/primary is healthy on certificate ${staged.primary}`);
  }, 150_000);
});
