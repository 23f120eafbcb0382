/**
 * bench:decide: time from a tunnel's health-change event to every route of the site replaced, in the
 * sandbox with in-process adapters: the simulated account, a SQLite store in a temp dir, the real
 * monitor loop/tracker/reporters and the controller in auto mode. 1000 trials, alternating which
 * tunnel fails (the failed one is healed and becomes standby: never failed back, it is just the next
 * trial's standby). Cooldown and the hourly cap are off for the bench topology. The clock steps 16 ms.
 * Short form (BENCH_SMOKE=1): 50 trials. BENCH_TRIALS overrides either.
 * Last line: {"bench":"decide","trials":1000,"p50_ms":A,"p99_ms":B,"wrong":0,"valid":true}
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { topologySchema } from '../src/config/topology-schema.js';
import { createSandboxAccount } from '../src/local/sandbox-account.js';
import { SqliteStore } from '../src/local/sqlite-store.js';
import { silentLogger } from '../src/log.js';
import type { TunnelHealthChange } from '../src/monitor/health-reporter.js';
import { simulatedMonitors } from '../src/monitor/simulated-monitors.js';
import type { Clock } from '../src/ports/clock.js';
import type { RouteTables } from '../src/ports/route-tables.js';
import { FailoverController } from '../src/services/failover/failover-controller.js';
import { benchSize, finishBench, runBench } from './lib/bench-run.js';

const TRIALS = Number(process.env.BENCH_TRIALS ?? benchSize(1000, 50));

const raw = parse(readFileSync('tunnels.yml', 'utf8')) as {
  sites: Array<{ failover: Record<string, unknown> }>;
};
for (const s of raw.sites)
  Object.assign(s.failover, { mode: 'auto', cooldownSeconds: 0, maxAutomaticPerHour: 1_000_000 });
const topology = topologySchema.parse(raw);
const site = topology.sites[0]!;

const dir = mkdtempSync(join(tmpdir(), 'tunnelops-bench-decide-'));
/**
 * Time as a coarse or busy host reads it (16 ms steps, like a Windows tick): many probe rounds share a
 * timestamp, so anything that tells rounds or events apart by time shows up here as wrong outcomes.
 * Latency is measured with performance.now(), not with this clock.
 */
const clock: Clock = { now: () => Math.floor(Date.now() / 16) * 16 };
const log = silentLogger();
const store = new SqliteStore({ path: join(dir, 'tunnelops.sqlite'), clock });
const account = createSandboxAccount({ topology, clock });

// Timestamp the last ReplaceRoute of each run (the moment traffic has fully moved).
let lastReplaceAt = 0;
const routeTables: RouteTables = {
  observe: (sites) => account.routeTables.observe(sites),
  replace: async (s, rtb, cidr, tunnel) => {
    await account.routeTables.replace(s, rtb, cidr, tunnel);
    lastReplaceAt = performance.now();
  },
  create: async (s, rtb, cidr, tunnel) => {
    await account.routeTables.create(s, rtb, cidr, tunnel);
    lastReplaceAt = performance.now();
  },
};
const controller = new FailoverController({
  topology,
  account: { ...account, routeTables },
  store,
  clock,
  log,
});

let changeAt = 0;
const sink = {
  onHealthChanged: async (change: TunnelHealthChange) => {
    changeAt = performance.now();
    return controller.onHealthChanged(change);
  },
};
const loops = simulatedMonitors({
  topology,
  tunnelUp: (s, t) => account.tunnelUp(s, t),
  store,
  clock,
  log,
  sink,
});
const loopOf = (tunnel: string) => loops.find((_, i) => site.tunnels[i]?.name === tunnel)!;

async function active(): Promise<string> {
  const obs = (await account.routeTables.observe([site])).get(site.name);
  if (!obs?.ok) throw new Error('cannot read the sandbox routes');
  const tunnels = new Set(obs.value.map((r) => r.tunnel));
  if (tunnels.size !== 1) throw new Error(`routes disagree: ${[...tunnels].join(', ')}`);
  return [...tunnels][0]!;
}

async function tickUntil(tunnel: string, health: 'up' | 'down'): Promise<void> {
  const loop = loopOf(tunnel);
  for (let i = 0; i < 100 && loop.tracker.state().health !== health; i++) await loop.tick();
  if (loop.tracker.state().health !== health) throw new Error(`${tunnel} never became ${health}`);
}

async function main(): Promise<void> {
  const samples: number[] = [];
  let wrong = 0;
  for (const t of site.tunnels) await tickUntil(t.name, 'up');
  for (let trial = 0; trial < TRIALS; trial++) {
    const from = await active();
    const to = site.tunnels.find((t) => t.name !== from)!.name;
    // Both heartbeats fresh and up before the outage.
    for (const l of loops) await l.tick();
    account.chaos.break(site.name, from);
    changeAt = 0;
    lastReplaceAt = 0;
    await tickUntil(from, 'down'); // the fall-th failed round emits the change; the controller runs inside it
    if (changeAt === 0 || lastReplaceAt < changeAt || (await active()) !== to) {
      wrong++;
    } else {
      samples.push(lastReplaceAt - changeAt);
    }
    account.chaos.heal(site.name, from);
    await tickUntil(from, 'up'); // recovered: stays standby
    if ((await active()) !== to) wrong++;
  }

  samples.sort((a, b) => a - b);
  const pct = (p: number) =>
    samples[Math.min(samples.length - 1, Math.max(0, Math.ceil((p / 100) * samples.length) - 1))] ??
    Number.NaN;
  const round = (n: number) => Math.round(n * 100) / 100;
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  const audit = await store.listAudit({ site: site.name });
  const succeeded = audit.filter((e) => e.action === 'failover' && e.event === 'succeeded').length;
  // One failover per trial: more audited successes than trials means some trial moved the routes twice.
  wrong += Math.max(0, succeeded - TRIALS);
  console.log(
    `bench:decide — health-change event -> all ${site.routeTableIds.length * site.onPremCidrs.length} routes of ${site.name} replaced`,
  );
  console.log(
    `  adapters: sandbox account, SQLite store (${dir}), controller mode auto, real monitor loop/tracker/heartbeats`,
  );
  console.log(
    `  trials: ${TRIALS}   measured: ${samples.length}   wrong outcome: ${wrong}   failovers audited: ${succeeded}`,
  );
  console.log(
    `  mean ${round(mean)} ms   p50 ${round(pct(50))} ms   p90 ${round(pct(90))} ms   p99 ${round(pct(99))} ms   max ${round(samples.at(-1) ?? Number.NaN)} ms`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  finishBench(
    'decide',
    { trials: TRIALS, p50_ms: round(pct(50)), p99_ms: round(pct(99)) },
    { wrong, goals: [{ what: 'p99 < 50 ms', met: pct(99) < 50 }] },
  );
}

runBench('decide', main);
