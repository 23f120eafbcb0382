import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliOptions } from './vpn-args.js';

/** The server did not answer at all: said with its URL and how to start it. */
export class ServerDownError extends Error {}

/** The server answered with an error (4xx/5xx): its message, as it gave it. */
export class ServerRefusedError extends Error {}

function downMessage(url: string, err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return `cannot reach tunnelops at ${url} (${cause}). Start it with \`npm start\` in another terminal, or point the CLI at a running one with --url or TUNNELOPS_URL.`;
}

/** JSON calls to the server's /api/* and /healthz, with the bearer token and a timeout. */
export class ServerApi {
  constructor(private readonly opts: Pick<CliOptions, 'url' | 'apiToken'>) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${this.opts.url}${path}`, {
        ...init,
        headers: {
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(this.opts.apiToken ? { authorization: `Bearer ${this.opts.apiToken}` } : {}),
        },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ServerDownError(downMessage(this.opts.url, err));
    }
  }

  /** Fails with ServerDownError unless /healthz answers. */
  async reachable(): Promise<void> {
    const res = await this.fetch('/healthz');
    if (!res.ok)
      throw new ServerDownError(
        `${this.opts.url} answered ${res.status} on /healthz: is it tunnelops? Start it with \`npm start\`.`,
      );
  }

  /** GET/POST returning JSON; a 4xx/5xx becomes ServerRefusedError with the server's message. */
  async json<T>(path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(
      path,
      body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
    );
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
    if (!res.ok) {
      const msg = (parsed as { message?: string }).message ?? `HTTP ${res.status}`;
      throw new ServerRefusedError(res.status === 401 ? `${msg} (set TUNNELOPS_API_TOKEN)` : msg);
    }
    return parsed as T;
  }
}

/** The secret the server checks Slack signatures with: SLACK_SIGNING_SECRET, or the sandbox's generated one. */
export function signingSecret(dataDir: string, env: NodeJS.ProcessEnv): string {
  if (env.SLACK_SIGNING_SECRET) return env.SLACK_SIGNING_SECRET;
  const path = join(dataDir, 'slack-signing-secret');
  if (!existsSync(path)) {
    throw new ServerDownError(
      `no signing secret: ${path} does not exist. Start the sandbox (npm start) from this directory, set TUNNELOPS_DATA_DIR to its data dir, or set SLACK_SIGNING_SECRET.`,
    );
  }
  return readFileSync(path, 'utf8').trim();
}
