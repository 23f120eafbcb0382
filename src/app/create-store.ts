import { join } from 'node:path';
import type { Env } from '../config/env-schema.js';
import { SqliteStore } from '../local/sqlite-store.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';

/** SQLite in the data dir by default; DynamoDB when TUNNELOPS_STORE=dynamodb:<table>. */
export async function createStore(env: Env, clock: Clock): Promise<Store> {
  return new SqliteStore({ path: join(env.TUNNELOPS_DATA_DIR, 'tunnelops.sqlite'), clock });
}
