/**
 * The README's quick start, for real: `npm start`'s entry point as a child process with no credentials,
 * driven by the `vpn` CLI the way a newcomer would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileAsync, freePort, sandboxEnv, stopChild, waitHealthy } from '../helpers/sandbox-process.js';

let server: ChildProcess;
let dataDir: string;
let port: number;
let env: NodeJS.ProcessEnv;

/** The CLI's output; a refusal exits 1, which is expected here too, so its stdout is returned as well. */
const vpn = async (...args: string[]): Promise<string> => {
  try {
    return (await execFileAsync('npx', ['tsx', 'src/cli/vpn.ts', ...args], { env, timeout: 30_000 })).stdout;
  } catch (e) {
    const x = e as { code?: number; stdout?: string };
    if (x.code === 1 && x.stdout) return x.stdout;
    throw e;
  }
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-sandbox-'));
  port = await freePort();
  // No AWS or Slack credentials: the sandbox.
  env = sandboxEnv({ PORT: String(port), TUNNELOPS_DATA_DIR: dataDir });
  // node itself (not npx) so SIGTERM reaches the app and nothing outlives the test.
  server = spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitHealthy(`http://127.0.0.1:${port}`, server, 30_000);
}, 60_000);

afterAll(async () => {
  await stopChild(server);
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
    expect(self).toContain('two-person rule');
    expect(await vpn('status', 'dc1')).toMatch(/Active tunnel:\*? \*?primary/);
    expect(await vpn('--as', 'UAPPROVER1', 'approve', id!)).toContain(
      '4 route(s) moved from primary to secondary',
    );
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
