import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Site } from '../../src/config/topology-schema.js';
import {
  buildNetwork,
  buildServerHost,
  type LabNamespaces,
  namespacesFor,
  setServerLinks,
} from './lab-network.js';
import { readHeartbeats } from './lab-observe.js';
import {
  IPERF_PORT,
  type LabTunnel,
  labSite,
  PLAN,
  ROUTE_TABLES,
  routeTableNumbers,
  SERVICE_IP,
  SERVICE_TCP_IP,
  SERVICE_TCP_PORT,
  TUNNELS,
  VPC_CIDR,
  VPC_ROUTER_IP,
} from './lab-plan.js';
import {
  CLIENT_ENTRYPOINT,
  CLIENT_TEMPLATE,
  CRL_REFRESH,
  NODE_TS,
  NsProcess,
  openvpnPid,
  PEER_CERT_HOOK,
  processesIn,
  RENDER_CONFIG_CMD,
  REPO_ROOT,
  SERVER_ENTRYPOINT,
} from './lab-processes.js';
import { deleteNamespace, deleteNamespacesWithPrefix, inNs, sh, status, waitFor } from './netns.js';
import { createTestPki, type LabPki, type TunnelPki } from './pki.js';

/** Returns the text of a server config for these directories (and may write files, such as ccd, beside it). */
export type ServerConfigWriter = (dirs: { pkiDir: string; runDir: string; tunnel: LabTunnel }) => string;

/** Every lab namespace starts with this; `lab:down --all` removes whatever a crashed run left. */
export const LAB_PREFIX = 'tolab';

export interface LabOptions {
  /** Short id (letters/digits); a random one by default so parallel runs never collide. */
  id?: string;
  site?: Site;
  /**
   * Per-tunnel overrides (bench:tunnel runs the reference design's config on one tunnel): a server config
   * written to the run dir and passed as OPENVPN_CONFIG, and a client template for the client entrypoint.
   */
  configs?: Partial<Record<LabTunnel, { serverConfig?: ServerConfigWriter; clientTemplate?: string }>>;
  log?: (msg: string) => void;
  /**
   * Production shape (default): each server entrypoint runs its monitor (fast path on, peer detection on), a
   * backstop runs the controller Lambda's core every minute, Slack is a stand-in process; all share one store.
   * false: bare tunnels, for the image tests and bench:tunnel.
   */
  monitors?: boolean;
  /** Per-ReplaceRoute delay of the lab's route adapter (LAB_ROUTE_DELAY_MS, default 200). */
  routeDelayMs?: number;
}

/** Files of a production-shape lab: the shared store, the Slack transcript, the switch that hangs Slack. */
export interface LabFiles {
  dataDir: string;
  store: string;
  transcript: string;
  slackHang: string;
}

/**
 * The real-tunnel lab: namespaces + veth, a runtime PKI, and real openvpn processes started through the
 * images' entrypoints. Everything lives under one namespace prefix and one temp dir; down() removes both.
 */
export class Lab {
  readonly prefix: string;
  readonly ns: LabNamespaces;
  readonly site: Site;
  readonly root: string;
  private pki = new Map<string, TunnelPki>();
  /** The site's PKI and the directory standing in for the certificate bucket (set by start()). */
  labPki!: LabPki;
  private readonly servers = new Map<LabTunnel, NsProcess>();
  private readonly clients = new Map<LabTunnel, NsProcess>();
  private readonly helpers: NsProcess[] = [];
  readonly monitors: boolean;
  readonly routeDelayMs: number;
  readonly files: LabFiles;
  private slackUrl = '';

  private constructor(private readonly options: LabOptions) {
    this.prefix = `${LAB_PREFIX}${options.id ?? randomBytes(2).toString('hex')}-`;
    this.ns = namespacesFor(this.prefix);
    this.site = options.site ?? labSite();
    this.root = mkdtempSync(join(tmpdir(), this.prefix));
    // openvpn reads its ccd file after dropping to nobody: the directories must be traversable (keys stay 0600).
    chmodSync(this.root, 0o755);
    this.monitors = options.monitors ?? true;
    this.routeDelayMs = options.routeDelayMs ?? Number(process.env.LAB_ROUTE_DELAY_MS ?? 200);
    const dataDir = join(this.root, 'data');
    this.files = {
      dataDir,
      store: join(dataDir, 'tunnelops.sqlite'),
      transcript: join(this.root, 'slack-transcript.jsonl'),
      slackHang: join(this.root, 'slack-hang'),
    };
  }

  static async up(options: LabOptions = {}): Promise<Lab> {
    const lab = new Lab(options);
    try {
      await lab.start();
    } catch (err) {
      await lab.down();
      throw err;
    }
    return lab;
  }

  private log(msg: string): void {
    this.options.log?.(`[lab ${this.prefix}] ${msg}`);
  }

  private async start(): Promise<void> {
    await deleteNamespacesWithPrefix(this.prefix);
    await buildNetwork(this.ns, this.site);
    this.log('network built');
    this.labPki = await createTestPki(join(this.root, 'pki'), this.site.name, TUNNELS);
    this.pki = this.labPki.tunnels;
    writeFileSync(join(this.root, 'tunnels.yml'), stringify({ sites: [this.site] }));
    this.startServices();
    if (this.monitors) await this.startControlPlane();
    await Promise.all(TUNNELS.map(async (t) => this.startServer(t)));
    await Promise.all(TUNNELS.map(async (t) => this.startClient(t)));
    for (const t of TUNNELS) {
      if (!(await this.waitTunnel(t, 30_000)))
        throw new Error(`tunnel ${t} did not come up:\n${this.logs(t)}`);
    }
    this.log('both tunnels up');
    if (this.monitors && !(await this.waitMonitorsUp(30_000)))
      throw new Error(`the monitors never reported both tunnels up:\n${this.logs('primary')}`);
  }

  /** The shared store's directory, the Slack stand-in process and the backstop. */
  private async startControlPlane(): Promise<void> {
    mkdirSync(this.files.dataDir, { recursive: true });
    const urlFile = join(this.root, 'slack-url');
    this.helpers.push(
      new NsProcess(
        this.ns.vpc,
        process.execPath,
        [
          ...NODE_TS,
          join(REPO_ROOT, 'test/lab/lab-slack.ts'),
          this.files.transcript,
          this.files.slackHang,
          urlFile,
          VPC_ROUTER_IP,
        ],
        join(this.root, 'slack.log'),
      ),
    );
    if (!(await waitFor(async () => existsSync(urlFile), 20_000, 100)))
      throw new Error('the lab Slack stand-in did not start');
    this.slackUrl = readFileSync(urlFile, 'utf8');
    this.helpers.push(
      new NsProcess(
        this.ns.vpc,
        process.execPath,
        [...NODE_TS, join(REPO_ROOT, 'test/lab/lab-backstop.ts')],
        join(this.root, 'backstop.log'),
        { ...this.controlEnv(), LAB_BACKSTOP_SECONDS: process.env.LAB_BACKSTOP_SECONDS ?? '60' },
      ),
    );
  }

  /** What every decider (both monitors' fast path, the backstop) gets: topology, store, Slack, route adapter. */
  private controlEnv(): Record<string, string> {
    return {
      TUNNELOPS_TOPOLOGY: join(this.root, 'tunnels.yml'),
      TUNNELOPS_DATA_DIR: this.files.dataDir,
      SLACK_BOT_TOKEN: 'xoxb-lab',
      SLACK_API_URL: this.slackUrl,
      LOG_LEVEL: 'info',
      MONITOR_NETNS_ROUTES: JSON.stringify({
        namespace: this.ns.vpc,
        tables: routeTableNumbers(this.site.routeTableIds),
        nextHops: { [this.site.name]: this.nextHops() },
        delayMs: this.routeDelayMs,
      }),
    };
  }

  /** The server entrypoint's monitor settings: this tunnel, its peer's VPC address, the fast path. */
  private monitorEnv(t: LabTunnel): Record<string, string> {
    const peer = TUNNELS.find((x) => x !== t)!;
    return {
      ...this.controlEnv(),
      MONITOR_ENABLED: '1',
      MONITOR_CMD: `${process.execPath} ${NODE_TS.join(' ')} ${join(REPO_ROOT, 'src/monitor/main.ts')}`,
      // root only because the lab's route adapter runs `ip route` in the VPC router's namespace; in AWS the
      // monitor calls EC2 over HTTPS as the unprivileged "node" user.
      MONITOR_USER: 'root',
      MONITOR_NO_AWS: '1',
      MONITOR_PEER_HOST: PLAN[peer].serverVpcIp,
      MONITOR_SELF_HOST: PLAN[t].serverVpcIp,
    };
  }

  /** The on-prem service: a TCP listener (the monitor's tcp probe target) and an iperf3 server. */
  private startServices(): void {
    const tcp = `require('net').createServer((s)=>s.end()).listen(${SERVICE_TCP_PORT}, '${SERVICE_TCP_IP}')`;
    this.helpers.push(
      new NsProcess(this.ns.service, process.execPath, ['-e', tcp], join(this.root, 'svc-tcp.log')),
    );
    this.helpers.push(
      new NsProcess(
        this.ns.service,
        'iperf3',
        ['-s', '-p', String(IPERF_PORT)],
        join(this.root, 'iperf3.log'),
      ),
    );
  }

  runDir(role: 'server' | 'client', t: LabTunnel): string {
    return join(this.root, 'run', `${role}-${t}`);
  }

  /** Starts the server through its image's entrypoint; extraEnv can enable the bundled monitor and so on. */
  async startServer(t: LabTunnel, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.servers.get(t)?.stop(0);
    const pki = this.pki.get(t)!;
    const runDir = this.runDir('server', t);
    mkdirSync(runDir, { recursive: true });
    rmSync(join(runDir, 'openvpn.pid'), { force: true });
    const custom = this.options.configs?.[t]?.serverConfig;
    if (custom)
      writeFileSync(join(runDir, 'server.conf'), custom({ pkiDir: pki.server.dir, runDir, tunnel: t }));
    const env: Record<string, string> = custom
      ? { OPENVPN_CONFIG: join(runDir, 'server.conf') }
      : {
          TUNNELOPS_TOPOLOGY: join(this.root, 'tunnels.yml'),
          TUNNELOPS_SITE: this.site.name,
          TUNNELOPS_TUNNEL: t,
          RENDER_CONFIG: RENDER_CONFIG_CMD,
          PEER_CERT_HOOK: PEER_CERT_HOOK,
          TUNNEL_NETWORK: PLAN[t].tunnelNetwork,
          VPC_CIDRS: VPC_CIDR,
        };
    const proc = new NsProcess(
      this.ns.server[t],
      'bash',
      [SERVER_ENTRYPOINT],
      join(this.root, `server-${t}.log`),
      {
        ...env,
        PKI_DIR: pki.server.dir,
        RUN_DIR: runDir,
        ...(this.monitors && !custom ? this.monitorEnv(t) : { MONITOR_ENABLED: '0' }),
        ...extraEnv,
      },
    );
    this.servers.set(t, proc);
    if (!(await waitFor(async () => openvpnPid(runDir) !== null || !proc.running, 20_000))) {
      throw new Error(`server ${t} did not start:\n${proc.log()}`);
    }
    if (!proc.running) throw new Error(`server ${t} exited:\n${proc.log()}`);
  }

  async startClient(t: LabTunnel): Promise<void> {
    await this.clients.get(t)?.stop(0);
    const pki = this.pki.get(t)!;
    const proc = new NsProcess(
      this.ns.client[t],
      'bash',
      [CLIENT_ENTRYPOINT],
      join(this.root, `client-${t}.log`),
      {
        PKI_DIR: pki.client.dir,
        RUN_DIR: this.runDir('client', t),
        CLIENT_TEMPLATE: this.options.configs?.[t]?.clientTemplate ?? CLIENT_TEMPLATE,
        REMOTE_HOST: PLAN[t].serverWanIp,
        SERVER_CN: pki.server.commonName,
      },
    );
    this.clients.set(t, proc);
  }

  /** This run's PKI of a tunnel (directories with each end's certificate, key and tls-crypt key). */
  pkiOf(t: LabTunnel): TunnelPki {
    return this.pki.get(t)!;
  }

  /**
   * Starts an extra client through the client entrypoint with any PKI directory, against a tunnel's server
   * (for tests that an impostor is refused). It uses its own tun device and run dir.
   */
  startExtraClient(name: string, ns: string, pkiDir: string, against: LabTunnel): NsProcess {
    const proc = new NsProcess(ns, 'bash', [CLIENT_ENTRYPOINT], join(this.root, `client-${name}.log`), {
      PKI_DIR: pkiDir,
      RUN_DIR: join(this.root, 'run', `client-${name}`),
      TUN_DEV: 'tun9',
      CLIENT_TEMPLATE,
      REMOTE_HOST: PLAN[against].serverWanIp,
      SERVER_CN: this.pki.get(against)!.server.commonName,
      MASQUERADE: '0',
    });
    this.helpers.push(proc);
    return proc;
  }

  /**
   * Runs the server's CRL refresher (images/openvpn-server/crl-refresh.sh, what the instance runs beside the
   * container) against the lab's "bucket" directory, every `seconds`.
   */
  startCrlRefresher(t: LabTunnel, seconds: number): NsProcess {
    const pki = this.pki.get(t)!;
    const published = join(this.labPki.bucketDir, this.site.name, t, 'crl.pem');
    const proc = new NsProcess(
      this.ns.server[t],
      'bash',
      [CRL_REFRESH, join(pki.server.dir, 'crl.pem'), join(pki.server.dir, 'ca.crt'), '--', 'cat', published],
      join(this.root, `crl-refresh-${t}.log`),
      { CRL_REFRESH_SECONDS: String(seconds) },
    );
    this.helpers.push(proc);
    return proc;
  }

  serverLog(t: LabTunnel): string {
    return this.servers.get(t)?.log() ?? '';
  }

  /** Graceful stop of a server (SIGTERM to its entrypoint, as `docker stop` does). */
  async stopServer(t: LabTunnel): Promise<void> {
    await this.servers.get(t)?.stop(5000);
  }

  /** Crash of the server's openvpn (SIGKILL, no goodbye to the client); its entrypoint then exits. */
  killServerOpenvpn(t: LabTunnel): void {
    const pid = openvpnPid(this.runDir('server', t));
    if (pid) process.kill(pid, 'SIGKILL');
  }

  /** The on-prem client host dies: its entrypoint (supervisor) and openvpn are killed together. */
  killClient(t: LabTunnel): void {
    this.clients.get(t)?.kill('SIGKILL');
  }

  /** Only the client's openvpn dies; its supervisor is expected to restart it. */
  killClientOpenvpn(t: LabTunnel): number | null {
    const pid = openvpnPid(this.runDir('client', t));
    if (pid) process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** The server host dies: every process in its namespace is killed and its links go down. */
  async killHost(t: LabTunnel): Promise<void> {
    // One after the other: `ip -n` itself runs inside the namespace while it works, so a parallel kill-all
    // would kill it.
    await setServerLinks(this.ns, t, false);
    await this.killAllIn(this.ns.server[t]);
  }

  /**
   * The instance is terminated (replaced by the ASG, AZ loss): the host is gone for good, its namespace and veths
   * deleted, so the VPC router loses its routes through it (as EC2 blackholes routes to a detached ENI or a
   * terminated instance). bootHost() is the replacement: same VPC address (the tunnel's ENI, attached at boot),
   * same secrets, the image entrypoint.
   */
  async destroyHost(t: LabTunnel): Promise<void> {
    await deleteNamespace(this.ns.server[t]);
  }

  /** Boots a (new) server host: namespace, links, and the server entrypoint with its monitor. */
  async bootHost(t: LabTunnel): Promise<void> {
    const ns = this.ns.server[t];
    if ((await status('ip', ['netns', 'exec', ns, 'true'])) !== 0) {
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await buildServerHost(this.ns, t);
    } else if ((await status('ip', ['-n', ns, 'route', 'get', PLAN[t].vpcRouterIp])) !== 0) {
      await setServerLinks(this.ns, t, true);
    }
    await this.startServer(t);
  }

  private async killAllIn(ns: string): Promise<void> {
    for (const pid of await processesIn(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** The pid of the monitor process inside a server host, or null. */
  async monitorPid(t: LabTunnel): Promise<number | null> {
    const pids = await processesIn(this.ns.server[t], 'src/monitor/main.ts');
    return pids[0] ?? null;
  }

  /** Holds a server host's monitor process (see hold); returns its thaw. */
  async holdMonitor(t: LabTunnel): Promise<() => void> {
    const pid = await this.monitorPid(t);
    if (pid === null) throw new Error(`no monitor runs on the ${t} host`);
    return hold(pid);
  }

  /** Holds the backstop process (see hold); returns its thaw. */
  async holdBackstop(): Promise<() => void> {
    const [pid] = await processesIn(this.ns.vpc, 'test/lab/lab-backstop.ts');
    if (pid === undefined) throw new Error('no backstop runs in this lab');
    return hold(pid);
  }

  /** While on, every Slack Web API call is held unanswered (the caller's timeout ends it). */
  slackHangs(on: boolean): void {
    if (on) writeFileSync(this.files.slackHang, '');
    else rmSync(this.files.slackHang, { force: true });
  }

  /** Drops everything between the two server hosts at the VPC router; both tunnels keep working. */
  async cutServerPath(cut: boolean): Promise<void> {
    await inNs(this.ns.vpc, 'iptables', ['-w', '-F', 'FORWARD']);
    if (!cut) return;
    const [a, b] = [PLAN.primary.serverVpcIp, PLAN.secondary.serverVpcIp];
    for (const [s, d] of [
      [a, b],
      [b, a],
    ] as const)
      await inNs(this.ns.vpc, 'iptables', ['-w', '-A', 'FORWARD', '-s', s, '-d', d, '-j', 'DROP']);
  }

  clientPid(t: LabTunnel): number | null {
    return openvpnPid(this.runDir('client', t));
  }

  /** True when the on-prem service answers a ping sent from the server host through this tunnel. */
  async tunnelWorks(t: LabTunnel): Promise<boolean> {
    return (
      (await status('ip', [
        'netns',
        'exec',
        this.ns.server[t],
        'ping',
        '-c1',
        '-W1',
        '-n',
        this.site.probeTargets[0]!.host,
      ])) === 0
    );
  }

  waitTunnel(t: LabTunnel, timeoutMs: number): Promise<boolean> {
    return waitFor(() => this.tunnelWorks(t), timeoutMs, 300);
  }

  /** Random loss on the tunnel's WAN path, both directions, with iptables statistic (tc netem is not available). */
  async setLoss(t: LabTunnel, probability: number | null): Promise<void> {
    const p = PLAN[t];
    const rules = [
      ['-s', p.serverWanIp, '-d', p.clientWanIp],
      ['-s', p.clientWanIp, '-d', p.serverWanIp],
    ].map((r) => [
      ...r,
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      String(probability ?? 0),
      '-j',
      'DROP',
    ]);
    await inNs(this.ns.wan, 'iptables', ['-w', '-F', 'FORWARD']);
    if (probability === null) return;
    for (const r of rules) await inNs(this.ns.wan, 'iptables', ['-w', '-A', 'FORWARD', ...r]);
  }

  /** True while the server's openvpn process lives (its entrypoint exits right after it). */
  serverRunning(t: LabTunnel): boolean {
    const pid = openvpnPid(this.runDir('server', t));
    if (!pid || !this.servers.get(t)?.running) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  clientRunning(t: LabTunnel): boolean {
    return this.clients.get(t)?.running ?? false;
  }

  /**
   * Back to the starting state after a test broke something: every host, server, monitor and client running,
   * no loss, no cut path, Slack answering, every route on the primary, both tunnels passing traffic and (with
   * monitors) both reported up with fresh heartbeats.
   */
  async restore(): Promise<void> {
    await this.setLoss('primary', null);
    if (this.monitors) {
      this.slackHangs(false);
      await this.cutServerPath(false);
    }
    for (const t of TUNNELS) {
      if (!this.serverRunning(t)) await this.bootHost(t);
      if (!this.clientRunning(t)) await this.startClient(t);
    }
    for (const t of TUNNELS) {
      if (await this.waitTunnel(t, 12_000)) continue;
      // A client whose server was gone for more than ping-restart exits (no persist-tun by design) and its
      // supervisor backs off up to 30 s: restart it rather than wait out the backoff.
      await this.startClient(t);
      if (!(await this.waitTunnel(t, 30_000)))
        throw new Error(`tunnel ${t} did not come back:\n${this.logs(t)}`);
    }
    if (this.monitors && !(await this.waitMonitorsUp(30_000)))
      throw new Error(`the monitors did not report both tunnels up again:\n${this.logs('primary')}`);
    // Only now, with both reported up, so no decider (the backstop's next tick) sees routes on a tunnel whose
    // last heartbeat still says down.
    await this.pointRoutesAt('primary');
  }

  /** Resolves true once both monitors' heartbeats say up and are fresh. */
  waitMonitorsUp(timeoutMs: number): Promise<boolean> {
    return waitFor(
      async () => {
        const beats = readHeartbeats(this.files.store, this.site.name);
        return TUNNELS.every(
          (t) => beats[t]?.health === 'up' && Date.now() - Date.parse(beats[t]!.at) < 1500,
        );
      },
      timeoutMs,
      250,
    );
  }

  /** Points every route of both route tables at a tunnel, directly (the lab's own reset, not the controller). */
  async pointRoutesAt(t: LabTunnel): Promise<void> {
    for (const id of this.site.routeTableIds) {
      const rt = ROUTE_TABLES[id]!;
      for (const cidr of this.site.onPremCidrs) {
        await sh('ip', [
          '-n',
          this.ns.vpc,
          'route',
          'replace',
          cidr,
          'via',
          PLAN[t].serverVpcIp,
          'table',
          String(rt.table),
        ]);
      }
    }
  }

  /** Packets the server host sent into its tunnel (tun0 tx): how a test sees which tunnel carried traffic. */
  async tunnelTxPackets(t: LabTunnel): Promise<number> {
    const out = await sh('ip', ['-n', this.ns.server[t], '-j', '-s', 'link', 'show', 'dev', 'tun0']).catch(
      () => '[]',
    );
    const link = (JSON.parse(out) as Array<{ stats64?: { tx?: { packets?: number } } }>)[0];
    return link?.stats64?.tx?.packets ?? 0;
  }

  /** Pings from the app host (through the VPC router's route table); resolves to the replies received. */
  async appPing(count: number, host = SERVICE_IP): Promise<number> {
    const out = await sh(
      'ip',
      ['netns', 'exec', this.ns.app, 'ping', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', host],
      {
        timeoutMs: count * 1000 + 5000,
      },
    ).catch((err: Error) => err.message);
    return Number(/(\d+) received/.exec(out)?.[1] ?? 0);
  }

  /** The next hop each tunnel has in the VPC route tables: its server host's VPC address. */
  nextHops(): Record<string, string> {
    return Object.fromEntries(TUNNELS.map((t) => [t, PLAN[t].serverVpcIp]));
  }

  /** The route the app host's route table (table 101) has for a CIDR, e.g. "10.20.0.0/16 via 10.99.2.10 dev srv1". */
  async routeShow(table = 101): Promise<string> {
    return sh('ip', ['-n', this.ns.vpc, 'route', 'show', 'table', String(table)]);
  }

  logs(t: LabTunnel): string {
    return `--- server ${t} ---\n${this.servers.get(t)?.log() ?? ''}\n--- client ${t} ---\n${this.clients.get(t)?.log() ?? ''}`;
  }

  /** Every decision the deciders logged (both monitors' fast path and the backstop), for a failing test's report. */
  decisions(sinceMs = 0): string[] {
    const files = [
      ...TUNNELS.map((t) => join(this.root, `server-${t}.log`)),
      join(this.root, 'backstop.log'),
    ];
    const lines = files.flatMap((f) => {
      const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
      return text
        .split('\n')
        .filter((l) => /controller decided|failover|lease|evaluation/.test(l))
        .map((l) => {
          try {
            const j = JSON.parse(l) as {
              time: number;
              monitor?: string;
              lab?: string;
              msg: string;
              reason?: string;
            };
            if (j.time < sinceMs) return null;
            return {
              time: j.time,
              line: `${new Date(j.time).toISOString()} ${j.monitor ?? j.lab ?? ''} ${j.msg}`,
            };
          } catch {
            return null;
          }
        })
        .filter((x): x is { time: number; line: string } => x !== null);
    });
    return lines.sort((a, b) => a.time - b.time).map((x) => x.line);
  }

  /** A production-shape lab's files and namespaces, for the CLI's lab:status and the operator. */
  describe(): { root: string; files: LabFiles; prefix: string } {
    return { root: this.root, files: this.files, prefix: this.prefix };
  }

  async down(): Promise<void> {
    const procs = [...this.servers.values(), ...this.clients.values(), ...this.helpers];
    await Promise.all(procs.map((p) => p.stop(2000)));
    await deleteNamespacesWithPrefix(this.prefix);
    rmSync(this.root, { recursive: true, force: true });
    this.log('down');
  }
}

/**
 * Holds a process (SIGSTOP), as an overloaded machine holds it: it neither probes, writes nor reads until
 * thawed. Returns the thaw (SIGCONT).
 */
function hold(pid: number): () => void {
  process.kill(pid, 'SIGSTOP');
  return () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  };
}
