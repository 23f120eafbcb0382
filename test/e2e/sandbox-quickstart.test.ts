/**
 * The README's quick start, for real: `npm start`'s entry point as a child process with no credentials,
 * driven by the `vpn` CLI the way a newcomer would.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
let server: ChildProcess;
let dataDir: string;
let port: number;
let env: NodeJS.ProcessEnv;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const vpn = async (...args: string[]) =>
  (await run('npx', ['tsx', 'src/cli/vpn.ts', ...args], { env, timeout: 30_000 })).stdout;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-sandbox-'));
  port = await freePort();
  // No AWS or Slack credentials: the sandbox.
  env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|SLACK_|WEBHOOK_SECRET|TUNNELOPS_)/.test(k)),
  );
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    TUNNELOPS_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  });
  // node itself (not npx) so SIGTERM reaches the app and nothing outlives the test.
  server = spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the sandbox did not start within 30 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sandbox quick start', () => {
  it('answers /vpn status through the CLI with dc1/primary active', async () => {
    const out = await vpn('status');
    expect(out).toContain('dc1');
    expect(out).toMatch(/Active tunnel:\*? \*?primary/);
  }, 40_000);

  it('refuses self-approval, then a second engineer approves and status shows secondary active', async () => {
    const asked = await vpn('failover', 'dc1', 'planned maintenance');
    const id = /`(fo-[a-z0-9]+)`/.exec(asked)?.[1];
    expect(id).toBeDefined();
    const self = await vpn('--as', 'UREQUESTER', 'approve', id!);
    expect(self).toContain('only you can see this');
    expect(await vpn('status', 'dc1')).toMatch(/Active tunnel:\*? \*?primary/);
    await vpn('--as', 'UAPPROVER1', 'approve', id!);
    let status = '';
    for (let i = 0; i < 20 && !/Active tunnel:\*? \*?secondary/.test(status); i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = await vpn('status', 'dc1');
    }
    expect(status).toMatch(/Active tunnel:\*? \*?secondary/);
    const audit = (await (await fetch(`http://127.0.0.1:${port}/api/audit?site=dc1`)).json()) as {
      entries: Array<{ event: string }>;
    };
    expect(audit.entries.filter((e) => e.event === 'routes-changed')).toHaveLength(4);
  }, 60_000);
});
