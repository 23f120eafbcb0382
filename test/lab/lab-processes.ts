import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sh } from './netns.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_ENTRYPOINT = join(REPO_ROOT, 'images/openvpn-server/entrypoint.sh');
export const CLIENT_ENTRYPOINT = join(REPO_ROOT, 'images/openvpn-client/entrypoint.sh');
export const CLIENT_TEMPLATE = join(REPO_ROOT, 'images/openvpn-client/client.conf');
export const CRL_REFRESH = join(REPO_ROOT, 'images/openvpn-server/crl-refresh.sh');
export const PEER_CERT_HOOK = join(REPO_ROOT, 'images/openvpn-server/peer-cert.sh');
export const SERVER_HEALTHCHECK = join(REPO_ROOT, 'images/openvpn-server/healthcheck.sh');
export const CLIENT_HEALTHCHECK = join(REPO_ROOT, 'images/openvpn-client/healthcheck.sh');
/** What the server image runs as `node /opt/tunnelops/render-config.mjs`, here straight from the TypeScript. */
export const RENDER_CONFIG_CMD = `${join(REPO_ROOT, 'node_modules/.bin/tsx')} ${join(REPO_ROOT, 'images/render-config.ts')}`;

/** How the lab runs TypeScript entry points as one node process (tsx as a loader, so a kill hits the process). */
export const NODE_TS = ['--import', 'tsx'];

/** Pids of the processes in a namespace, optionally only those whose command line contains `match`. */
export async function processesIn(ns: string, match?: string): Promise<number[]> {
  const pids = (await sh('ip', ['netns', 'pids', ns]).catch(() => ''))
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  if (!match) return pids;
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(match);
    } catch {
      return false;
    }
  });
}

/** A process started inside a namespace, in its own process group so it can be killed as a whole. */
export class NsProcess {
  readonly child: ChildProcess;
  private exited = false;
  readonly done: Promise<number | null>;

  constructor(
    readonly ns: string,
    readonly command: string,
    readonly args: readonly string[],
    readonly logPath: string,
    env: Record<string, string> = {},
  ) {
    const fd = openSync(logPath, 'a');
    this.child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      cwd: REPO_ROOT,
    });
    this.done = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exited = true;
        resolve(code);
      });
    });
    this.child.unref();
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Signals the whole process group (the entrypoint and its openvpn). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.exited || !this.child.pid) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after timeoutMs (0: SIGKILL at once); resolves when the process has exited. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    // Hold the event loop until the exit is seen (the child is unref'd so a CLI can leave the lab running).
    this.child.ref();
    this.kill(timeoutMs === 0 ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    await this.done;
    clearTimeout(timer);
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }
}

/** The openvpn pid an entrypoint wrote (--writepid), or null. */
export function openvpnPid(runDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(runDir, 'openvpn.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
