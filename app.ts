/**
 * Composition root. `npm start`: with no AWS/Slack credentials this runs the sandbox
 * (demo site dc1, simulated account, local Slack stand-in); with credentials it runs for real.
 */
import { createApp } from './src/app/create-app.js';
import { loadEnv } from './src/config/load-env.js';
import { loadTopology } from './src/config/load-topology.js';
import { ConfigError } from './src/domain/errors.js';
import { createLogger } from './src/log.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger(env.LOG_LEVEL);
  const topology = loadTopology(env.TUNNELOPS_TOPOLOGY);
  const app = await createApp({ env, topology, log });
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  if (app.slackStandin) {
    console.error(
      `\ntunnelops sandbox on ${app.url}\n  try:  npm run vpn -- status\n        npm run vpn -- help\n  Slack calls are written to ${env.TUNNELOPS_DATA_DIR}/slack-transcript.jsonl\n`,
    );
  }
}

main().catch((err) => {
  if (err instanceof ConfigError) console.error(`tunnelops cannot start: ${err.message}`);
  else console.error('tunnelops failed to start:', err);
  process.exit(1);
});
