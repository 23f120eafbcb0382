import { spawn } from 'node:child_process';
import type { Lab } from './lab.js';
import { SERVICE_IP } from './lab-plan.js';

/** The app's traffic: one ping every 100 ms from the app host to the on-prem service. */
export const PING_INTERVAL_MS = 100;

/** Longest run of missing sequence numbers between the first and last answered ping. */
export function longestGapMs(answered: ReadonlySet<number>, intervalMs: number): number {
  const seqs = [...answered].sort((a, b) => a - b);
  let worst = 0;
  for (let i = 1; i < seqs.length; i++) worst = Math.max(worst, seqs[i]! - seqs[i - 1]! - 1);
  return worst * intervalMs;
}

/** Pings from the app host every 100 ms until stopped; resolves to the answered sequence numbers. */
export function startAppPings(lab: Lab): { stop: () => Promise<Set<number>> } {
  const child = spawn(
    'ip',
    ['netns', 'exec', lab.ns.app, 'ping', '-n', '-i', String(PING_INTERVAL_MS / 1000), '-W', '1', SERVICE_IP],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
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
