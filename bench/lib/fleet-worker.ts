/**
 * One process of bench:fleet's simulated account, forked by bench/fleet.ts. It hosts either
 * - monitors: for each of its sites, both tunnels' monitors as they run beside the servers in AWS (the real
 *   MonitorLoop, heartbeat reporter, peer watch and fast path, each monitor with its own AWS clients and its own
 *   FailoverController, as createFailoverController builds it for src/monitor/main.ts), or
 * - the backstop: one controller per site (as infra deploys one Lambda per site) on the 1-minute schedule.
 * Everything it shares with the other processes is the store (bench/lib/store-server.ts, one process as one
 * DynamoDB table in AWS); EC2 and Slack are the parent's stand-ins.
 * The world (which AZ is down) comes over IPC: a monitor in the lost AZ stops as its host would, and probes of a
 * tunnel or host in that AZ fail.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createFailoverController } from '../../src/app/create-controller.js';
import { createAwsAccount } from '../../src/aws/aws-account.js';
import { AwsClients } from '../../src/aws/clients.js';
import { loadEnv } from '../../src/config/load-env.js';
import { type Topology, topologySchema } from '../../src/config/topology-schema.js';
import { siteOnly } from '../../src/domain/topology.js';
import { silentLogger } from '../../src/log.js';
import { FastPathReporter } from '../../src/monitor/fast-path-reporter.js';
import { CompositeReporter } from '../../src/monitor/health-reporter.js';
import { HeartbeatReporter } from '../../src/monitor/heartbeat-reporter.js';
import { MonitorLoop } from '../../src/monitor/monitor-loop.js';
import { PeerWatch } from '../../src/monitor/peer-watch.js';
import { type Prober, targetLabel } from '../../src/monitor/probe.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import type { FailoverController } from '../../src/services/failover/failover-controller.js';
import { azOf } from './fleet-world.js';
import { SocketStore } from './store-client.js';

export type ToFleetWorker =
  | {
      type: 'start';
      role: 'monitors' | 'backstop';
      topologyPath: string;
      sites: string[];
      awsUrl: string;
      slackUrl: string;
      /** The store process's unix socket. */
      storeSocket: string;
      /** TUNNELOPS_EC2_BUDGET: the stand-in's buckets, as an operator sets what AWS gave the account. */
      budgetSpec: string;
      /** Backstop: first scheduled reconcile this many ms from start, then every 60 s. */
      backstopFirstMs?: number;
    }
  | { type: 'outage'; az: string }
  /** `traceSites`: the sites whose log lines and store calls come back (the bench's first and slowest). */
  | { type: 'stop'; traceSites: string[] };

export type FromFleetWorker =
  | { type: 'ready'; monitors: number; rssMb: number }
  | { type: 'reconciled'; at: number; sites: number }
  | {
      type: 'stopped';
      warnings: Record<string, number>;
      evaluations: Record<string, number>;
      traces: EvaluationTrace[];
      log: SiteLogLine[];
      load: ProcessLoad;
    };

/** How busy a worker was from the outage on: its event loop's delay and its store calls' round trips. */
export interface ProcessLoad {
  loopP99Ms: number;
  loopMaxMs: number;
  storeCalls: number;
  storeP99Ms: number;
  storeMaxMs: number;
  /** Store calls that took 100 ms or more to answer. */
  storeSlow: number;
}

export interface SiteLogLine {
  site: string;
  at: number;
  msg: string;
}

/** One evaluation after the outage, for the bench's trace of its slowest sites (epoch ms). */
export interface EvaluationTrace {
  site: string;
  actor: string;
  trigger: string;
  startedAt: number;
  endedAt: number;
  outcome: string;
}

const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const send = (m: FromFleetWorker) => process.send?.(m);
const downAzs = new Set<string>();
const stops: Array<() => Promise<void>> = [];
let store: SocketStore | undefined;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

let budgetSpec = '';
/** Warnings of the AWS adapters, by message (the budget falling back to local pacing, throttled calls). */
const warnings = new Map<string, number>();
/** After the outage: every log line that names a site, for the trace of the slowest sites. */
const siteLog: SiteLogLine[] = [];
const awsLog = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as {
        msg?: string;
        level?: number;
        time?: number;
        site?: string;
        actor?: string;
        err?: { message?: string };
      };
      const msg = line.msg ?? '?';
      // Counted by message and cause, and whether before or after the outage (start-up is not the event).
      const key = `${msg}${line.err?.message ? ` (${line.err.message.slice(0, 80)})` : ''}${outageSeen ? '' : ' [before the outage]'}`;
      if ((line.level ?? 0) >= 40) warnings.set(key, (warnings.get(key) ?? 0) + 1);
      if (outageSeen && line.site)
        siteLog.push({ site: line.site, at: line.time ?? Date.now(), msg: `${line.actor ?? ''} ${msg}` });
      done();
    },
  }),
);

function ec2Account(topology: Topology, awsUrl: string, db: Store) {
  const env = loadEnv({
    AWS_ENDPOINT_URL: awsUrl,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    TUNNELOPS_EC2_BUDGET: budgetSpec,
  });
  // Its own clients, as every monitor (and every Lambda) has its own: own connections, own SDK retry quota.
  const clients = new AwsClients({ endpoint: awsUrl, credentials: FAKE_CREDENTIALS });
  stops.push(async () => clients.destroy());
  return {
    env,
    account: createAwsAccount({ env, topology, clock: systemClock, log: awsLog, clients, store: db }),
  };
}

/** Each worker starts its monitors over 80 ms each (250 monitors: 20 s; see startMonitors). */
const START_SPREAD_MS_EACH = 80;

function startMonitors(topology: Topology, sites: string[], awsUrl: string, slackUrl: string, db: Store) {
  const log = silentLogger();
  let count = 0;
  const traced = awsLog;
  for (const name of sites) {
    const site = topology.sites.find((s) => s.name === name)!;
    for (const tunnel of site.tunnels) {
      const peerTunnel = site.tunnels.find((t) => t.name !== tunnel.name)!.name;
      const ownAz = azOf(topology, site.name, tunnel.name);
      const peerAz = azOf(topology, site.name, peerTunnel);
      const { env, account } = ec2Account(topology, awsUrl, db);
      // As on a server host: no Slack token, so reports and proposals go into the site's outbox for the bot.
      const controller = counted(
        createFailoverController({
          env: { ...env, SLACK_BOT_TOKEN: undefined, SLACK_API_URL: slackUrl },
          topology,
          account,
          store: db,
          clock: systemClock,
          log: traced.child({ actor: tunnel.name }),
          actor: `controller@monitor:${site.name}/${tunnel.name}`,
        }),
        tunnel.name,
      );
      // Through the tunnel: up while this server's AZ is (on prem is fine in this scenario).
      const prober: Prober = async (target) =>
        downAzs.has(ownAz)
          ? { target: targetLabel(target), ok: false, rttMs: null, error: 'timeout' }
          : { target: targetLabel(target), ok: true, rttMs: 12 };
      // Over the VPC to the peer's host: answers while the peer's AZ is up.
      const peerProber: Prober = async (target) =>
        downAzs.has(peerAz)
          ? { target: targetLabel(target), ok: false, rttMs: null, error: 'timeout' }
          : { target: targetLabel(target), ok: true, rttMs: 1 };
      const loop = new MonitorLoop({
        site,
        tunnel: tunnel.name,
        prober,
        reporter: new CompositeReporter([
          new HeartbeatReporter({ store: db, log, intervalMs: 0 }),
          new FastPathReporter({ controller, clock: systemClock, log }),
        ]),
        clock: systemClock,
        log,
        peer: new PeerWatch({
          site,
          peerTunnel,
          host: `10.0.${count % 250}.${Math.floor(count / 250) + 10}`,
          prober: peerProber,
          store: db,
          clock: systemClock,
          log,
        }),
      });
      // Spread over the first seconds, as servers come up at different times in AWS: 250 monitors starting in
      // one instant each evaluated at once, and their reads queued past the budget's bound before any outage.
      const starting = setTimeout(() => loop.start(), count * START_SPREAD_MS_EACH);
      stops.push(async () => clearTimeout(starting));
      count++;
      // The AZ goes: this server's host (and its monitor process) is gone, mid-round or not.
      outageHooks.push((az) => {
        if (az === ownAz) void loop.stop();
      });
      stops.push(() => loop.stop());
    }
  }
  return count;
}

const outageHooks: Array<(az: string) => void> = [];

/** Evaluations after the outage, by "trigger -> decision" (what spends the Describe bucket). */
const evaluations = new Map<string, number>();
const count = (key: string, n = 1) => evaluations.set(key, (evaluations.get(key) ?? 0) + n);
const traces: EvaluationTrace[] = [];
let outageSeen = false;
function counted(controller: FailoverController, actor: string): FailoverController {
  const evaluate = controller.evaluate.bind(controller);
  controller.evaluate = async (site, trigger) => {
    const startedAt = Date.now();
    const seen = outageSeen;
    const note = (key: string, detail = key) => {
      if (!seen) return;
      count(key);
      traces.push({ site, actor, trigger: trigger.kind, startedAt, endedAt: Date.now(), outcome: detail });
    };
    try {
      const outcome = await evaluate(site, trigger);
      const r = outcome.result;
      const key = `${trigger.kind} -> ${outcome.decision.code}${r ? (r.ok ? ' (ran)' : ` (${r.refusal ?? 'failed'})`) : ''}`;
      note(key, r && !r.ok ? `${key}: ${r.reason}` : key);
      return outcome;
    } catch (err) {
      note(
        `${trigger.kind} -> threw`,
        `${trigger.kind} -> threw: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw err;
    }
  };
  return controller;
}

function startBackstop(
  topology: Topology,
  sites: string[],
  awsUrl: string,
  slackUrl: string,
  db: Store,
  firstMs: number,
) {
  const controllers = sites.map((name) => {
    const only = siteOnly(topology, name)!;
    const { env, account } = ec2Account(only, awsUrl, db);
    return createFailoverController({
      // As the Lambda in AWS (647ce16): no Slack token, so its reports go into the site's outbox and the bot posts
      // them grouped with the fast paths' for the same event.
      env: { ...env, SLACK_BOT_TOKEN: undefined, SLACK_API_URL: slackUrl },
      topology: only,
      account,
      store: db,
      clock: systemClock,
      log: silentLogger(),
    });
  });
  // EventBridge Scheduler (infra/lib/site/backstop-schedule.ts) runs each site's rate(1 minute) schedule at a
  // point of its own within a 1-minute flexible window, so the fleet's reconciles spread over the minute.
  controllers.forEach((c, i) => {
    const tick = () => {
      const at = Date.now();
      void c.reconcileAll().then(({ outcomes, deferred }) => {
        // Deferred: the account's route-read queue was long (the fast paths at work); nothing read or decided.
        if (outageSeen && deferred.length > 0) count('backstop -> deferred', deferred.length);
        for (const o of outcomes) {
          const r = o.result;
          const key = `backstop -> ${o.decision.code}${r ? (r.ok ? ' (ran)' : ` (${r.refusal ?? 'failed'})`) : ''}`;
          if (outageSeen) count(key);
          if (outageSeen)
            traces.push({
              site: o.site,
              actor: 'backstop',
              trigger: 'reconcile',
              startedAt: at,
              endedAt: Date.now(),
              outcome: r && !r.ok ? `${key}: ${r.reason}` : key,
            });
        }
        // A deferred tick read and decided nothing: not a reconcile.
        if (outcomes.length > 0) send({ type: 'reconciled', at, sites: outcomes.length });
      });
    };
    const first = setTimeout(
      () => {
        tick();
        const every = setInterval(tick, 60_000);
        stops.push(async () => clearInterval(every));
      },
      firstMs + ((i * 60_000) / controllers.length + Math.random() * (60_000 / controllers.length)),
    );
    stops.push(async () => clearTimeout(first));
  });
}

function storeLoad(): ProcessLoad {
  const trips = [...(store?.roundTrips ?? [])].sort((a, b) => a - b);
  return {
    loopP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
    loopMaxMs: Math.round(loopDelay.max / 1e6),
    storeCalls: trips.length,
    storeP99Ms: Math.round(trips[Math.max(0, Math.ceil(trips.length * 0.99) - 1)] ?? 0),
    storeMaxMs: Math.round(trips.at(-1) ?? 0),
    storeSlow: trips.filter((ms) => ms >= 100).length,
  };
}

process.on('message', (msg: ToFleetWorker) => {
  if (msg.type === 'start') {
    const topology = topologySchema.parse(JSON.parse(readFileSync(msg.topologyPath, 'utf8')));
    budgetSpec = msg.budgetSpec;
    void SocketStore.connect(msg.storeSocket).then((db) => {
      store = db;
      let monitors = 0;
      if (msg.role === 'monitors')
        monitors = startMonitors(topology, msg.sites, msg.awsUrl, msg.slackUrl, db);
      else startBackstop(topology, msg.sites, msg.awsUrl, msg.slackUrl, db, msg.backstopFirstMs ?? 60_000);
      send({ type: 'ready', monitors, rssMb: Math.round(process.memoryUsage().rss / 1e6) });
    });
  } else if (msg.type === 'outage') {
    outageSeen = true;
    loopDelay.reset();
    if (store) {
      store.timing = true;
      // Every store call naming a site, into that site's log: the round trips on its path to healed.
      store.onCall = (method, args, sentAt, answeredAt) => {
        const site = /site\d+/.exec(String(args[1] ?? ''))?.[0];
        if (site)
          siteLog.push({
            site,
            at: sentAt,
            msg: `store ${method} ${String(args[0])} (${answeredAt - sentAt} ms)`,
          });
      };
    }
    downAzs.add(msg.az);
    for (const hook of outageHooks) hook(msg.az);
  } else if (msg.type === 'stop') {
    // The figures go first: stopping 250 monitors waits for their rounds in flight (a fast path may be queued in
    // the EC2 budget for a minute), and a worker that missed the bench's 10 s was killed with its figures.
    const traced = new Set(msg.traceSites);
    const stopped: FromFleetWorker = {
      type: 'stopped',
      warnings: Object.fromEntries(warnings),
      evaluations: Object.fromEntries(evaluations),
      traces: traces.filter((t) => traced.has(t.site)),
      log: siteLog.filter((l) => traced.has(l.site)),
      load: storeLoad(),
    };
    process.send?.(stopped, () => {
      void Promise.allSettled(stops.map((s) => s()))
        .then(() => store?.close())
        .finally(() => process.exit(0));
    });
  }
});

// A bench that dies (timeout, Ctrl-C) must not leave its workers running 500 monitors on a shared machine.
process.on('disconnect', () => process.exit(1));
