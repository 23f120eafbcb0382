/**
 * The deploy workflow's runner: `tsx src/cli/deploy.ts --diff cdk-diff.json [--plan-only]`.
 * Deploys the changed stacks in an order that never takes both tunnels of a site down, failing over
 * through the same audited executor as `/vpn failover` (actor github:<login>).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createAccount } from '../app/create-account.js';
import { createStore } from '../app/create-store.js';
import { awsClientsFromEnv } from '../aws/clients.js';
import { loadEnv } from '../config/load-env.js';
import { loadTopology } from '../config/load-topology.js';
import type { CdkDiff } from '../domain/cdk-diff.js';
import { createLogger } from '../log.js';
import { systemClock } from '../ports/clock.js';
import { deployRunnerFor } from '../services/deploy/deploy-runner.js';

function cdkDeploy(stacks: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'deploy', '--require-approval', 'never', '--exclusively', ...stacks], {
      stdio: 'inherit',
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`cdk deploy ${stacks.join(' ')} exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const diffPath = args[args.indexOf('--diff') + 1];
  if (!args.includes('--diff') || !diffPath)
    throw new Error('usage: tsx src/cli/deploy.ts --diff cdk-diff.json [--plan-only]');
  const diff = JSON.parse(readFileSync(diffPath, 'utf8')) as CdkDiff;
  const changed = diff.stacks.filter((s) => s.resources.length > 0).map((s) => s.stack);
  const env = loadEnv();
  const log = createLogger(env.LOG_LEVEL, env.LOG_FORMAT);
  const topology = loadTopology(env.TUNNELOPS_TOPOLOGY);
  const clock = systemClock;
  const clients = awsClientsFromEnv(env);
  const { account } = await createAccount({ env, topology, clock, log, clients });
  const store = await createStore(env, clock, clients);
  const runner = deployRunnerFor({
    topology,
    account,
    store,
    cdkDeploy,
    clock,
    log,
    actor: `github:${process.env.GITHUB_ACTOR ?? 'deploy'}`,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  if (args.includes('--plan-only')) console.log(JSON.stringify(await runner.plan(changed), null, 2));
  else await runner.run(changed);
  await store.close();
  clients.destroy();
}

main().catch((err) => {
  console.error(`deploy: ${(err as Error).message}`);
  process.exit(1);
});
