import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import type { Site } from '../../src/config/topology-schema.js';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { DirPublishedCerts } from '../../src/local/dir-published-certs.js';
import { NetnsRouteTables } from '../../src/local/netns-route-tables.js';
import { SlackStandin } from '../../src/local/slack-standin.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { silentLogger } from '../../src/log.js';
import { Authority } from '../../src/pki/authority.js';
import { certIdOfFile } from '../../src/pki/cert-id.js';
import { DirTarget, PUBLISHED_FILES, publishSite } from '../../src/pki/publish.js';
import { systemClock } from '../../src/ports/clock.js';
import type { DeploymentProgress, TaskRuntime } from '../../src/ports/tasks.js';
import { ApprovalService } from '../../src/services/approvals/approval-service.js';
import { FailoverExecutor } from '../../src/services/failover/failover-executor.js';
import { heartbeatTargetCheck } from '../../src/services/failover/heartbeat-target-check.js';
import { RedeployExecutor } from '../../src/services/redeploy/redeploy-executor.js';
import { RotationExecutor } from '../../src/services/rotation/rotation-executor.js';
import { SLACK_CLIENT_DEFAULTS, SlackChat } from '../../src/slack/slack-chat.js';
import { refusalText } from '../../src/slack/views/approval-reply-view.js';
import type { Lab } from './lab.js';
import { type LabTunnel, PLAN, routeTableNumbers, TUNNELS } from './lab-plan.js';
import { sleep, waitFor } from './netns.js';

/**
 * The lab's "ECS": a redeploy of a tunnel is what a new task on its host does. The host's copy of the tunnel's
 * prefix is refreshed from the lab's bucket directory (as the instance fetches it), then the server entrypoint
 * is stopped (SIGTERM, as `docker stop`) and started again with its monitor. Done once openvpn runs again.
 */
class LabServers implements TaskRuntime {
  private readonly runs = new Map<string, { tunnel: string; done: boolean; error?: string }>();
  constructor(private readonly lab: Lab) {}

  async observe() {
    return new Map();
  }

  async redeploy(site: Site, tunnel: string): Promise<string> {
    const t = tunnel as LabTunnel;
    const id = `lab-deploy/${randomUUID()}`;
    const run: { tunnel: string; done: boolean; error?: string } = { tunnel, done: false };
    this.runs.set(id, run);
    void (async () => {
      await this.lab.stopServer(t);
      const from = join(this.lab.labPki.bucketDir, site.name, tunnel);
      for (const f of PUBLISHED_FILES) await copyFile(join(from, f), join(this.lab.pkiOf(t).server.dir, f));
      await this.lab.startServer(t);
    })().then(
      () => {
        run.done = true;
      },
      (err: Error) => {
        run.error = err.message;
      },
    );
    return id;
  }

  async deploymentProgress(_site: Site, _tunnel: string, id: string): Promise<DeploymentProgress> {
    const run = this.runs.get(id);
    if (!run) return { state: 'failed', detail: `no deployment ${id}` };
    if (run.error) return { state: 'failed', detail: run.error };
    return run.done
      ? { state: 'completed', detail: 'server restarted' }
      : { state: 'in-progress', detail: 'restarting' };
  }
}

export const REQUESTER = 'UREQUESTER1';
export const APPROVER = 'UAPPROVER1';

/**
 * `/vpn rotate` against a production-shape lab: the bot's approval service and executors in this process, on the
 * lab's shared store and route tables, posting to a Slack stand-in of its own (the lab's is inside the VPC
 * namespace). The monitors inside the server hosts report each restarted server's certificate.
 */
export class LabRotation {
  readonly slack: SlackStandin;
  readonly store: SqliteStore;
  readonly approvals: ApprovalService;

  private constructor(
    readonly lab: Lab,
    slackUrl: string,
    slack: SlackStandin,
  ) {
    this.slack = slack;
    const clock = systemClock;
    const log = silentLogger();
    this.store = new SqliteStore({ path: lab.files.store, clock });
    const routeTables = new NetnsRouteTables({
      namespace: lab.ns.vpc,
      tables: routeTableNumbers(lab.site.routeTableIds),
      nextHops: { [lab.site.name]: lab.nextHops() },
      delayMs: lab.routeDelayMs,
    });
    const common = { store: this.store, routeTables, clock, log };
    const checkTarget = heartbeatTargetCheck({ store: this.store, clock });
    const failover = new FailoverExecutor({ ...common, checkTarget });
    const redeploy = new RedeployExecutor({ ...common, tasks: new LabServers(lab), pollMs: 250 });
    const rotation = new RotationExecutor({
      ...common,
      certs: new DirPublishedCerts(lab.labPki.bucketDir),
      failover,
      redeploy,
      checkTarget,
      healthyTimeoutMs: 60_000,
      pollMs: 250,
    });
    const chat = new SlackChat(
      new WebClient('xoxb-lab', { ...SLACK_CLIENT_DEFAULTS, slackApiUrl: slackUrl }),
    );
    this.approvals = new ApprovalService({
      ...common,
      topology: { sites: [lab.site] } as never,
      chat,
      failover,
      redeploy,
      rotation,
      checkTarget,
    });
  }

  static async start(lab: Lab): Promise<LabRotation> {
    const slack = new SlackStandin({ transcriptPath: join(lab.root, 'rotation-slack.jsonl') });
    const url = await slack.start();
    return new LabRotation(lab, url, slack);
  }

  /**
   * What the operator does beforehand, on the machine with the CA key: `npm run pki -- renew <site> --role
   * server` and `publish` to the bucket. Returns the new serial of each tunnel's server certificate.
   */
  async stage(): Promise<Record<LabTunnel, string>> {
    await new Authority(this.lab.labPki.site).renew(TUNNELS, ['server'], 2);
    await publishSite(this.lab.labPki.site, TUNNELS, new DirTarget(this.lab.labPki.bucketDir));
    const serial = (t: LabTunnel) =>
      certIdOfFile(join(this.lab.labPki.bucketDir, this.lab.site.name, t, 'server.crt'))!.serial;
    return { primary: serial('primary'), secondary: serial('secondary') };
  }

  /** `/vpn rotate <site>` by one engineer, approved by another; resolves once the run is over. */
  async rotate(): Promise<ApprovalRequest> {
    const asked = await this.approvals.request({
      action: 'rotate',
      site: this.lab.site.name,
      requester: REQUESTER,
    });
    if (!asked.ok) throw new Error(`rotate refused: ${asked.reason}`);
    const done = await this.approvals.approve(asked.request.id, APPROVER);
    if (!done.ok) throw new Error(`approve refused: ${refusalText(done.refusal)}`);
    return done.request;
  }

  /** Replies in the request message's thread. */
  threadTexts(r: ApprovalRequest): string[] {
    return this.slack.calls
      .filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === r.message?.ts)
      .map((c) => String(c.args.text ?? ''));
  }

  async stop(): Promise<void> {
    await this.slack.stop();
    await this.store.close();
  }
}

/** Strips what two hex spellings of one serial may differ in (colons, case, leading zeros). */
const hex = (s: string): string => s.trim().replace(/:/g, '').toUpperCase().replace(/^0+/, '');

/**
 * The serial of the certificate a running server presents, as a client sees it in a real handshake: a one-off
 * openvpn client in the tunnel's on-prem host, with the tunnel's own client certificate, whose tls-verify script
 * records the server certificate's serial and then fails the handshake on purpose, so the server never admits
 * it (and never replaces the tunnel's real client, which has the same name).
 */
export async function handshakeSerial(lab: Lab, t: LabTunnel): Promise<string> {
  const dir = join(lab.root, `handshake-${t}-${randomUUID().slice(0, 8)}`);
  await mkdir(dir, { recursive: true });
  const out = join(dir, 'serial');
  const script = join(dir, 'verify.sh');
  await writeFile(script, `#!/bin/sh\n[ "$1" = 0 ] || exit 0\necho "$tls_serial_hex_0" > ${out}\nexit 1\n`, {
    mode: 0o755,
  });
  const pki = lab.pkiOf(t).client.dir;
  const child = spawn(
    'ip',
    [
      ...['netns', 'exec', lab.ns.client[t], 'openvpn', '--client', '--dev', 'null', '--proto', 'udp'],
      ...['--remote', PLAN[t].serverWanIp, '1194', '--nobind', '--connect-retry', '1', '1'],
      ...['--ca', join(pki, 'ca.crt'), '--cert', join(pki, 'client.crt'), '--key', join(pki, 'client.key')],
      ...['--tls-crypt', join(pki, 'tls-crypt.key'), '--remote-cert-tls', 'server'],
      ...['--verify-x509-name', lab.pkiOf(t).server.commonName, 'name'],
      ...['--script-security', '2', '--tls-verify', script, '--verb', '3'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  try {
    const seen = await waitFor(
      async () =>
        readFile(out, 'utf8').then(
          (s) => s.trim().length > 0,
          () => false,
        ),
      20_000,
      100,
    );
    if (!seen) throw new Error(`no handshake with ${t}'s server:\n${log.slice(-3000)}`);
    return hex(await readFile(out, 'utf8'));
  } finally {
    child.kill('SIGKILL');
    await sleep(100);
    await rm(dir, { recursive: true, force: true });
  }
}

export const sameSerial = (a: string, b: string): boolean => hex(a) === hex(b);
