/**
 * `npm start` as a person runs it: a real npm -> node process tree. SIGTERM to npm stops the server (nothing
 * left on the port), a second start on a busy port explains itself in one line, and `.env` is read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort, listening, sandboxEnv, stopChild, waitHealthy } from '../helpers/sandbox-process.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) await stopChild(c);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tunnelops-start-'));
  dirs.push(d);
  return d;
}

function npmStart(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  children.push(child);
  return { child, output: () => out };
}

/** Every process below `pid` (from /proc), so the test can tell none outlived the stop. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf)
      if (parent === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const exitOf = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (c) => r(c)));

describe('npm start as a process tree', () => {
  it.each([
    ['SIGTERM', 5_000],
    ['SIGKILL', 8_000], // npm killed outright: the app notices it lost npm within a second or so
  ] as const)(
    '%s to npm stops the server: nothing below it survives and the port is free',
    async (signal, ms) => {
      const port = await freePort();
      const { child } = npmStart(sandboxEnv({ PORT: String(port), TUNNELOPS_DATA_DIR: tempDir() }));
      await waitHealthy(`http://127.0.0.1:${port}`, child);
      const tree = descendants(child.pid!);
      expect(tree.length).toBeGreaterThan(0);
      child.kill(signal);
      await exitOf(child);
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && (tree.some(alive) || (await listening(port))))
        await new Promise((r) => setTimeout(r, 100));
      expect(tree.filter(alive)).toEqual([]);
      expect(await listening(port)).toBe(false);
    },
    60_000,
  );

  it('a second start on a busy port prints one line saying who is there and what to do, and exits non-zero', async () => {
    const port = await freePort();
    const env = sandboxEnv({ PORT: String(port), TUNNELOPS_DATA_DIR: tempDir() });
    const first = npmStart(env);
    await waitHealthy(`http://127.0.0.1:${port}`, first.child);
    const second = npmStart({ ...env, TUNNELOPS_DATA_DIR: tempDir() });
    const code = await exitOf(second.child);
    expect(code).not.toBe(0);
    const lines = second
      .output()
      .split('\n')
      .filter((l) => l.startsWith('tunnelops'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${port} is already in use`);
    expect(lines[0]).toContain('another tunnelops is already running there');
    expect(lines[0]).toContain('PORT=<port>');
    expect(second.output()).not.toMatch(/EADDRINUSE|\n\s+at /);
    expect(await listening(port)).toBe(true); // the first one is untouched
    await stopChild(first.child);
  }, 90_000);
});

describe('.env', () => {
  it('is read at start: the file over the defaults, the environment over the file; the banner names it', async () => {
    const cwd = tempDir();
    const [filePort, envPort] = [await freePort(), await freePort()];
    const dataDir = tempDir();
    writeFileSync(
      join(cwd, '.env'),
      [
        '# written by the test',
        `PORT=${filePort}`,
        `TUNNELOPS_TOPOLOGY=${resolve('tunnels.yml')}`,
        `TUNNELOPS_DATA_DIR=${dataDir}`,
        'HOST=0.0.0.0',
        'TUNNELOPS_API_TOKEN="from the file"',
      ].join('\n'),
    );
    // HOST is set in the environment too: the environment wins (the app listens on 127.0.0.1 only).
    const env = sandboxEnv({ PORT: String(envPort) });
    delete env.PORT; // PORT comes from the file
    delete env.TUNNELOPS_ENV_FILE; // the default: ./.env of the working directory
    let out = '';
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href, resolve('app.ts')],
      { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitHealthy(`http://127.0.0.1:${filePort}`, child);
    // The file's token guards the API; without it: 401, with it: 200.
    expect((await fetch(`http://127.0.0.1:${filePort}/api/status`)).status).toBe(401);
    const authed = await fetch(`http://127.0.0.1:${filePort}/api/status`, {
      headers: { authorization: 'Bearer from the file' },
    });
    expect(authed.status).toBe(200);
    for (let i = 0; i < 20 && !out.includes('settings:'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`tunnelops sandbox on http://127.0.0.1:${filePort}`);
    expect(out).toContain(`settings: ${join(cwd, '.env')}`);
    expect(out).toContain('the environment overrides HOST');
    await stopChild(child);
  }, 60_000);
});

describe('the sandbox terminal', () => {
  /** The sandbox as `npm start` runs it, its stdout a terminal (`script` gives it a pty) or a pipe. */
  async function sandboxOutput(tty: boolean, extra: Record<string, string> = {}): Promise<string> {
    const port = await freePort();
    const env = sandboxEnv({
      PORT: String(port),
      TUNNELOPS_DATA_DIR: tempDir(),
      LOG_LEVEL: 'info',
      ...extra,
    });
    const node = `${process.execPath} --import ${pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href} ${resolve('app.ts')}`;
    const child = tty
      ? spawn('script', ['-qfec', `exec ${node}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `exec ${node}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitHealthy(`http://127.0.0.1:${port}`, child);
    for (let i = 0; i < 50 && !out.includes('npm run vpn -- help'); i++)
      await new Promise((r) => setTimeout(r, 100));
    await stopChild(child);
    return out.replace(/\r/g, '');
  }

  it('reads as text on a terminal, with no warning a sandbox user cannot act on', async () => {
    const coloured = await sandboxOutput(true);
    expect(coloured).toContain('\x1b[36mINFO');
    const out = coloured.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '');
    expect(out).toContain('tunnelops sandbox on http://127.0.0.1:');
    expect(out).toMatch(/^\d\d:\d\d:\d\d INFO {2}tunnelops listening {2}url=http/m);
    expect(out).not.toContain('"level":');
    expect(out).not.toMatch(/WARN/);
    expect(out).not.toContain('TUNNELOPS_SNS_TOPIC_ARNS');
  }, 60_000);

  it('is JSON when stdout is not a terminal, or when LOG_FORMAT=json asks for it', async () => {
    for (const out of [await sandboxOutput(false), await sandboxOutput(true, { LOG_FORMAT: 'json' })]) {
      const logLines = out.split('\n').filter((l) => l.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      for (const l of logLines) expect(JSON.parse(l)).toMatchObject({ app: 'tunnelops' });
      expect(out).not.toMatch(/^\d\d:\d\d:\d\d /m);
      expect(out).not.toContain('TUNNELOPS_SNS_TOPIC_ARNS');
    }
  }, 90_000);
});
