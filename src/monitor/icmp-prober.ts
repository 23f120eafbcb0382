import { execFile } from 'node:child_process';
import type { ProbeTarget } from '../config/topology-schema.js';
import { type ProbeResult, type Prober, targetLabel } from './probe.js';

/** Runs a command and resolves with its exit code and output (never rejects). */
export type CommandRunner = (
  file: string,
  args: string[],
  timeoutMs: number,
) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export const execRunner: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: err && !stderr ? err.message : String(stderr) });
    });
  });

export interface IcmpProberOptions {
  /**
   * Run ping through another command, e.g. ['ip', 'netns', 'exec', 'srv1'] in the lab,
   * so the probe leaves through that namespace's tunnel.
   */
  commandPrefix?: string[];
  /** Path or name of the ping binary. */
  ping?: string;
  /** Seconds ping waits for the reply (-W). */
  timeoutSeconds?: number;
  /** Source address or interface (-I), e.g. the tunnel's tun0, so the probe uses this tunnel. */
  source?: string;
  run?: CommandRunner;
}

/** "time=0.045 ms" from iputils / busybox ping output. */
export function parsePingRtt(output: string): number | null {
  const m = /time[=<]\s*([\d.]+)\s*ms/.exec(output);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** ICMP echo through the system `ping -c1 -W<timeout>` (no raw sockets needed in Node). */
export function icmpProber(options: IcmpProberOptions = {}): Prober {
  const run = options.run ?? execRunner;
  const timeoutSeconds = options.timeoutSeconds ?? 1;
  return async (target: ProbeTarget): Promise<ProbeResult> => {
    const label = targetLabel(target);
    const args = ['-n', '-c', '1', '-W', String(timeoutSeconds)];
    if (options.source) args.push('-I', options.source);
    args.push(target.host);
    const argv = [...(options.commandPrefix ?? []), options.ping ?? 'ping', ...args];
    const started = performance.now();
    const { code, stdout, stderr } = await run(argv[0]!, argv.slice(1), timeoutSeconds * 1000 + 1000);
    if (code !== 0) {
      const why =
        stderr.trim().split('\n')[0] || (code === 1 ? 'no reply' : `ping exited ${code ?? 'by signal'}`);
      return { target: label, ok: false, rttMs: null, error: why };
    }
    // Fall back to wall time when the output has no time= field (some ping builds).
    const rttMs = parsePingRtt(stdout) ?? performance.now() - started;
    return { target: label, ok: true, rttMs };
  };
}
