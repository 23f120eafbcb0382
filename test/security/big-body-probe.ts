/**
 * A 50 MB body against every endpoint of a running sandbox (`node --import tsx app.ts`, its own process on
 * 127.0.0.1), watched from outside: the answer, the server's RSS (every 10 ms) and /healthz (every 20 ms from a third process, so what the sender spends
 * does not count against the server). Shared by test/security/fifty-mb-sandbox.test.ts (correctness, with
 * bounds that hold on a loaded machine) and bench/bodies.ts (the timing figures and their goals).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postBig, WEBHOOK_SECRET } from './support.js';

export const FIFTY_MB = 50 * 1000 * 1000;
export const ENDPOINTS: Array<[string, string]> = [
  ['POST', '/slack/events'],
  ['POST', '/sns'],
  ['POST', '/api/github/webhooks'],
  ['POST', '/api/sandbox/alarm'],
  ['POST', '/api/sandbox/chaos'],
  ['GET', '/api/status'],
  ['GET', '/api/audit'],
  ['GET', '/healthz'],
];

const SNS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tunnelops-alarms';

/**
 * Headers that pass each route's check made before the body is read (review 2, item 2), so that the size
 * limit is what refuses the body. Without them the route answers 401/403 from its headers alone
 * (test/security/r2-02-bodies-in-flight.test.ts).
 */
function plausibleHeaders(path: string): Record<string, string> {
  if (path === '/slack/events')
    return {
      'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      'x-slack-signature': `v0=${'0'.repeat(64)}`,
    };
  if (path === '/sns') return { 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-topic-arn': SNS_TOPIC };
  if (path === '/api/github/webhooks')
    return {
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      'x-github-event': 'ping',
      'x-github-delivery': 'big-body-probe',
    };
  return {};
}

export interface RunningSandbox {
  base: string;
  pid: number;
  stop: () => Promise<void>;
}

const APP = fileURLToPath(new URL('../../app.ts', import.meta.url));
/** The node flags of `npm start` (and the bot image's CMD): the sandbox under test runs as the bot does. */
const START_FLAGS = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  const flags = /^exec node (.*) app\.ts$/.exec(pkg.scripts.start)?.[1];
  if (!flags) throw new Error(`package.json's start script is not "exec node <flags> app.ts"`);
  return flags.split(' ');
})();

/** `env` adds to the sandbox's environment (bench:abuse runs one with TUNNELOPS_API_TOKEN set). */
export async function startSandbox(env: Record<string, string> = {}): Promise<RunningSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-50mb-'));
  const server: ChildProcess = spawn(process.execPath, [...START_FLAGS, APP], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      LOG_LEVEL: 'warn',
      TUNNELOPS_ENV_FILE: '',
      TUNNELOPS_DATA_DIR: dataDir,
      WEBHOOK_SECRET,
      TUNNELOPS_SNS_TOPIC_ARNS: SNS_TOPIC,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${err}`)), 60_000);
    server.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const url = /tunnelops sandbox on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    server.once('exit', (code) => reject(new Error(`sandbox exited ${code}: ${err}`)));
  });
  return {
    base,
    pid: server.pid as number,
    stop: async () => {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
};

/**
 * The server's main thread (its event loop) since boot, from /proc/<pid>/schedstat: ms on a CPU and ms
 * runnable but waiting for one. When /healthz is slow, these tell the server's own work (run) from a machine
 * too busy to schedule it (wait): no code in the server shortens a wait on the kernel's run queue.
 */
export const schedMs = (pid: number): { runMs: number; waitMs: number } => {
  const [run = 0, wait = 0] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { runMs: run / 1e6, waitMs: wait / 1e6 };
};

const POLLER = `
  const base = process.argv[1]; const lat = []; let failed = 0; let run = true;
  process.stdin.on('data', () => { run = false; });
  (async () => {
    await (await fetch(base + '/healthz')).text(); // warm up this process's HTTP client, not measured
    process.stderr.write('ready\\n');
    while (run) {
      const t = performance.now();
      try {
        const res = await fetch(base + '/healthz', { signal: AbortSignal.timeout(10000) });
        await res.text();
        if (!res.ok) failed++;
      } catch { failed++; }
      lat.push(Math.round(performance.now() - t));
      await new Promise((r) => setTimeout(r, 20));
    }
    process.stdout.write(JSON.stringify({ lat, failed }));
  })();`;

export interface BigBodyFigures {
  endpoint: string;
  contentLength: 'declared' | 'none (chunked)';
  status: number;
  answeredMs: number;
  rssBeforeMb: number;
  rssMaxMb: number;
  healthzMaxMs: number;
  healthzChecks: number;
  healthzFailed: number;
}

/** One 50 MB request (declared length, or chunked with none) while RSS and /healthz are watched. */
export async function probe(
  sandbox: RunningSandbox,
  method: string,
  path: string,
  chunked: boolean,
): Promise<BigBodyFigures> {
  const { base, pid } = sandbox;
  const rssBefore = rssMb(pid);
  let running = true;
  let maxRss = rssBefore;
  const rssLoop = (async () => {
    while (running) {
      maxRss = Math.max(maxRss, rssMb(pid));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const poller = spawn(process.execPath, ['-e', POLLER, base], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  poller.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise((r) => poller.once('exit', r));
  await new Promise((r) => poller.stderr?.once('data', r));
  const result = await postBig(
    `${base}${path}`,
    FIFTY_MB,
    { 'content-type': 'application/json', ...plausibleHeaders(path) },
    chunked,
    method,
  );
  await new Promise((r) => setTimeout(r, 100)); // what the body costs after the answer counts too
  running = false;
  poller.stdin?.end('stop');
  await Promise.all([rssLoop, exited]);
  const health = JSON.parse(out || '{"lat":[],"failed":0}') as { lat: number[]; failed: number };
  return {
    endpoint: `${method} ${path}`,
    contentLength: chunked ? 'none (chunked)' : 'declared',
    status: result.status,
    answeredMs: Math.round(result.ms),
    rssBeforeMb: Math.round(rssBefore),
    rssMaxMb: Math.round(maxRss),
    healthzMaxMs: health.lat.length ? Math.max(...health.lat) : Number.NaN,
    healthzChecks: health.lat.length,
    healthzFailed: health.failed,
  };
}

/** Without Content-Length the server must stop reading by itself (POST); a GET with a chunked body is
 * Node's parser's business (it answers 400 or resets), not a route's. */
export const variants = (method: string): boolean[] => (method === 'POST' ? [false, true] : [false]);

/** 413; a GET with a chunked body may be refused by Node's parser itself (400) before any handler. */
export const refused = (f: BigBodyFigures): boolean =>
  f.status === 413 || (f.endpoint.startsWith('GET') && f.contentLength !== 'declared' && f.status === 400);
