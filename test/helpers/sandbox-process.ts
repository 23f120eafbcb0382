/** The sandbox as a real process (what `npm start` runs), for end-to-end tests. */
import { type ChildProcess, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs one of our CLIs (`src/cli/<name>.ts`) as a process on this Node; a non-zero exit is a result, not a throw. */
export async function runCli(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  try {
    const r = await execFileAsync(process.execPath, ['--import', 'tsx', `src/cli/${name}.ts`, ...args], {
      env,
      timeout: 45_000,
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

/** The test's environment without AWS/Slack/GitHub credentials or tunnelops settings: the sandbox. */
export function sandboxEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(AWS_|SLACK_|WEBHOOK_SECRET|TUNNELOPS_|PORT$|HOST$|VPN_USER$|npm_)/.test(k),
    ),
  );
  // TUNNELOPS_ENV_FILE="": a developer's own .env must not leak into the test.
  return { ...env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', TUNNELOPS_ENV_FILE: '', ...extra };
}

/** Resolves once GET /healthz answers, or rejects after `timeoutMs` (or when `child` exits first). */
export async function waitHealthy(url: string, child?: ChildProcess, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** True while something accepts connections on the port. */
export async function listening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

/** Stops a child we started (SIGTERM) and waits for it to exit. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
