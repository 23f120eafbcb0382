/**
 * bench:fleet: an AZ outage across a fleet, healed as fast as EC2's API allows.
 *
 * A simulated account in one region: 500 sites (2 route tables x 2 on-prem CIDRs each, the CIDRs in one prefix list
 * per site so each table has one route to move; BENCH_FLEET_ROUTES=cidrs: a route per CIDR, both tunnels in
 * different AZs), an EC2 stand-in that throttles each API with AWS's documented token buckets (mutating 200 at
 * 5/s, non-mutating 100 at 20/s, per API; RequestLimitExceeded as the SDK sees it; BENCH_EC2_BUCKETS changes
 * them, see bench/lib/ec2-buckets.ts) and answers every call after ~200 ms. The real monitors (1,000: loop,
 * heartbeats, peer watch and fast path, each with its own AWS clients and controller) run in worker processes
 * and the backstop (one controller per site, as one Lambda per site, on the 1-minute schedule) in another: they
 * share only the store, one SQLite database served by a process of its own (as one DynamoDB table serves every
 * host in AWS; bench/lib/store-server.ts). Slack is a stand-in that counts every post.
 *
 * Scenario az-outage: every server in one AZ dies at once (its monitor with it, its host stops answering).
 * Balanced: primaries alternate between the AZs; unbalanced: every primary in the lost AZ.
 * Report: sites affected, mutating calls needed and made, the physical limit those calls impose (detection,
 * then the bucket's burst, then its refill, then one call), time to the first, median, p99 and last site
 * healed, ratio last / limit, throttled calls, failed runs, rollbacks, sites split or still on the lost AZ at
 * the end, Slack posts for the event. Wrong outcomes: a site not healed by the deadline, split, or a site
 * whose active tunnel survived moved anyway.
 *
 * Short form (BENCH_SMOKE=1, in bench:smoke): 100 sites, balanced only, the buckets scaled with the fleet
 * (mutating 40 at 5/s, non-mutating 20 at 20/s: the same burst per site, AWS's refill), so the short run keeps
 * the shape of the full one in ~45 s. BENCH_FLEET_SITES, BENCH_FLEET_SCENARIOS=balanced,unbalanced override.
 * Last line (balanced): {"bench":"fleet","sites":500,"affected":..,"mutating_calls":..,"limit_s":..,"first_s":..,
 * "p50_s":..,"p99_s":..,"last_s":..,"ratio":..,"throttled":..,"failed_runs":0,"rollbacks":0,"split_at_end":0,
 * "slack_posts":..,"reads_before_last":..,"read_limit_s":..,"unbalanced_ratio":..,"wrong":0,"valid":true}
 * (reads_before_last: DescribeRouteTables before the last heal, read_limit_s the time their bucket needs: when
 * it passes limit_s, reads and not ReplaceRoute bound the heal.)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebClient } from '@slack/web-api';
import { EC2_BUDGET_NS } from '../src/aws/ec2-request-budget.js';
import type { Topology } from '../src/config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat } from '../src/domain/heartbeat.js';
import { SlackStandin } from '../src/local/slack-standin.js';
import { silentLogger } from '../src/log.js';
import { systemClock } from '../src/ports/clock.js';
import { OutboxRelay } from '../src/services/failover/report-outbox.js';
import { SLACK_CLIENT_DEFAULTS, SlackChat } from '../src/slack/slack-chat.js';
import { benchSize, finishBench, runBench, SMOKE } from './lib/bench-run.js';
import {
  AWS_DEFAULT_BUCKETS,
  bucketLimitSeconds,
  bucketOf,
  budgetSpecOf,
  Ec2ApiBuckets,
  isMutating,
  parseBucketSpec,
} from './lib/ec2-buckets.js';
import { FakeAwsServer } from './lib/fake-aws-server.js';
import { FakeAwsState } from './lib/fake-aws-state.js';
import type {
  EvaluationTrace,
  FromFleetWorker,
  ProcessLoad,
  SiteLogLine,
  ToFleetWorker,
} from './lib/fleet-worker.js';
import { AZ_A, azOf, fleetTopology, type Placement } from './lib/fleet-world.js';
import { SocketStore } from './lib/store-client.js';
import type { FromStoreServer, ToStoreServer } from './lib/store-server.js';

const SITES = Number(process.env.BENCH_FLEET_SITES ?? benchSize(500, 100));
const SCENARIOS = (process.env.BENCH_FLEET_SCENARIOS ?? benchSize('balanced,unbalanced', 'balanced'))
  .split(',')
  .map((s) => s.trim()) as Placement[];
/** prefix-list (default: one route per table) or cidrs (a route per table and CIDR, as deployed before). */
const ROUTES = (process.env.BENCH_FLEET_ROUTES ?? 'prefix-list') as 'cidrs' | 'prefix-list';
if (ROUTES !== 'cidrs' && ROUTES !== 'prefix-list')
  throw new Error(`BENCH_FLEET_ROUTES must be cidrs or prefix-list, not ${String(ROUTES)}`);
const CALL_MS = 200;
const THROTTLED_MS = 50;
/** The short form's buckets: AWS's refill, the burst scaled with the fleet (100 of 500 sites: a fifth). */
const SHORT_BUCKETS = {
  mutating: { size: 40, refillPerSecond: 5 },
  nonMutating: { size: 20, refillPerSecond: 20 },
};
const BUCKETS = parseBucketSpec(process.env.BENCH_EC2_BUCKETS, SMOKE ? SHORT_BUCKETS : AWS_DEFAULT_BUCKETS);
const MONITOR_WORKERS = benchSize(4, 2);
/**
 * The issue's goals, in both forms: the last site within 1.2 x the limit, the first within 3 s. (The short form
 * asserted 1.5 x and 5 s while runs read 1.13 to 1.84: runs that waited out their budget turn longer than a lease
 * TTL failed, the decision aged its heartbeats against a clock read after a queued route read, and the outage
 * started while the fleet's start-up reads still queued in the budget. Each is fixed; see the README.)
 */
const RATIO_GOAL = 1.2;
const FIRST_GOAL_S = 3;
const LOST_AZ = AZ_A;
/** The budget's queue counts as empty when no reservation waits beyond this (the backstop's spread reads). */
const QUEUE_SLACK_MS = 250;

interface ScenarioResult {
  placement: Placement;
  sites: number;
  affected: number;
  needed: number;
  made: number;
  limitS: number;
  detectS: number;
  healS: number[];
  throttledMutating: number;
  throttledDescribe: number;
  describeCalls: number;
  /** DescribeRouteTables calls (accepted and throttled) from the outage to the end, and that window in seconds. */
  routeReads: number;
  /**
   * DescribeRouteTables EC2 accepted from the outage to the last site healed, by whom (a failing-over site's
   * own monitors, the other sites' monitors, the backstop), and the time that many reads take under their
   * bucket: when it passes the mutating limit, the reads, not ReplaceRoute, bound the heal.
   */
  readsBeforeLast: { total: number; limitS: number };
  windowS: number;
  failedRuns: number;
  rollbacks: number;
  split: number;
  stillLost: number;
  movedWrongly: number;
  slackPosts: number;
  /** What each post for the event said (first words), a thread reply or a message of its own. */
  postTexts: string[];
  monitorsRssMb: number[];
  backstopTicks: number[];
  timedOut: boolean;
  /** What the monitors' and the backstop's AWS adapters warned about, by message. */
  warnings: Record<string, number>;
  /** The monitors' evaluations from the outage on, by "trigger -> decision". */
  evaluations: Record<string, number>;
  /** Every call the stand-ins saw from the outage to the end, by API (throttled ones included). */
  calls: Record<string, number>;
  /** Up to 5 sites with a wrong outcome: where their routes ended, and their audit trail (s from the outage). */
  wrongStories: Array<{ site: string; routes: string; audit: string[] }>;
  /** The first and the slowest sites' story: when each was healed, its evaluations, EC2 and store calls (s from the outage). */
  slowest: SiteTrace[];
  /** Each worker's event-loop delay and store time from the outage on (monitor workers, then the backstop). */
  load: ProcessLoad[];
  /** The bench process's (EC2 stand-in, relay) event-loop delay p99 and max from the outage on. */
  parentLoopMs: [number, number];
  /** The store process from the outage on: calls served, ms busy with them, its event loop. */
  storeLoad?: StoreLoad;
}

interface SiteTrace {
  site: string;
  healedS: number;
  evaluations: EvaluationTrace[];
  /** "op@s" (a trailing ! marks a throttled call). */
  calls: string[];
  log: SiteLogLine[];
}

const workerFile = fileURLToPath(new URL('./lib/fleet-worker.ts', import.meta.url));
const storeServerFile = fileURLToPath(new URL('./lib/store-server.ts', import.meta.url));

type StoreLoad = FromStoreServer & { type: 'load' };

/** The store process: one SQLite database every other process reaches over its unix socket. */
async function startStoreServer(dbPath: string, socketPath: string) {
  const child = fork(storeServerFile, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`store process exited (${code}) before it listened`)));
    child.on('message', (m: FromStoreServer) => {
      if (m.type !== 'listening') return;
      child.removeAllListeners('exit');
      resolve();
    });
    child.send({ type: 'start', dbPath, socketPath } satisfies ToStoreServer);
  });
  return {
    resetLoad: () => child.send({ type: 'reset-load' } satisfies ToStoreServer),
    stop: () =>
      new Promise<StoreLoad | undefined>((resolve) => {
        let load: StoreLoad | undefined;
        child.on('message', (m: FromStoreServer) => {
          if (m.type === 'load') load = m;
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(load);
        });
        child.send({ type: 'stop' } satisfies ToStoreServer);
      }),
  };
}

function startWorker(
  msg: ToFleetWorker,
): Promise<{ child: ChildProcess; ready: FromFleetWorker & { type: 'ready' } }> {
  const child = fork(workerFile, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  // The Slack client's own retry chatter is not the bench's; anything else a worker says goes to stderr.
  child.stderr?.on('data', (d: Buffer) => {
    const lines = d
      .toString()
      .split('\n')
      .filter((l) => l.trim() && !/web-api:WebClient/.test(l));
    if (lines.length) process.stderr.write(`${lines.join('\n')}\n`);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fleet worker exited (${code}) before it was ready`)));
    const onMessage = (m: FromFleetWorker) => {
      if (m.type !== 'ready') return;
      child.off('message', onMessage);
      child.removeAllListeners('exit');
      resolve({ child, ready: m });
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

type Counts = Record<string, number>;

/** Stops a worker; resolves with the warnings its AWS adapters logged and its evaluations by decision. */
function stopWorker(
  child: ChildProcess,
  traceSites: string[],
): Promise<{
  warnings: Counts;
  evaluations: Counts;
  traces: EvaluationTrace[];
  log: SiteLogLine[];
  load?: ProcessLoad;
}> {
  return new Promise((resolve) => {
    let said = {
      warnings: {} as Counts,
      evaluations: {} as Counts,
      traces: [] as EvaluationTrace[],
      log: [] as SiteLogLine[],
    } as {
      warnings: Counts;
      evaluations: Counts;
      traces: EvaluationTrace[];
      log: SiteLogLine[];
      load?: ProcessLoad;
    };
    child.on('message', (m: FromFleetWorker) => {
      if (m.type === 'stopped') said = m;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(said);
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(said);
    });
    child.send({ type: 'stop', traceSites } satisfies ToFleetWorker);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where each site's routes point, by tunnel name (null: an ENI of no tunnel). */
function routeTunnels(state: FakeAwsState, topology: Topology): Map<string, Array<string | null>> {
  const bySite = new Map<string, Array<string | null>>();
  const siteOfTable = new Map<string, string>();
  for (const s of topology.sites) for (const t of s.routeTableIds) siteOfTable.set(t, s.name);
  for (const r of state.routes) {
    const site = siteOfTable.get(r.routeTableId);
    if (!site) continue;
    const owner = state.tunnelOfEni(r.eniId);
    const list = bySite.get(site) ?? [];
    list.push(owner?.site === site ? owner.tunnel : null);
    bySite.set(site, list);
  }
  return bySite;
}

async function scenario(placement: Placement, dir: string): Promise<ScenarioResult> {
  const topology = fleetTopology(SITES, placement, ROUTES);
  const topologyPath = join(dir, `topology-${placement}.json`);
  writeFileSync(topologyPath, JSON.stringify(topology));
  const storeSocket = join(dir, `store-${placement}.sock`);
  const storeServer = await startStoreServer(join(dir, `store-${placement}.sqlite`), storeSocket);
  const store = await SocketStore.connect(storeSocket);
  const state = new FakeAwsState(topology.sites);
  const buckets = new Ec2ApiBuckets(BUCKETS);
  // Each site's EC2 calls from the outage on, by the site its filter or route table names.
  const siteOfTable = new Map<string, string>();
  for (const s of topology.sites) for (const t of s.routeTableIds) siteOfTable.set(t, s.name);
  const callTrace = new Map<string, string[]>();
  let tracing = 0;
  const aws = new FakeAwsServer(
    state,
    CALL_MS,
    { ec2Buckets: () => buckets, throttledDelayMs: THROTTLED_MS },
    (op, params, accepted) => {
      if (!tracing) return;
      const named =
        params.get('RouteTableId') ?? params.get('Filter.1.Value.1')?.replace(/-(primary|secondary)$/, '');
      const site = named ? (siteOfTable.get(named) ?? named) : '?';
      const list = callTrace.get(site) ?? [];
      list.push(`${op}@${round2((performance.now() - tracing) / 1000)}${accepted ? '' : '!'}`);
      callTrace.set(site, list);
    },
  );
  const awsUrl = await aws.start();
  // Unpaced, so every post the fleet makes for the event is counted (a paced stand-in answers 429 and the
  // retries land after the run); the posts never sit on the path that moves routes.
  const slack = new SlackStandin();
  const slackUrl = await slack.start();
  // The bot's side of the reports of the server hosts and the backstop Lambdas (neither holds a Slack token): its
  // outbox relay, every 2 s as the bot runs it, posting to the stand-in.
  const relay = new OutboxRelay({
    store,
    sites: topology.sites,
    chat: new SlackChat(
      new WebClient('xoxb-fleet-bench', { ...SLACK_CLIENT_DEFAULTS, slackApiUrl: slackUrl }),
    ),
    clock: systemClock,
    log: silentLogger(),
  });
  let relaying: Promise<unknown> = Promise.resolve();
  const relayTimer = setInterval(() => {
    relaying = relaying.then(() => relay.drain().catch(() => 0));
  }, 2000);

  // Which sites lose their active tunnel (every route starts on the primary).
  const lostTunnel = new Map<string, string>();
  for (const s of topology.sites)
    for (const t of s.tunnels) if (azOf(topology, s.name, t.name) === LOST_AZ) lostTunnel.set(s.name, t.name);
  const affected = new Set(
    topology.sites.filter((s) => lostTunnel.get(s.name) === 'primary').map((s) => s.name),
  );
  const sample = topology.sites[0]!;
  const routesPerSite =
    sample.routeTableIds.length * (ROUTES === 'prefix-list' ? 1 : sample.onPremCidrs.length);
  const needed = affected.size * routesPerSite;

  const names = topology.sites.map((s) => s.name);
  const slices = Array.from({ length: MONITOR_WORKERS }, (_, w) =>
    names.filter((_, i) => i % MONITOR_WORKERS === w),
  );
  const budgetSpec = budgetSpecOf(BUCKETS);
  const common = { topologyPath, awsUrl, slackUrl, storeSocket, budgetSpec };
  const firstTickMs = 60_000 - (Date.now() % 60_000);
  const workers = await Promise.all([
    ...slices.map((sites) => startWorker({ type: 'start', role: 'monitors', sites, ...common })),
    startWorker({ type: 'start', role: 'backstop', sites: names, ...common, backstopFirstMs: firstTickMs }),
  ]);
  const backstopTicks: number[] = [];
  let t0 = 0;
  let t0Wall = 0;
  workers.at(-1)!.child.on('message', (m: FromFleetWorker) => {
    // Seconds from the outage (negative: before it).
    if (m.type === 'reconciled') backstopTicks.push((m.at - (t0Wall || Date.now())) / 1000);
  });

  // Warm: every monitor has reported its tunnel up (rise rounds) and the standbys are fit.
  const warmBy = performance.now() + 60_000;
  for (;;) {
    // Heartbeats are kept per site (issue 22 item 4): one query per site.
    const beats = (
      await Promise.all(topology.sites.map((s) => store.list<Heartbeat>(HEARTBEAT_NS, { site: s.name })))
    ).flat();
    const up = beats.filter((b) => b.value.health === 'up' && b.value.riseCount >= 5).length;
    if (up === SITES * 2) break;
    if (performance.now() > warmBy) throw new Error(`only ${up}/${SITES * 2} monitors up after 60 s`);
    await sleep(500);
  }
  // Each process looks its site's prefix list up at start (one DescribeManagedPrefixLists, its own bucket); in AWS
  // they start at different times, here all at once: the outage comes once those lookups are done.
  for (let seen = -1, quiet = 0, i = 0; quiet < 4 && i < 120; i++) {
    await sleep(500);
    const now = aws.calls.get('ec2:DescribeManagedPrefixLists') ?? 0;
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
  }
  // The outage hits a fleet in its steady state: every monitor started at once evaluated at its first rounds,
  // and those reads queue in the account's budget for seconds (200 monitors: ~10 s of the Describe refill). In
  // AWS the processes start at different times; here the outage waits until the budget's queues are empty.
  for (let i = 0; i < 180; i++) {
    const records = await store.list<{ n?: number }>(EC2_BUDGET_NS);
    if (records.every((r) => (r.value.n ?? 0) <= Date.now() + QUEUE_SLACK_MS)) break;
    await sleep(500);
  }
  await sleep(1000);

  const healedAt = new Map<string, number>();
  state.onRouteChanged = (route) => {
    const site = siteOfTable.get(route.routeTableId);
    if (!site || !affected.has(site)) return;
    const tunnels = routeTunnels(state, topology).get(site) ?? [];
    const lost = lostTunnel.get(site);
    if (tunnels.every((t) => t !== null && t !== lost)) healedAt.set(site, performance.now() - t0);
    else healedAt.delete(site);
  };
  buckets.accepted.clear();
  buckets.throttled.clear();
  aws.resetCounts();
  const postsBefore = slack.callsTo('chat.postMessage').length;
  const startedAt = new Date().toISOString();
  const detectS = 3 * 0.5;
  const limitS = detectS + bucketLimitSeconds(needed, bucketOf(BUCKETS, 'ReplaceRoute'), CALL_MS / 1000);
  const deadlineMs = Math.min((limitS * 1.5 + 30) * 1000, SMOKE ? 45_000 : 900_000);

  const parentLoop = monitorEventLoopDelay({ resolution: 10 });
  parentLoop.enable();
  storeServer.resetLoad();
  t0 = performance.now();
  t0Wall = Date.now();
  tracing = t0;
  for (const w of workers) w.child.send({ type: 'outage', az: LOST_AZ } satisfies ToFleetWorker);
  let timedOut = false;
  for (;;) {
    await sleep(200);
    if (healedAt.size === affected.size) break;
    if (performance.now() - t0 > deadlineMs) {
      timedOut = true;
      break;
    }
  }
  // Settle: a late run (a rollback, a second decider) would show here, and the last posts land.
  await sleep(3000);
  for (let quiet = 0, seen = slack.calls.length, i = 0; quiet < 4 && i < 40; i++) {
    await sleep(500);
    quiet = slack.calls.length === seen ? quiet + 1 : 0;
    seen = slack.calls.length;
  }

  const windowS = (performance.now() - t0) / 1000;
  parentLoop.disable();
  const final = routeTunnels(state, topology);
  let split = 0;
  let stillLost = 0;
  let movedWrongly = 0;
  const wrongSites = new Set<string>();
  for (const s of topology.sites) {
    const tunnels = final.get(s.name) ?? [];
    const distinct = new Set(tunnels);
    const wasSplit = distinct.size > 1;
    const lost = affected.has(s.name) && tunnels.some((t) => t === null || t === lostTunnel.get(s.name));
    const moved = !affected.has(s.name) && tunnels.some((t) => t !== 'primary');
    split += Number(wasSplit);
    stillLost += Number(lost);
    movedWrongly += Number(moved);
    if (wasSplit || lost || moved) wrongSites.add(s.name);
  }
  const wholeAudit = await store.listAudit({ limit: 100_000 });
  const audit = wholeAudit.filter((e) => e.at >= startedAt);
  const failedRuns = audit.filter((e) => e.action === 'failover' && e.event === 'failed').length;
  const rollbacks = audit.filter((e) => e.action === 'failover' && e.event === 'rolled-back').length;
  const sum = (m: Map<string, number>, f: (api: string) => boolean) => buckets.count(m, f);
  const result: ScenarioResult = {
    placement,
    sites: SITES,
    affected: affected.size,
    needed,
    made: sum(buckets.accepted, isMutating),
    limitS,
    detectS,
    healS: [...healedAt.values()].map((ms) => ms / 1000).sort((a, b) => a - b),
    throttledMutating: sum(buckets.throttled, isMutating),
    throttledDescribe: sum(buckets.throttled, (a) => !isMutating(a)),
    describeCalls:
      sum(buckets.accepted, (a) => !isMutating(a)) + sum(buckets.throttled, (a) => !isMutating(a)),
    readsBeforeLast: readsBefore(callTrace, healedAt.size ? Math.max(...healedAt.values()) / 1000 : windowS),
    routeReads:
      sum(buckets.accepted, (a) => a === 'DescribeRouteTables') +
      sum(buckets.throttled, (a) => a === 'DescribeRouteTables'),
    windowS,
    failedRuns,
    rollbacks,
    split,
    stillLost,
    movedWrongly,
    slackPosts: slack.callsTo('chat.postMessage').length - postsBefore,
    postTexts: slack
      .callsTo('chat.postMessage')
      .slice(postsBefore)
      .map(
        (c) => `${c.args.thread_ts ? 'thread reply' : 'message'}: ${String(c.args.text ?? '').slice(0, 120)}`,
      ),
    monitorsRssMb: workers.map((w) => w.ready.rssMb),
    backstopTicks,
    timedOut,
    warnings: {},
    evaluations: {},
    calls: Object.fromEntries([...aws.calls].sort((a, b) => b[1] - a[1])),
    slowest: [],
    // A wrong outcome's story, from the start of the run (a failover before the outage shows here too).
    wrongStories: [...wrongSites].slice(0, 5).map((site) => ({
      site,
      routes: (final.get(site) ?? []).map((t) => t ?? 'nowhere').join(','),
      audit: wholeAudit
        .filter((e) => e.site === site)
        .map(
          (e) =>
            `${round2((Date.parse(e.at) - t0Wall) / 1000)} s ${e.actor} ${e.action} ${e.event}${e.detail?.reason ? `: ${String(e.detail.reason).slice(0, 160)}` : ''}`,
        ),
    })),
    load: [],
    parentLoopMs: [Math.round(parentLoop.percentile(99) / 1e6), Math.round(parentLoop.max / 1e6)],
  };
  // The sites not healed, then the last three healed: where a tail comes from.
  const late = [
    ...[...affected].filter((s) => !healedAt.has(s)).map((s) => [s, Number.NaN] as const),
    ...[...healedAt].sort((a, b) => b[1] - a[1]).slice(0, 3),
  ].slice(0, 3);
  // And the first healed: what the fastest path to healed spends its time on.
  const first = [...healedAt].sort((a, b) => a[1] - b[1])[0];
  if (first && !late.some(([site]) => site === first[0])) late.unshift(first);
  const evaluationTraces: EvaluationTrace[] = [];
  const siteLog: SiteLogLine[] = [];
  const traceSites = [...late.map(([site]) => site), ...wrongSites];
  for (const w of await Promise.all(workers.map((x) => stopWorker(x.child, traceSites)))) {
    for (const [msg, n] of Object.entries(w.warnings)) result.warnings[msg] = (result.warnings[msg] ?? 0) + n;
    for (const [k, n] of Object.entries(w.evaluations))
      result.evaluations[k] = (result.evaluations[k] ?? 0) + n;
    evaluationTraces.push(...w.traces);
    siteLog.push(...w.log);
    if (w.load) result.load.push(w.load);
  }
  result.slowest = late.map(([site, ms]) => ({
    site,
    healedS: ms / 1000,
    evaluations: evaluationTraces
      .filter((e) => e.site === site)
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((e) => ({ ...e, startedAt: (e.startedAt - t0Wall) / 1000, endedAt: (e.endedAt - t0Wall) / 1000 })),
    calls: callTrace.get(site) ?? [],
    log: siteLog
      .filter((l) => l.site === site)
      .sort((a, b) => a.at - b.at)
      .map((l) => ({ ...l, at: (l.at - t0Wall) / 1000 })),
  }));
  clearInterval(relayTimer);
  await relaying;
  await aws.stop();
  await slack.stop();
  await store.close();
  result.storeLoad = await storeServer.stop();
  return result;
}

/** The DescribeRouteTables EC2 accepted (not throttled) up to `untilS` from the outage, and their bucket time. */
function readsBefore(callTrace: Map<string, string[]>, untilS: number): { total: number; limitS: number } {
  let total = 0;
  for (const calls of callTrace.values())
    for (const c of calls) {
      const m = /^DescribeRouteTables@([\d.]+)$/.exec(c);
      if (m && Number(m[1]) <= untilS) total++;
    }
  return {
    total,
    limitS: bucketLimitSeconds(total, bucketOf(BUCKETS, 'DescribeRouteTables'), CALL_MS / 1000),
  };
}

/** The last site's heal, or NaN when any site was not healed by the deadline. */
const lastHeal = (r: ScenarioResult): number =>
  r.healS.length === r.affected ? (r.healS.at(-1) ?? Number.NaN) : Number.NaN;
const ratioOf = (r: ScenarioResult): number => lastHeal(r) / r.limitS;

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] ?? Number.NaN;

function report(r: ScenarioResult): void {
  const last = r.healS.at(-1) ?? Number.NaN;
  const mut = bucketOf(BUCKETS, 'ReplaceRoute');
  console.log(`  ${r.placement}: ${r.sites} sites, ${r.affected} lost their active tunnel in ${LOST_AZ}`);
  console.log(
    `    mutating calls: ${r.needed} needed (${r.needed / Math.max(1, r.affected)} a site), ${r.made} made; limit ${round1(r.limitS)} s = ${r.detectS} s detection + ${round1(r.limitS - r.detectS)} s under the bucket (${mut.size} burst, then ${mut.refillPerSecond}/s, ${CALL_MS} ms a call)`,
  );
  console.log(
    `    healed ${r.healS.length}/${r.affected}: first ${round2(r.healS[0] ?? Number.NaN)} s, p50 ${round2(pct(r.healS, 50))} s, p99 ${round2(pct(r.healS, 99))} s, last ${round2(last)} s; last / limit ${round2(last / r.limitS)}${r.timedOut ? ' (deadline reached)' : ''}`,
  );
  console.log(
    `    throttled: ${r.throttledMutating} mutating, ${r.throttledDescribe} of ${r.describeCalls} Describe calls; failed runs ${r.failedRuns}, rollbacks ${r.rollbacks}`,
  );
  const reads = bucketOf(BUCKETS, 'DescribeRouteTables');
  console.log(
    `    DescribeRouteTables: ${r.routeReads} in ${round1(r.windowS)} s = ${Math.round((r.routeReads / r.windowS) * 60)}/min against its bucket's refill of ${reads.refillPerSecond * 60}/min (${reads.size} burst); ${round2(r.routeReads / Math.max(1, r.affected))} a failed-over site; ${r.readsBeforeLast.total} before the last site healed, which the bucket allows no sooner than ${round1(r.readsBeforeLast.limitS)} s (the mutating limit: ${round1(r.limitS - r.detectS)} s after detection)`,
  );
  console.log(
    `    at the end: ${r.split} split, ${r.stillLost} still on the lost AZ, ${r.movedWrongly} healthy sites moved; Slack posts for the event: ${r.slackPosts}`,
  );
  console.log(
    `    calls from the outage on: ${Object.entries(r.calls)
      .map(([api, n]) => `${api} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `    fast-path evaluations: ${
      Object.entries(r.evaluations)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${n} x ${k}`)
        .join(', ') || 'none'
    }`,
  );
  console.log(
    `    adapters warned: ${
      Object.entries(r.warnings)
        .map(([m, n]) => `${n} x "${m}"`)
        .join(', ') || 'nothing'
    }`,
  );
  console.log(
    `    event loops from the outage on: bench ${r.parentLoopMs.join('/')} ms (p99/max); workers (event loop p99/max; store calls, round trip p99/max, >= 100 ms): ${r.load
      .map(
        (l) =>
          `${l.loopP99Ms}/${l.loopMaxMs} ms; ${l.storeCalls} calls, ${l.storeP99Ms}/${l.storeMaxMs} ms, ${l.storeSlow} slow`,
      )
      .join(' | ')}`,
  );
  const sl = r.storeLoad;
  if (sl)
    console.log(
      `    store process: ${sl.calls} calls in ${round1(r.windowS)} s (${Math.round(sl.calls / r.windowS)}/s), busy ${round1(sl.busyMs / 1000)} s (${Math.round((sl.busyMs / 1000 / r.windowS) * 100)} %), slowest call ${sl.maxMs} ms, event loop ${sl.loopP99Ms}/${sl.loopMaxMs} ms (p99/max); by call: ${Object.entries(
        sl.byMethod,
      )
        .slice(0, 8)
        .map(([m, n]) => `${m} ${Math.round(n / r.windowS)}/s`)
        .join(', ')}`,
    );
  for (const p of r.postTexts.slice(0, 10)) console.log(`    Slack ${p.replace(/\s+/g, ' ')}`);
  for (const w of r.wrongStories) {
    console.log(`    WRONG ${w.site}: routes on ${w.routes} at the end; its audit:`);
    for (const line of w.audit) console.log(`      ${line}`);
  }
  for (const t of r.slowest) {
    console.log(`    ${t.site} healed at ${round2(t.healedS)} s; EC2 calls: ${t.calls.join(' ') || 'none'}`);
    for (const e of t.evaluations)
      console.log(
        `      ${round2(e.startedAt)}-${round2(e.endedAt)} s ${e.actor}: ${e.outcome.slice(0, 200)}`,
      );
    for (const l of t.log) console.log(`        ${round2(l.at)} s ${l.msg.slice(0, 160)}`);
  }
  console.log(
    `    processes: monitor workers ${r.monitorsRssMb.slice(0, -1).join('/')} MB rss at start, backstop ${r.monitorsRssMb.at(-1)} MB; backstop: ${r.backstopTicks.filter((t) => t >= 0 && t <= r.windowS).length} site reconciles in the window (spread over each minute, as EventBridge Scheduler's flexible window runs them)`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-bench-fleet-'));
  console.log(
    `bench:fleet — az-outage, ${SITES} sites in one region, routes to ${ROUTES === 'prefix-list' ? 'one prefix list per site' : 'each CIDR'}, EC2 buckets: mutating ${BUCKETS.mutating.size} at ${BUCKETS.mutating.refillPerSecond}/s, non-mutating ${BUCKETS.nonMutating.size} at ${BUCKETS.nonMutating.refillPerSecond}/s (per API)`,
  );
  const results: ScenarioResult[] = [];
  try {
    for (const placement of SCENARIOS) {
      const r = await scenario(placement, dir);
      results.push(r);
      report(r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const main = results.find((r) => r.placement === 'balanced') ?? results[0]!;
  const unbalanced = results.find((r) => r.placement === 'unbalanced');
  const wrong = results.reduce((a, r) => a + r.split + r.stillLost + r.movedWrongly, 0);
  const last = lastHeal(main);
  const ratio = ratioOf(main);
  finishBench(
    'fleet',
    {
      sites: main.sites,
      affected: main.affected,
      mutating_calls: main.made,
      limit_s: round1(main.limitS),
      first_s: round2(main.healS[0] ?? Number.NaN),
      p50_s: round2(pct(main.healS, 50)),
      p99_s: round2(pct(main.healS, 99)),
      last_s: round2(last),
      ratio: round2(ratio),
      throttled: main.throttledMutating + main.throttledDescribe,
      failed_runs: main.failedRuns,
      rollbacks: main.rollbacks,
      split_at_end: main.split,
      slack_posts: main.slackPosts,
      // Why a run misses the limit when it does: the DescribeRouteTables made before the last heal, and the
      // time their bucket needs for them (the limit above counts ReplaceRoute only, as the issue sets it).
      reads_before_last: main.readsBeforeLast.total,
      read_limit_s: round1(main.readsBeforeLast.limitS),
      unbalanced_ratio: unbalanced ? round2(ratioOf(unbalanced)) : null,
    },
    {
      wrong,
      goals: [
        { what: `ratio last / limit <= ${RATIO_GOAL}`, met: ratio <= RATIO_GOAL },
        {
          what: `first site healed <= ${FIRST_GOAL_S} s`,
          met: (main.healS[0] ?? Number.POSITIVE_INFINITY) <= FIRST_GOAL_S,
        },
        { what: 'no failed run', met: main.failedRuns === 0 },
        { what: 'no rollback', met: main.rollbacks === 0 },
        { what: 'nothing split', met: main.split === 0 },
        { what: 'at most 5 Slack posts for the event', met: main.slackPosts <= 5 },
        {
          what: 'mutating calls per site failover <= its route tables (2)',
          met: main.made <= main.affected * 2,
        },
      ],
    },
  );
}

runBench('fleet', main);
