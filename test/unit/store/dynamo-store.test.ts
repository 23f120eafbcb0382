import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import dynalite from 'dynalite';
import { DynamoStore } from '../../../src/aws/dynamo-store.js';
import { AUDIT_RETENTION_MS } from '../../../src/domain/audit.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { storeContract } from './store-contract.js';

// A real DynamoDB wire protocol on loopback: dynalite (in-memory LevelDB), fake static credentials.
let server: Server;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-for-dynalite' },
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

storeContract('DynamoDB (dynalite)', async () => {
  const tableName = `tunnelops-test-${++tables}`;
  await DynamoStore.createTable(client, tableName);
  const clock = new ManualClock();
  return {
    store: new DynamoStore({ client, tableName, clock }),
    clock,
    // Another store on the same table: what a second process or a restarted one sees.
    async reopen() {
      return new DynamoStore({ client, tableName, clock });
    },
    async cleanup() {},
  };
});

describe('DynamoStore table layout', () => {
  it('creates a pk/sk on-demand table and writes the TTL attribute in epoch seconds', async () => {
    const tableName = 'tunnelops-layout';
    await DynamoStore.createTable(client, tableName);
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const clock = new ManualClock(Date.parse('2026-01-15T09:00:00.500Z'));
    const store = new DynamoStore({ client, tableName, clock });
    await store.create('lock', 'site:dc1', { owner: 'x' }, 30_000);
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const raw = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'rec#lock' }, sk: { S: 'site:dc1' } } }),
    );
    expect(raw.Item?.ttl).toEqual({ N: String(Math.ceil((clock.now() + 30_000) / 1000)) });
    expect(raw.Item?.expiresAt).toEqual({ N: String(clock.now() + 30_000) });
    expect(raw.Item?.version).toEqual({ N: '1' });
  });

  it('gives every audit copy a TTL of the audit retention (a year), so DynamoDB drops old entries', async () => {
    const tableName = 'tunnelops-audit-ttl';
    await DynamoStore.createTable(client, tableName);
    const clock = new ManualClock(Date.parse('2026-01-15T09:00:00.500Z'));
    const store = new DynamoStore({ client, tableName, clock });
    await store.appendAudit({
      at: new Date(clock.now()).toISOString(),
      site: 'dc1',
      action: 'failover',
      actor: 'U1',
      event: 'started',
    });
    const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const items = (await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    expect(items.map((i) => i.pk?.S).sort()).toEqual(['audit#all', 'audit#site#dc1']);
    const ttl = String(Math.ceil((clock.now() + AUDIT_RETENTION_MS) / 1000));
    expect(items.map((i) => i.ttl)).toEqual([{ N: ttl }, { N: ttl }]);
  });
});
