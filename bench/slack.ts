/**
 * bench:slack: ack latency of POST /slack/events under load. Starts the real app in-process on loopback
 * (sandbox account, temp data dir), with Slack's side (Web API stand-in + load generator) in a second
 * process, opens one failover request per site, then sends 200 signed requests, 50 at a time:
 * `/vpn status` commands and Approve clicks (self-approvals, non-approvers, double clicks, racing
 * approvers). Ack latency = HTTP response time of /slack/events. Afterwards it checks every request ran
 * exactly once (one set of route changes per site).
 * Goal: ack p99 < 300 ms. Short form (BENCH_SMOKE=1): 60 requests, 10 at a time, 4 sites.
 * Last line: {"bench":"slack","requests":200,"concurrency":50,"ack_p50_ms":A,"ack_p99_ms":B,"errors":E,"wrong":E,"valid":true}
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../src/app/create-app.js';
import { loadEnv } from '../src/config/load-env.js';
import { parseTopology } from '../src/config/load-topology.js';
import { type Topology, topologySchema } from '../src/config/topology-schema.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../src/domain/heartbeat.js';
import { silentLogger } from '../src/log.js';
import type { Store } from '../src/ports/store.js';
import { benchSize, finishBench, runBench } from './lib/bench-run.js';
import type { FromSlackSide, Job, ToSlackSide } from './lib/slack-side.js';

const REQUESTS = benchSize(200, 60);
const CONCURRENCY = benchSize(50, 10);
const SITES = benchSize(10, 4);
const CLICKS_PER_SITE = 8;
/** Warm-up sites get the same mix first (not measured), so the figures are not a cold start. */
const WARM_SITES = benchSize(5, 2);

/** The demo site, repeated: dc1..dc10, each with its own route tables. */
function benchTopology(): Topology {
  const demo = parseTopology(readFileSync('tunnels.yml', 'utf8'), 'tunnels.yml').sites[0]!;
  const sites = Array.from({ length: SITES + WARM_SITES }, (_, i) => ({
    ...demo,
    name: i < SITES ? `dc${i + 1}` : `warm${i - SITES + 1}`,
    routeTableIds: demo.routeTableIds.map((_r, j) => `rtb-0b${String(i).padStart(6, '0')}${j}0000000`),
  }));
  return topologySchema.parse({ sites });
}

/** 8 clicks per site: the requester, a bystander, two from each approver (double click), racing. */
function jobs(sites: readonly string[], total: number): Job[] {
  const list: Job[] = [];
  const clickers = [
    'UREQUESTER',
    'UBYSTANDER',
    'UAPPROVER1',
    'UAPPROVER2',
    'UAPPROVER1',
    'UAPPROVER2',
    'UREQUESTER',
    'UBYSTANDER',
  ];
  for (const site of sites) {
    for (const user of clickers.slice(0, CLICKS_PER_SITE)) list.push({ kind: 'click', site, user });
  }
  let i = 0;
  while (list.length < total) {
    const site = sites[i % sites.length]!;
    list.push({ kind: 'status', text: i % 4 === 0 ? 'status' : `status ${site}`, user: `UONCALL${i % 7}` });
    i++;
  }
  // Deterministic shuffle, so clicks and status commands interleave.
  let seed = 42;
  for (let k = list.length - 1; k > 0; k--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (k + 1);
    [list[k], list[j]] = [list[j]!, list[k]!];
  }
  return list;
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
const round = (n: number): number => Math.round(n * 10) / 10;

/** Starts Slack's side (stand-in + load generator) in its own process and waits until it listens. */
function startSlackSide(): Promise<{ child: ChildProcess; slackApiUrl: string }> {
  const child = fork(fileURLToPath(new URL('./lib/slack-side.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the Slack side exited (${code})`)));
    child.once('message', (m: FromSlackSide) => {
      if (m.type === 'ready') resolve({ child, slackApiUrl: m.slackApiUrl });
    });
  });
}

function awaitResult(child: ChildProcess): Promise<Extract<FromSlackSide, { type: 'result' }>> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the Slack side exited (${code})`)));
    child.on('message', (m: FromSlackSide) => {
      if (m.type === 'result') resolve(m);
    });
  });
}

/**
 * Until every tunnel's (simulated) monitor says up: an approved failover needs its target's fresh "up"
 * heartbeat, which the monitors give after their rise rounds, seconds after the start. Not measured.
 */
async function monitorsUp(store: Store, topology: Topology, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const beats = await Promise.all(
      topology.sites.flatMap((s) =>
        s.tunnels.map((t) => store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(s.name, t.name))),
      ),
    );
    if (beats.every((b) => b?.value.health === 'up')) return;
    if (Date.now() > deadline) throw new Error(`the monitors did not all say up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-bench-slack-'));
  const { child, slackApiUrl } = await startSlackSide();
  const env = loadEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TUNNELOPS_DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    // The bot talks to "Slack" (the stand-in in the other process) exactly as it would to slack.com.
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: slackApiUrl,
  });
  const topology = benchTopology();
  const app = await createApp({ env, topology, log: silentLogger() });
  try {
    const approvals = app.ctx.services.approvals;
    if (!approvals) throw new Error('the approvals feature is not wired in');
    const names = topology.sites.map((s) => s.name);
    const measured = names.slice(0, SITES);
    const work = jobs(measured, REQUESTS);
    const warmup = jobs(names.slice(SITES), WARM_SITES * CLICKS_PER_SITE + CONCURRENCY);
    await monitorsUp(app.ctx.store, topology);
    const result = awaitResult(child);
    const go: ToSlackSide = {
      type: 'go',
      url: app.url,
      signingSecret: app.signingSecret,
      sites: names,
      warmup,
      jobs: work,
      concurrency: CONCURRENCY,
    };
    child.send(go);
    const { latencies, wallMs, requests, ephemerals, errors: httpErrors } = await result;

    // Let the approved runs finish, then check each request ran exactly once.
    const finalStates = new Map<string, string>();
    const doneBy = Date.now() + 15_000;
    while (Date.now() < doneBy) {
      for (const site of measured)
        finalStates.set(site, (await approvals.get(requests[site] ?? ''))?.state ?? 'missing');
      if ([...finalStates.values()].every((s) => s === 'succeeded' || s === 'failed')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ids = new Set(measured.map((site) => requests[site]));
    const audit = (await app.ctx.store.listAudit()).filter((e) => ids.has(e.requestId));
    const routesPerSite = topology.sites[0]!.routeTableIds.length * topology.sites[0]!.onPremCidrs.length;
    const changed = audit.filter((e) => e.event === 'routes-changed').length;
    const approvedEvents = audit.filter((e) => e.event === 'approved').length;
    const wrongRuns = [...finalStates.values()].filter((s) => s !== 'succeeded').length;
    const duplicateRuns = Math.max(0, approvedEvents - SITES) + Math.max(0, changed / routesPerSite - SITES);
    const errors = httpErrors + wrongRuns + duplicateRuns;

    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = round(pct(sorted, 0.5));
    const p99 = round(pct(sorted, 0.99));
    const statusCount = work.filter((j) => j.kind === 'status').length;
    console.log(
      'bench:slack: ack latency of POST /slack/events (real app in-process on loopback, sandbox account)',
    );
    console.log('  Slack side (Web API stand-in + signed load generator) runs in a separate process');
    console.log(
      `  requests      ${work.length} (${statusCount} /vpn status, ${work.length - statusCount} Approve clicks on ${SITES} requests), concurrency ${CONCURRENCY}; first ${warmup.length} requests of the same mix on ${WARM_SITES} other sites as warm-up, not counted`,
    );
    console.log(
      `  ack latency   p50 ${p50} ms, p99 ${p99} ms, max ${round(sorted.at(-1) ?? 0)} ms (goal: p99 < 300 ms)`,
    );
    console.log(
      `  throughput    ${Math.round((work.length / wallMs) * 1000)} req/s over ${Math.round(wallMs)} ms`,
    );
    console.log(
      `  exactly once  ${approvedEvents} approvals, ${changed} routes-changed (${routesPerSite} per site), final states: ${[...new Set(finalStates.values())].join(', ')}`,
    );
    console.log(
      `  refusals      ${ephemerals} ephemeral replies (self-approval, non-approver, already approved)`,
    );
    console.log(
      `  errors        ${errors} (non-200 acks ${httpErrors}, failed or duplicate runs ${wrongRuns + duplicateRuns})`,
    );
    finishBench(
      'slack',
      { requests: work.length, concurrency: CONCURRENCY, ack_p50_ms: p50, ack_p99_ms: p99, errors },
      { wrong: errors, goals: [{ what: 'ack p99 < 300 ms', met: p99 < 300 }] },
    );
  } finally {
    child.removeAllListeners('exit');
    child.send({ type: 'stop' });
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench('slack', main);
