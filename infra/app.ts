/**
 * CDK app entry (`npx cdk synth`, `npx cdk deploy --all`): context from cdk.json or -c, tunnels from the
 * topology file. Synth is offline: no lookups, no Docker.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../src/domain/errors.js';
import { buildApp } from './lib/build-app.js';

try {
  const app = new App();
  buildApp(app);
  app.synth();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`tunnelops infra: ${err.message}`);
  process.exit(1);
}
