/**
 * Composition root. `npm start`: with no AWS/Slack credentials this runs the sandbox
 * (demo site dc1, simulated account, local Slack stand-in); with credentials it runs for real.
 */
import { createApp } from './src/app/create-app.js';
import { startFailureHint } from './src/app/start-failure.js';
import { applyEnvFile, describeEnvFile } from './src/config/env-file.js';
import type { Env } from './src/config/env-schema.js';
import { loadEnv } from './src/config/load-env.js';
import { loadTopology } from './src/config/load-topology.js';
import { ConfigError } from './src/domain/errors.js';
import { createLogger } from './src/log.js';

/** SIGTERM/SIGINT normally reach us (npm start execs node); this covers npm killed outright (SIGKILL). */
const ORPHAN_CHECK_MS = 1_000;
let env: Env | undefined;

async function main(): Promise<void> {
  const envFile = applyEnvFile();
  env = loadEnv();
  const log = createLogger(env.LOG_LEVEL, env.LOG_FORMAT);
  log.info(
    { envFile: envFile.path, fromFile: envFile.applied, overridden: envFile.overridden },
    'settings read',
  );
  const topology = loadTopology(env.TUNNELOPS_TOPOLOGY);
  const app = await createApp({ env, topology, log });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // Under `npm start` only: npm gone (killed outright) means nobody can stop us any more. Started any
  // other way (a container's PID 1, a detached launcher), outliving the parent is intended.
  if (process.env.npm_lifecycle_event === 'start') {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown('npm exited');
    }, ORPHAN_CHECK_MS).unref();
  }
  const settings = describeEnvFile(envFile);
  if (app.slackStandin) {
    console.error(
      `\ntunnelops sandbox on ${app.url}\n  ${settings}\n  try:  npm run vpn -- status\n        npm run vpn -- help\n  Slack calls are written to ${env.TUNNELOPS_DATA_DIR}/slack-transcript.jsonl\n`,
    );
  } else console.error(`\ntunnelops on ${app.url}\n  ${settings}\n`);
}

main().catch(async (err) => {
  const hint = env ? await startFailureHint(err, env) : null;
  if (hint) console.error(hint);
  else if (err instanceof ConfigError) console.error(`tunnelops cannot start: ${err.message}`);
  else console.error('tunnelops failed to start:', err);
  process.exit(1);
});
