import { join } from 'node:path';
import { type AwsClients, awsClientsFromEnv } from '../aws/clients.js';
import { DynamoStore } from '../aws/dynamo-store.js';
import type { Env } from '../config/env-schema.js';
import { ConfigError } from '../domain/errors.js';
import { SqliteStore } from '../local/sqlite-store.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';

const DYNAMO = /^dynamodb:([A-Za-z0-9_.-]{3,255})$/;

/** SQLite in the data dir by default; DynamoDB when TUNNELOPS_STORE=dynamodb:<table>. */
export async function createStore(env: Env, clock: Clock, clients?: AwsClients): Promise<Store> {
  const spec = env.TUNNELOPS_STORE;
  if (spec === undefined || spec === 'sqlite') {
    return new SqliteStore({ path: join(env.TUNNELOPS_DATA_DIR, 'tunnelops.sqlite'), clock });
  }
  const table = DYNAMO.exec(spec)?.[1];
  if (!table) {
    throw new ConfigError(
      `TUNNELOPS_STORE="${spec}" is not understood: use "dynamodb:<table name>" (letters, digits, _ . -), or leave it unset for SQLite in TUNNELOPS_DATA_DIR`,
    );
  }
  if (!env.AWS_REGION) {
    throw new ConfigError(`TUNNELOPS_STORE=${spec} needs AWS_REGION (the region of the DynamoDB table)`);
  }
  // Our own factory unless one is shared in: then the store must not close the caller's clients.
  const owned = clients ? undefined : awsClientsFromEnv(env);
  const client = (clients ?? owned)!.dynamodb(env.AWS_REGION);
  return new DynamoStore({ client, tableName: table, clock, onClose: () => owned?.destroy() });
}
