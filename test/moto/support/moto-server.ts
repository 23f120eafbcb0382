import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Dummy static credentials: moto accepts any, and nothing here may ever reach a real account. */
export const MOTO_CREDENTIALS = {
  accessKeyId: 'AKIAMOTOTESTINGKEY00',
  secretAccessKey: 'moto-testing-secret',
};
export const MOTO_REGION = 'us-east-1';

export const MOTO_MISSING =
  'moto_server is not on PATH (install it with `pip install "moto[server]==5.2.1"`; .ci/run checks for it)';

/** Where moto_server is on PATH, or null. */
export function findMotoServer(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'moto_server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

export interface MotoServer {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL. */
  endpoint: string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function waitReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer ${endpoint}/moto-api/ within ${timeoutMs} ms`);
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts a private moto_server on a free loopback port (one per test file, so files never share state).
 * ECS services report `runningCount` = MOTO_ECS_SERVICE_RUNNING (moto's default is 0).
 */
export async function startMoto(
  opts: {
    ecsServiceRunning?: number /** File moto appends each recorded request to (see recorder()). */;
    recordingPath?: string;
  } = {},
): Promise<MotoServer> {
  const bin = findMotoServer();
  if (!bin) throw new Error(MOTO_MISSING);
  let lastError: unknown;
  // The free port may be taken between the probe and moto's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const stderr: string[] = [];
    const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
      env: {
        ...process.env,
        MOTO_ECS_SERVICE_RUNNING: String(opts.ecsServiceRunning ?? 1),
        ...(opts.recordingPath ? { MOTO_RECORDER_FILEPATH: opts.recordingPath } : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr.push(d.toString('utf8'));
      if (stderr.length > 50) stderr.shift();
    });
    try {
      await waitReady(endpoint, child, 20_000);
      return { endpoint, stop: () => kill(child) };
    } catch (err) {
      await kill(child);
      lastError = new Error(`${(err as Error).message}\n${stderr.join('').slice(-2000)}`);
    }
  }
  throw lastError;
}

/** One request as moto's recorder saw it. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  body_encoded: boolean;
}

/**
 * moto's request recorder (started with `recordingPath`): which calls a process made, with their bodies,
 * so a test can prove what was read, not only what changed.
 */
export function recorder(endpoint: string, path: string) {
  const post = async (action: string) => {
    const res = await fetch(`${endpoint}/moto-api/recorder/${action}`, { method: 'POST' });
    if (!res.ok) throw new Error(`moto recorder ${action}: HTTP ${res.status}`);
  };
  return {
    start: () => post('start-recording'),
    stop: () => post('stop-recording'),
    reset: () => post('reset-recording'),
    read(): RecordedRequest[] {
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedRequest)
        .map((r) => (r.body_encoded ? { ...r, body: Buffer.from(r.body, 'base64').toString('utf8') } : r));
    },
  };
}
