import { spawn } from 'node:child_process';
import { Lab } from '../test/lab/lab.js';
import { LabController } from '../test/lab/lab-controller.js';
import { type LabTunnel, SERVICE_IP } from '../test/lab/lab-plan.js';
import { labRequirementProblems } from '../test/lab/lab-requirements.js';
import { sleep, waitFor } from '../test/lab/netns.js';
import { benchSize, finishBench, runBench } from './lib/bench-run.js';

/**
 * bench:failover — in the real-tunnel lab (root), 5 times: the app host pings the on-prem service every 100 ms
 * while the active tunnel's server openvpn is killed; the in-process monitors + controller (mode auto) move the
 * routes. Outage = the longest run of unanswered pings x 100 ms. Trials alternate primary/secondary.
 * Wrong outcomes: false failovers (a trial that never moves the routes is an error). Goal: median outage <= 3 s.
 * Short form (BENCH_SMOKE=1): 1 trial.
 */
const TRIALS = benchSize(5, 1);
const INTERVAL_MS = 100;

/** Longest run of missing sequence numbers between the first and last answered ping. */
export function longestGapMs(answered: ReadonlySet<number>, intervalMs: number): number {
  const seqs = [...answered].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 1; i < seqs.length; i++) worst = Math.max(worst, seqs[i]! - seqs[i - 1]! - 1);
  return worst * intervalMs;
}

/** Pings from the app host every 100 ms until stopped; resolves to the answered sequence numbers. */
function startAppPings(lab: Lab): { stop: () => Promise<Set<number>> } {
  const child = spawn('ip', ['netns', 'exec', lab.ns.app, 'ping', '-n', '-i', '0.1', '-W', '1', SERVICE_IP], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGINT');
      await done;
      return new Set([...out.matchAll(/bytes from .*icmp_seq=(\d+)/g)].map((m) => Number(m[1])));
    },
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
};

async function main(): Promise<void> {
  const problems = await labRequirementProblems();
  if (problems.length) throw new Error(`bench:failover needs the lab: ${problems.join('; ')}`);
  const lab = await Lab.up();
  let ctl: LabController | undefined;
  try {
    ctl = await LabController.start(lab, 'bench');
    const outages: number[] = [];
    let falseFailovers = 0;
    for (let trial = 1; trial <= TRIALS; trial++) {
      const active = (await ctl.active()) as LabTunnel | null;
      if (active !== 'primary' && active !== 'secondary')
        throw new Error(`routes disagree before trial ${trial}`);
      const standby: LabTunnel = active === 'primary' ? 'secondary' : 'primary';
      const failoversBefore = ctl.outcomes.filter((o) => o.result?.ok).length;
      const pings = startAppPings(lab);
      await sleep(1500);
      const killedAt = Date.now();
      lab.killServerOpenvpn(active);
      const moved = await waitFor(async () => (await ctl!.active()) === standby, 20_000, 50);
      const movedMs = Date.now() - killedAt;
      await sleep(2000);
      const answered = await pings.stop();
      if (!moved) throw new Error(`trial ${trial}: routes never moved to ${standby}`);
      const outage = longestGapMs(answered, INTERVAL_MS);
      const failovers = ctl.outcomes.filter((o) => o.result?.ok).length - failoversBefore;
      falseFailovers += Math.max(0, failovers - 1);
      outages.push(outage);
      console.log(
        `trial ${trial}: killed ${active}'s openvpn; routes on ${standby} after ${movedMs} ms; app outage ${outage} ms (${answered.size} pings answered)`,
      );
      // Bring the killed server back as the new standby, healthy, before the next trial.
      await lab.startServer(active);
      if (!(await lab.waitTunnel(active, 30_000))) throw new Error(`${active} did not come back`);
      if (!(await ctl.waitHealth(active, 'up', 15_000))) throw new Error(`${active} monitor never saw it up`);
      await sleep(1000);
    }
    // Every automatic failover beyond one per trial (during a trial or while the killed server came back) is false.
    falseFailovers = Math.max(falseFailovers, ctl.outcomes.filter((o) => o.result?.ok).length - TRIALS);
    const finalActive = await ctl.active();
    const sorted = [...outages].sort((a, b) => a - b);
    console.log(
      `\nfailover outage over ${TRIALS} trials (ms): ${sorted.join(', ')}; routes end on ${finalActive}`,
    );
    console.log(
      `median ${median(outages)} ms, max ${Math.max(...outages)} ms, false failovers ${falseFailovers}`,
    );
    finishBench(
      'failover',
      {
        trials: TRIALS,
        outage_ms_median: median(outages),
        outage_ms_max: Math.max(...outages),
        false_failovers: falseFailovers,
      },
      { wrong: falseFailovers, goals: [{ what: 'median outage <= 3000 ms', met: median(outages) <= 3000 }] },
    );
  } finally {
    await ctl?.stop();
    await lab.down();
  }
}

runBench('failover', main);
