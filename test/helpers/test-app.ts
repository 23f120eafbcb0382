import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type RunningApp } from '../../src/app/create-app.js';
import { loadEnv } from '../../src/config/load-env.js';
import { parseTopology } from '../../src/config/load-topology.js';
import type { Topology } from '../../src/config/topology-schema.js';
import { SlackCommandClient } from '../../src/local/slack-command-client.js';
import { type Logger, silentLogger } from '../../src/log.js';
import type { Account } from '../../src/ports/account.js';
import type { Clock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';

export const demoTopology = (): Topology => parseTopology(readFileSync('tunnels.yml', 'utf8'), 'tunnels.yml');

export interface TestApp extends RunningApp {
  slack: SlackCommandClient;
  dataDir: string;
  /** Stops the app (keeps the data dir unless `wipe`). */
  close(wipe?: boolean): Promise<void>;
}

export interface TestAppOptions {
  topology?: Topology;
  account?: Account;
  store?: Store;
  clock?: Clock;
  env?: Record<string, string>;
  /** Reuse a data dir (restart tests). */
  dataDir?: string;
  /** A logger the test reads back (default: silent). */
  log?: Logger;
}

/** Starts the real app on a random loopback port with a fresh data dir and a signed Slack client. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tunnelops-test-'));
  const env = loadEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TUNNELOPS_DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    // Its certificate messages would be in every transcript; test/integration/certs-sandbox.test.ts turns it on.
    TUNNELOPS_SANDBOX_PKI: '0',
    ...options.env,
  });
  const app = await createApp({
    env,
    topology: options.topology ?? demoTopology(),
    log: options.log ?? silentLogger(),
    ...(options.account ? { account: options.account } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const slack = new SlackCommandClient(app.url, app.signingSecret);
  await slack.open();
  return {
    ...app,
    slack,
    dataDir,
    close: async (wipe = true) => {
      await slack.close();
      await app.stop();
      if (wipe && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
