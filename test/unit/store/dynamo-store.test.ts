import {
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoStore } from '../../../src/aws/dynamo-store.js';
import { sharedRecordPartition } from '../../../src/aws/dynamo-table.js';
import { EC2_BUDGET_NS, StoreRequestBudget } from '../../../src/aws/ec2-request-budget.js';
import { AUDIT_RETENTION_MS } from '../../../src/domain/audit.js';
import { HEARTBEAT_NS } from '../../../src/domain/heartbeat.js';
import { silentLogger } from '../../../src/log.js';
import { RouteEpochs } from '../../../src/services/failover/route-epoch.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { storeContract } from './store-contract.js';

// A real DynamoDB wire protocol on loopback: dynalite (in-memory LevelDB), fake static credentials.
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.client;
});

afterAll(async () => {
  await dynamo.stop();
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
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'site#dc1#lock' }, sk: { S: 'site:dc1' } },
      }),
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
    const items = (await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [];
    expect(items.map((i) => i.pk?.S).sort()).toEqual(['audit#site#dc1']);
    const ttl = String(Math.ceil((clock.now() + AUDIT_RETENTION_MS) / 1000));
    expect(items.map((i) => i.ttl)).toEqual([{ N: ttl }]);
  });

  it("keeps each site's records and audit in partitions that start with the site (what IAM LeadingKeys fences)", async () => {
    const tableName = 'tunnelops-site-partitions';
    await DynamoStore.createTable(client, tableName);
    const clock = new ManualClock(Date.parse('2026-01-15T09:00:00.000Z'));
    const store = new DynamoStore({ client, tableName, clock });
    await store.put(HEARTBEAT_NS, 'dc1/primary', { health: 'up' }, 60_000);
    await store.create('lock', 'site:dc1', { owner: 'x' }, 10_000);
    await store.create('controller-notice', 'dc1', { signature: 's' }, 60_000);
    await store.create('failover-runs', 'dc1', [], 60_000);
    expect(await new RouteEpochs(store).advance('dc1')).toBe(1);
    await store.create('approval', 'fo-1', { site: 'dc1' });
    await store.appendAudit({
      at: '2026-01-15T09:00:00.000Z',
      site: 'dc1',
      action: 'failover',
      actor: 'a',
      event: 'x',
    });
    const scan = await client.send(new ScanCommand({ TableName: tableName }));
    const pks = (scan.Items ?? []).map((i) => i.pk?.S).sort();
    expect(pks).toEqual([
      'audit#site#dc1',
      'rec#approval',
      'site#dc1#controller-notice',
      'site#dc1#failover-runs',
      'site#dc1#heartbeat',
      'site#dc1#lock',
      'site#dc1#route-epoch',
    ]);
    // A key of a site namespace that names no site is refused rather than written somewhere shared.
    await expect(store.put(HEARTBEAT_NS, 'no-site-here', {})).rejects.toThrow(/names no site/);
  });

  it('keeps the EC2 request budget in its one shared partition (what infra grants server hosts besides their site)', async () => {
    const tableName = 'tunnelops-budget-partition';
    await DynamoStore.createTable(client, tableName);
    const clock = new ManualClock(Date.parse('2026-01-15T09:00:00.000Z'));
    const store = new DynamoStore({ client, tableName, clock });
    const budget = new StoreRequestBudget({ store, clock, log: silentLogger(), sleep: async () => {} });
    await budget.take('eu-west-1', 'ReplaceRoute', 2);
    await budget.take('eu-west-1', 'DescribeRouteTables');
    const scan = await client.send(new ScanCommand({ TableName: tableName }));
    expect(new Set((scan.Items ?? []).map((i) => i.pk?.S))).toEqual(
      new Set([sharedRecordPartition(EC2_BUDGET_NS)]),
    );
    expect(scan.Items).toHaveLength(2);
  });

  it("lists all sites' audit through the feed index, merged in time order with entries written before it", async () => {
    const tableName = 'tunnelops-audit-feed';
    await DynamoStore.createTable(client, tableName);
    const clock = new ManualClock(Date.parse('2026-01-15T09:00:10.000Z'));
    const store = new DynamoStore({ client, tableName, clock });
    // Two entries as the store wrote them before the feed index: copies under audit#all and the site.
    const legacy = (at: string, site: string, event: string) => {
      const entry = JSON.stringify({ at, site, action: 'failover', actor: 'old', event });
      const sk = `${at}#000000000001#00000000`;
      return Promise.all(
        ['audit#all', `audit#site#${site}`].map((pk) =>
          client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: { pk: { S: pk }, sk: { S: sk }, entry: { S: entry } },
            }),
          ),
        ),
      );
    };
    await legacy('2026-01-15T09:00:00.000Z', 'dc1', 'old-1');
    await legacy('2026-01-15T09:00:20.000Z', 'dc2', 'old-3');
    await store.appendAudit({
      at: '2026-01-15T09:00:10.000Z',
      site: 'dc2',
      action: 'failover',
      actor: 'new',
      event: 'new-2',
    });
    clock.advance(20_000);
    await store.appendAudit({
      at: '2026-01-15T09:00:30.000Z',
      site: 'dc1',
      action: 'failover',
      actor: 'new',
      event: 'new-4',
    });
    expect((await store.listAudit()).map((e) => e.event)).toEqual(['old-1', 'new-2', 'old-3', 'new-4']);
    expect((await store.listAudit({ limit: 3 })).map((e) => e.event)).toEqual(['new-2', 'old-3', 'new-4']);
    expect((await store.listAudit({ site: 'dc1' })).map((e) => e.event)).toEqual(['old-1', 'new-4']);
    const first = await store.pageAudit({ limit: 2 });
    expect(first.entries.map((e) => e.event)).toEqual(['new-4', 'old-3']);
    const second = await store.pageAudit({ limit: 2, before: first.next! });
    expect(second.entries.map((e) => e.event)).toEqual(['new-2', 'old-1']);
    expect(second.next).toBeNull();
  });
});
