/**
 * bench:status: the real status path (StatusService over the AWS adapters) for 50 sites / 100 tunnels
 * in 3 regions, one ECS cluster per site as infra deploys them, against a loopback fake of
 * EC2/ECS/CloudWatch (incl. Container Insights task counts) that delays every call 150 ms.
 * The measured run is all healthy; the summary also shows a task down, non-ECS trouble and
 * Container Insights off. Every run's report must show exactly the planted trouble (else: wrong outcomes).
 * Goals: at most one call per read API per region (not per tunnel), and the cold report in under 3 s.
 * Short form (BENCH_SMOKE=1): 9 sites / 18 tunnels.
 * Last line (the all-healthy run): {"bench":"status","tunnels":100,"regions":3,"aws_calls":N,"naive_calls":M,"wall_ms":W,"wrong":0,"valid":true}
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsAccount } from '../src/aws/aws-account.js';
import { loadEnv } from '../src/config/load-env.js';
import { type Site, siteSchema, topologySchema } from '../src/config/topology-schema.js';
import type { StatusReport } from '../src/domain/status.js';
import { SqliteStore } from '../src/local/sqlite-store.js';
import { silentLogger } from '../src/log.js';
import { StatusService } from '../src/services/status/status-service.js';
import { benchSize, finishBench, runBench } from './lib/bench-run.js';
import { FakeAwsServer } from './lib/fake-aws-server.js';
import { FakeAwsState } from './lib/fake-aws-state.js';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
/** site2, site5 and site9 carry the planted trouble: the short form keeps them. */
const SITES = benchSize(50, 9);
const DELAY_MS = 150;
/** A one-call-per-tunnel implementation makes each of these calls once per tunnel. */
const NAIVE_APIS = [
  'DescribeRouteTables',
  'DescribeInstances',
  'DescribeServices',
  'ListTasks',
  'DescribeTasks',
  'GetMetricData',
  'DescribeAlarms',
];
const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

function site(i: number): Site {
  const name = `site${i}`;
  const region = REGIONS[(i - 1) % REGIONS.length]!;
  return siteSchema.parse({
    name,
    region,
    onPremCidrs: [`10.${i}.0.0/16`],
    routeTableIds: [`rtb-${i.toString(16).padStart(17, '0')}`],
    probeTargets: [{ kind: 'icmp', host: `10.${i}.0.10` }],
    tunnels: ['primary', 'secondary'].map((t) => ({
      name: t,
      // As infra deploys it: one ECS cluster per site (ECS reads are per cluster).
      ecs: { cluster: `tunnelops-${name}`, service: `${name}-${t}` },
      instance: { tag: { key: 'tunnelops:tunnel', value: `${name}-${t}` } },
    })),
    approvers: { users: ['UAPPROVER1'] },
    slackChannel: 'C0SANDBOX1',
  });
}

async function run(sites: Site[], state: FakeAwsState, dataDir: string) {
  const aws = new FakeAwsServer(state, DELAY_MS);
  const url = await aws.start();
  const topology = topologySchema.parse({ sites });
  const env = loadEnv({
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    TUNNELOPS_DATA_DIR: dataDir,
  });
  const log = silentLogger();
  // Moved forward between runs so the second one does not reuse the instance lookup's short cache.
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };
  const account = createAwsAccount({
    env,
    topology,
    clock,
    log,
    clientOptions: { credentials: FAKE_CREDENTIALS },
  });
  const store = new SqliteStore({ path: join(dataDir, `bench-${Date.now()}.sqlite`) });
  const status = new StatusService({ topology, account, store, clock, log });
  // The measured run is the process's first: SDK clients are built and warmed up inside it.
  let started = performance.now();
  const report = await status.report();
  const wallMs = Math.round(performance.now() - started);
  const first = {
    calls: new Map(aws.calls),
    regionCalls: new Map(aws.regionCalls),
    ecsClusterCalls: new Map(aws.ecsClusterCalls),
    total: aws.total,
  };
  // A second run, as a bot that has been up for a while answers.
  aws.resetCounts();
  offsetMs = 60_000;
  started = performance.now();
  await status.report();
  const warmWallMs = Math.round(performance.now() - started);
  const warmCalls = aws.total;
  await store.close();
  await aws.stop();
  return { report, wallMs, warmWallMs, warmCalls, ...first };
}

function summarize(report: StatusReport): string[] {
  const lines: string[] = [];
  const health = new Map<string, number>();
  let unknowns = 0;
  for (const s of report.sites) {
    for (const t of s.tunnels) {
      health.set(t.health, (health.get(t.health) ?? 0) + 1);
      for (const part of [t.probe, t.task, t.instance, t.alarms]) if (!part.ok) unknowns++;
    }
    if (!s.routes.ok) unknowns++;
  }
  lines.push(
    `tunnel health: ${[...health].map(([h, n]) => `${h} ${n}`).join(', ')}; unknown parts: ${unknowns}`,
  );
  for (const s of report.sites) {
    const bad = s.tunnels.filter((t) => t.health !== 'healthy');
    if (bad.length === 0 && s.disagreements.length === 0) continue;
    const routes = s.disagreements.map((d) => `${d.routeTableId} ${d.cidr} ${d.problem}`).join('; ');
    const tunnels = bad.map((t) => `${t.name} ${t.health} (${t.healthReason})`).join('; ');
    lines.push(
      `  ${s.name} [${s.region}] active=${s.activeTunnel ?? 'none'} ${tunnels}${routes ? ` routes: ${routes}` : ''}`,
    );
  }
  return lines;
}

/**
 * Tunnels whose health contradicts the plan (only `bad` are unhealthy) plus parts the report could not read:
 * a fast wrong report is no figure.
 */
function wrongIn(report: StatusReport, bad: string[]): number {
  let wrong = 0;
  for (const s of report.sites) {
    if (!s.routes.ok) wrong++;
    for (const t of s.tunnels) {
      if ((t.health !== 'healthy') !== bad.includes(`${s.name}/${t.name}`)) wrong++;
      for (const part of [t.probe, t.task, t.instance, t.alarms]) if (!part.ok) wrong++;
    }
  }
  return wrong;
}

const perApi = (calls: Map<string, number>) => [...calls].map(([api, n]) => `${api}=${n}`).join(' ');
const perRegion = (calls: Map<string, number>) => [...calls].map(([r, n]) => `${r}=${n}`).join(' ');

/** ECS calls by cluster: "tunnelops-site2 (DescribeServices=1 ListTasks=1)", or "none". */
function ecsByCluster(calls: Map<string, number>): string {
  const byCluster = new Map<string, string[]>();
  for (const [key, n] of calls) {
    const [cluster, op] = key.split(' ');
    byCluster.set(cluster!, [...(byCluster.get(cluster!) ?? []), `${op}=${n}`]);
  }
  if (byCluster.size === 0) return 'none';
  if (byCluster.size > 3)
    return `${byCluster.size} clusters, ${[...calls.values()].reduce((a, b) => a + b, 0)} calls`;
  return [...byCluster].map(([c, ops]) => `${c} (${ops.join(' ')})`).join(', ');
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-bench-status-'));
  try {
    const sites = Array.from({ length: SITES }, (_, i) => site(i + 1));
    const tunnels = sites.length * 2;
    const clusters = new Set(sites.flatMap((s) => s.tunnels.map((t) => t.ecs.cluster))).size;
    // Measured: every tunnel healthy, every cluster publishing Container Insights task counts.
    const healthy = await run(sites, new FakeAwsState(sites), dataDir);
    // One ECS task down: only that site's cluster is asked why (DescribeServices, last stopped task).
    const taskDown = new FakeAwsState(sites);
    taskDown.tunnel('site2', 'secondary').runningTasks = 0;
    const down = await run(sites, taskDown, dataDir);
    // Trouble ECS does not see (a stopped instance, a tunnel losing every probe): no extra calls.
    const other = new FakeAwsState(sites);
    other.tunnel('site5', 'primary').instanceState = 'stopped';
    other.tunnel('site9', 'secondary').lossPct = 100;
    const elsewhere = await run(sites, other, dataDir);
    // Container Insights off everywhere: every cluster is read from ECS, one DescribeServices each.
    const noInsights = new FakeAwsState(sites);
    for (const t of noInsights.tunnels.values()) t.containerInsights = false;
    const fallback = await run(sites, noInsights, dataDir);

    console.log(
      `status of ${sites.length} sites / ${tunnels} tunnels / ${clusters} ECS clusters (one per site) in ${REGIONS.length} regions, ${DELAY_MS} ms per AWS call`,
    );
    console.log(
      `all healthy: ${healthy.total} AWS calls (${perApi(healthy.calls)}); ECS calls: ${ecsByCluster(healthy.ecsClusterCalls)}`,
    );
    console.log(`per region: ${perRegion(healthy.regionCalls)}`);
    for (const line of summarize(healthy.report)) console.log(line);
    console.log(
      `wall: ${healthy.wallMs} ms cold (first report of the process); ${healthy.warmWallMs} ms warm (${healthy.warmCalls} calls)`,
    );
    console.log(
      `one ECS task down: ${down.total} calls (${perRegion(down.regionCalls)}), ${down.wallMs} ms; ECS calls: ${ecsByCluster(down.ecsClusterCalls)}`,
    );
    for (const line of summarize(down.report).slice(1)) console.log(line);
    console.log(
      `a stopped instance and a lossy tunnel: ${elsewhere.total} calls, ${elsewhere.wallMs} ms; ECS calls: ${ecsByCluster(elsewhere.ecsClusterCalls)}`,
    );
    for (const line of summarize(elsewhere.report).slice(1)) console.log(line);
    console.log(
      `Container Insights off on every cluster: ${fallback.total} calls (${perApi(fallback.calls)}), ${fallback.wallMs} ms; ${summarize(fallback.report)[0]}`,
    );
    const naive = tunnels * NAIVE_APIS.length;
    console.log(
      `one-call-per-tunnel would make ${naive} calls (${NAIVE_APIS.length} APIs x ${tunnels} tunnels)`,
    );
    const wrong =
      wrongIn(healthy.report, []) +
      wrongIn(down.report, ['site2/secondary']) +
      wrongIn(elsewhere.report, ['site5/primary', 'site9/secondary']) +
      wrongIn(fallback.report, []);
    const apis = new Set([...healthy.calls.keys()]).size;
    finishBench(
      'status',
      {
        tunnels,
        regions: REGIONS.length,
        aws_calls: healthy.total,
        naive_calls: naive,
        wall_ms: healthy.wallMs,
      },
      {
        wrong,
        goals: [
          {
            what: `AWS calls <= ${apis} APIs x ${REGIONS.length} regions (not per tunnel)`,
            met: healthy.total <= apis * REGIONS.length,
          },
          { what: 'cold report < 3000 ms', met: healthy.wallMs < 3000 },
        ],
      },
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench('status', main);
