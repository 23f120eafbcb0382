import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Topology } from '../../../src/config/topology-schema.js';
import type { HandlerResult } from '../../../src/lambda/controller-handler.js';
import { MOTO_CREDENTIALS, MOTO_REGION } from './moto-server.js';

const run = promisify(execFile);

/**
 * The environment of a process of ours running "in AWS" against moto: this machine's variables minus anything
 * AWS/Slack/tunnelops (a developer's real credentials must never reach these processes), plus moto's endpoint,
 * dummy credentials and the shared state table.
 */
export function awsProcessEnv(
  endpoint: string,
  tableName: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(AWS_|SLACK_|WEBHOOK_SECRET|TUNNELOPS_|NODE_OPTIONS)/.test(k),
    ),
  );
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    // The SDK must not look for a profile or an instance role on this machine.
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    TUNNELOPS_STORE: `dynamodb:${tableName}`,
    LOG_LEVEL: 'warn' as const,
    // app.ts reads ./.env: a developer's own settings must not reach these processes either.
    TUNNELOPS_ENV_FILE: '',
    ...extra,
  };
}

/** One cold start + invocation of the controller Lambda's `handler` in its own process (one per function). */
export async function invokeController(env: NodeJS.ProcessEnv, topology: Topology, event: unknown) {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'test/moto/support/invoke-controller.ts', JSON.stringify(event)],
    { env: { ...env, TUNNELOPS_TOPOLOGY_JSON: JSON.stringify(topology) }, timeout: 30_000 },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as HandlerResult;
}
