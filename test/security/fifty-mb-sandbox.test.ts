import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { postBig, WEBHOOK_SECRET } from './support.js';

/**
 * Must show (issue 14): against a running sandbox (`node --import tsx app.ts`, its own process on 127.0.0.1),
 * a 50 MB body to each endpoint gets 413 within 1 s, the server's RSS stays below 300 MB, and /healthz keeps
 * answering under 100 ms meanwhile. The figures are printed as one JSON line per endpoint.
 */
const FIFTY_MB = 50 * 1000 * 1000;
const ENDPOINTS: Array<[string, string]> = [
  ['POST', '/slack/events'],
  ['POST', '/sns'],
  ['POST', '/api/github/webhooks'],
  ['POST', '/api/sandbox/alarm'],
  ['POST', '/api/sandbox/chaos'],
  ['GET', '/api/status'],
  ['GET', '/api/audit'],
  ['GET', '/healthz'],
];

let server: ChildProcess;
let base = '';
let dataDir = '';

const rssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-50mb-'));
  server = spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      LOG_LEVEL: 'warn',
      TUNNELOPS_DATA_DIR: dataDir,
      WEBHOOK_SECRET,
      TUNNELOPS_SNS_TOPIC_ARNS: 'arn:aws:sns:us-east-1:123456789012:tunnelops-alarms',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
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
}, 90_000);

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * /healthz every 20 ms from a separate process (so what this process spends sending 50 MB does not count
 * against the server), and the server's RSS every 10 ms, while `during` runs.
 */
const POLLER = `
  const base = process.argv[1]; const lat = []; let run = true;
  process.stdin.on('data', () => { run = false; });
  (async () => {
    await (await fetch(base + '/healthz')).text(); // warm up this process's HTTP client, not measured
    process.stderr.write('ready\\n');
    while (run) {
      const t = performance.now();
      await (await fetch(base + '/healthz')).text();
      lat.push(Math.round(performance.now() - t));
      await new Promise((r) => setTimeout(r, 20));
    }
    process.stdout.write(JSON.stringify(lat));
  })();`;

async function watch<T>(pid: number, during: () => Promise<T>) {
  let running = true;
  let maxRss = rssMb(pid);
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
  const result = await during();
  await new Promise((r) => setTimeout(r, 100)); // what the body costs after the answer counts too
  running = false;
  poller.stdin?.end('stop');
  await Promise.all([rssLoop, exited]);
  const health = JSON.parse(out || '[]') as number[];
  return {
    result,
    maxRssMb: Math.round(maxRss),
    healthMaxMs: Math.max(...health),
    healthChecks: health.length,
  };
}

describe('a 50 MB body to every endpoint of a running sandbox', () => {
  it.each(ENDPOINTS)(
    '%s %s: 413 within 1 s, RSS < 300 MB, /healthz < 100 ms',
    async (method, path) => {
      const pid = server.pid as number;
      // Without Content-Length the server must stop reading by itself (POST); a GET with a chunked body is
      // Node's parser's business (it answers 400 or resets), not a route's.
      for (const chunked of method === 'POST' ? [false, true] : [false]) {
        const startRss = rssMb(pid);
        const w = await watch(pid, () =>
          postBig(`${base}${path}`, FIFTY_MB, { 'content-type': 'application/json' }, chunked, method),
        );
        const figures = {
          endpoint: `${method} ${path}`,
          contentLength: chunked ? 'none (chunked)' : 'declared',
          status: w.result.status,
          answeredMs: Math.round(w.result.ms),
          rssBeforeMb: Math.round(startRss),
          rssMaxMb: w.maxRssMb,
          healthzMaxMs: w.healthMaxMs,
          healthzChecks: w.healthChecks,
        };
        console.log(JSON.stringify(figures));
        // 413; a GET with a chunked body may be refused by Node's parser itself (400) before any handler.
        expect(w.result.status === 413 || (method === 'GET' && chunked && w.result.status === 400)).toBe(
          true,
        );
        expect(w.result.ms).toBeLessThan(1000);
        expect(w.maxRssMb).toBeLessThan(300);
        expect(w.healthMaxMs).toBeLessThan(100);
      }
    },
    30_000,
  );
});
