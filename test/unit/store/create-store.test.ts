import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createStore } from '../../../src/app/create-store.js';
import { AwsClients } from '../../../src/aws/clients.js';
import { DynamoStore } from '../../../src/aws/dynamo-store.js';
import { envSchema } from '../../../src/config/env-schema.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { DYNALITE_CREDENTIALS, type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';

let dynamo: LocalDynamo;
let clients: AwsClients;
let dataDir: string;

beforeAll(async () => {
  dynamo = await startDynalite();
  clients = new AwsClients({ endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS });
  dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-create-store-'));
});

afterAll(async () => {
  clients.destroy();
  await dynamo.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('createStore', () => {
  const clock = new ManualClock();

  it('uses SQLite in the data dir when TUNNELOPS_STORE is unset', async () => {
    const store = await createStore(envSchema.parse({ TUNNELOPS_DATA_DIR: dataDir }), clock);
    expect(store).toBeInstanceOf(SqliteStore);
    await store.close();
  });

  it('uses the DynamoDB table named by TUNNELOPS_STORE=dynamodb:<table>', async () => {
    await DynamoStore.createTable(clients.dynamodb('eu-west-1'), 'tunnelops-state');
    const env = envSchema.parse({ TUNNELOPS_STORE: 'dynamodb:tunnelops-state', AWS_REGION: 'eu-west-1' });
    const store = await createStore(env, clock, clients);
    expect(store).toBeInstanceOf(DynamoStore);
    expect(await store.create('req', 'r1', { state: 'pending' })).toBe(true);
    // The record is really in that table: a second store on it sees it.
    const other = new DynamoStore({
      client: clients.dynamodb('eu-west-1'),
      tableName: 'tunnelops-state',
      clock,
    });
    expect(await other.get('req', 'r1')).toMatchObject({ value: { state: 'pending' }, version: 1 });
    await store.close();
    // A shared factory is not destroyed by the store's close.
    expect(await other.get('req', 'r1')).not.toBeNull();
  });

  it('says how to fix a bad TUNNELOPS_STORE or a missing region', async () => {
    await expect(createStore(envSchema.parse({ TUNNELOPS_STORE: 'redis://x' }), clock)).rejects.toThrow(
      /dynamodb:<table name>/,
    );
    await expect(
      createStore(envSchema.parse({ TUNNELOPS_STORE: 'dynamodb:t1' }), clock),
    ).rejects.toBeInstanceOf(ConfigError);
    await expect(createStore(envSchema.parse({ TUNNELOPS_STORE: 'dynamodb:tbl' }), clock)).rejects.toThrow(
      /AWS_REGION/,
    );
  });
});
