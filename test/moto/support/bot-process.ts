import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Topology } from '../../../src/config/topology-schema.js';
import { freePort } from './moto-server.js';

export interface BotProcess {
  url: string;
  signingSecret: string;
  stop(): Promise<void>;
  /** SIGKILL: the process dies at once, as a task in a failed AZ does (no shutdown, no lease released). */
  kill(): Promise<void>;
}

/**
 * `npm start`'s entry point (app.ts) as its own process with AWS credentials and the given environment,
 * the topology written to a file as an operator would, listening on a free loopback port.
 */
export async function startBot(env: NodeJS.ProcessEnv, topology: Topology): Promise<BotProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-moto-bot-'));
  const topologyPath = join(dir, 'tunnels.yml');
  // JSON is YAML: the topology file the world builder's ids fill in.
  writeFileSync(topologyPath, JSON.stringify(topology, null, 2));
  const port = await freePort();
  // Replicas of one Slack app share its signing secret (given in env); a lone bot gets its own.
  const signingSecret = env.SLACK_SIGNING_SECRET ?? randomBytes(16).toString('hex');
  const stderr: string[] = [];
  // node itself (not npm) so SIGTERM reaches the app and nothing outlives the test.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'app.ts'], {
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TUNNELOPS_DATA_DIR: join(dir, 'data'),
      TUNNELOPS_TOPOLOGY: topologyPath,
      SLACK_SIGNING_SECRET: signingSecret,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString('utf8'));
    if (stderr.length > 100) stderr.shift();
  });
  const url = `http://127.0.0.1:${port}`;
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const stop = () => end('SIGTERM');
  const deadline = Date.now() + 40_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`the bot exited with ${child.exitCode}:\n${stderr.join('').slice(-3000)}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the bot did not start within 40 s:\n${stderr.join('').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, signingSecret, stop, kill: () => end('SIGKILL') };
}
