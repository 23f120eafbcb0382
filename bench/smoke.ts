/**
 * bench:smoke — every benchmark in its short form, one after the other, each with its goal asserted.
 * Fails (exit 1) on any missed goal, wrong outcome or error. CI runs it after `npm test`.
 *
 * The short-form contract every bench keeps (bench/lib/bench-run.ts implements it; use it):
 * - `BENCH_SMOKE=1` in the environment selects the short form: few trials, small sizes, well under a minute.
 * - The last stdout line is one JSON object `{"bench":"<name>",...figures,"wrong":N,"valid":bool}`;
 *   `valid` is true only when the run had no wrong outcome and no error.
 * - The bench exits 0 only when the run is valid and, under BENCH_SMOKE=1, every goal is met.
 * A bench passes here when it exits 0 within its time limit and its last line says `"valid":true`.
 *
 * The lab benches (failover, tunnel) need root, /dev/net/tun and openvpn & co (test/lab/lab-requirements.ts):
 * they run when the lab can; when it cannot they are skipped with the reason, unless `CI` is set, where
 * they are required (as the lab tests are) and a lab that cannot run is a failure.
 * Last line: {"bench":"smoke","ran":[...names],"failed":[...names]}
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { labRequirementProblems } from '../test/lab/lab-requirements.js';

interface SmokeBench {
  name: string;
  lab: boolean;
  /** Its own time limit, when its short form needs more than LIMIT_MS. */
  limitMs?: number;
}

const BENCHES: SmokeBench[] = [
  { name: 'decide', lab: false },
  { name: 'status', lab: false },
  { name: 'slack', lab: false },
  { name: 'alarms', lab: false },
  { name: 'bodies', lab: false },
  { name: 'abuse', lab: false },
  // 100 sites, 200 monitor processes' worth of work in two workers: warm-up, the outage and its settling (~60 s).
  { name: 'fleet', lab: false, limitMs: 150_000 },
  // Its short form brings a lab up and runs every kind of trial once, a whole `/vpn rotate` among them (~30 s).
  { name: 'failover', lab: true, limitMs: 180_000 },
  { name: 'tunnel', lab: true },
];
/** A short form that runs longer than this is a failure (it would blow the CI budget). */
const LIMIT_MS = 120_000;

interface Run {
  code: number | null;
  lines: string[];
  ms: number;
  timedOut: boolean;
}

function runShort(name: string, limitMs: number): Promise<Run> {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, BENCH_SMOKE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a time-out stops the bench's helpers too (a helper left holding the pipes
    // would keep 'close' from ever firing, and the smoke run from ending).
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  }, limitMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const errors = err
        .split('\n')
        .filter((l) => l.trim() && !/NodeVersionSupportWarning|node >=22/.test(l));
      resolve({
        code,
        lines: [...out.split('\n'), ...(code === 0 ? [] : errors.slice(-5).map((l) => `stderr: ${l}`))],
        ms: performance.now() - started,
        timedOut,
      });
    });
  });
}

/** Why a finished run fails, or null when it passed. */
function failure(name: string, run: Run, limitMs: number): string | null {
  if (run.timedOut) return `took longer than ${limitMs / 1000} s`;
  const last = run.lines.filter((l) => l.trim().startsWith('{')).at(-1);
  let json: { bench?: unknown; valid?: unknown } | null = null;
  try {
    json = last ? (JSON.parse(last) as { bench?: unknown; valid?: unknown }) : null;
  } catch {
    json = null;
  }
  if (!json || json.bench !== name) return 'no JSON last line from the bench';
  if (json.valid !== true) return 'invalid run (wrong outcomes or an error)';
  const missed = run.lines.filter((l) => l.includes('-> NOT met')).map((l) => l.trim());
  if (missed.length) return `goal missed: ${missed.join('; ')}`;
  if (run.code !== 0) return `exit code ${run.code}`;
  return null;
}

async function main(): Promise<void> {
  const ran: string[] = [];
  const failed: string[] = [];
  const labProblems = await labRequirementProblems();
  const started = performance.now();
  console.log('bench:smoke — every bench in its short form (BENCH_SMOKE=1), goals asserted');
  for (const b of BENCHES) {
    if (b.lab && labProblems.length) {
      const why = labProblems.join('; ');
      if (process.env.CI) {
        console.log(`✗ ${b.name}: required in CI, but the lab cannot run: ${why}`);
        failed.push(b.name);
      } else {
        console.log(`- ${b.name}: skipped, the lab cannot run here: ${why}`);
      }
      continue;
    }
    const run = await runShort(b.name, b.limitMs ?? LIMIT_MS);
    ran.push(b.name);
    const why = failure(b.name, run, b.limitMs ?? LIMIT_MS);
    const secs = (run.ms / 1000).toFixed(1);
    if (why) {
      failed.push(b.name);
      console.log(`✗ ${b.name} (${secs} s): ${why}`);
      for (const l of run.lines.filter((x) => x.trim())) console.log(`    ${l}`);
    } else {
      console.log(`✓ ${b.name} (${secs} s): ${run.lines.filter((l) => l.trim()).at(-1)}`);
    }
  }
  console.log(
    `smoke: ${ran.length} ran, ${failed.length} failed, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  console.log(JSON.stringify({ bench: 'smoke', ran, failed }));
  process.exitCode = failed.length ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error('bench:smoke failed:', err);
  process.exit(1);
});
