/**
 * DynamoStore on moto's DynamoDB, which (unlike dynalite) has TransactWriteItems: a state change and its audit
 * entry are written together or not at all; an entry lives once, in its site's partition, and the all-sites view
 * is the audit-feed index. The store contract runs on dynalite, not here:
 * moto's conditional writes are not atomic under concurrent requests (two of ten racing compare-and-sets win).
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { ManualClock } from '../helpers/fakes/manual-clock.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { type MotoServer, startMoto } from './support/moto-server.js';
import { type MotoClients, motoClients } from './support/site-world.js';

describeWithMoto('DynamoStore on moto', () => {
  let moto: MotoServer;
  let c: MotoClients;

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
  }, 30_000);

  afterAll(async () => {
    c?.destroy();
    await moto?.stop();
  });

  it("writes an audit entry once, in its site's partition, shown by the all-sites feed; a clash writes nothing", async () => {
    const tableName = 'tunnelops-moto-atomic';
    await DynamoStore.createTable(c.dynamodb, tableName);
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.000Z'));
    const store = new DynamoStore({ client: c.dynamodb, tableName, clock });
    const entry = (event: string) => ({
      at: new Date(clock.now()).toISOString(),
      site: 'dc1',
      action: 'failover',
      actor: 'U1',
      event,
    });
    await store.appendAudit(entry('requested'));
    const keys = async (pk: string) =>
      (
        await c.dynamodb.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk } },
          }),
        )
      ).Items?.map((i) => i.sk?.S) ?? [];
    const [first] = await keys('audit#site#dc1');
    expect(first).toBeDefined();
    // No all-sites copy (a server host may not write one): the feed index shows it.
    expect(await keys('audit#all')).toEqual([]);
    expect((await store.listAudit()).map((e) => e.event)).toEqual(['requested']);
    // Something already sits where the next entry's site copy goes (same time, next sequence, same writer).
    const nextSk = first!.replace('#000000000001#', '#000000000002#');
    await c.dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'audit#site#dc1' }, sk: { S: nextSk }, entry: { S: '{"event":"squatter"}' } },
      }),
    );

    await expect(store.appendAudit(entry('approved'))).rejects.toThrow();
    // The squatter was not overwritten, and nothing reached the feed.
    expect((await store.listAudit({ site: 'dc1' })).map((e) => e.event)).toEqual(['requested', 'squatter']);
    expect((await store.listAudit()).map((e) => e.event)).toEqual(['requested']);
  }, 30_000);

  it('stores a state change with its audit entry in one transaction: an audit clash leaves the record as it was', async () => {
    const tableName = 'tunnelops-moto-cas-audit';
    await DynamoStore.createTable(c.dynamodb, tableName);
    const clock = new ManualClock(Date.parse('2026-03-01T11:00:00.000Z'));
    const store = new DynamoStore({ client: c.dynamodb, tableName, clock });
    const at = new Date(clock.now()).toISOString();
    const audit = (event: string) => ({
      at,
      site: 'dc1',
      action: 'failover',
      actor: 'U2',
      event,
      requestId: 'fo-1',
    });
    await store.create('approval', 'fo-1', { state: 'pending' });
    await store.appendAudit(audit('requested'));
    const [first] = (
      await c.dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'audit#site#dc1' } },
        }),
      )
    ).Items!.map((i) => i.sk!.S!);
    await c.dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: 'audit#site#dc1' },
          sk: { S: first!.replace('#000000000001#', '#000000000002#') },
          entry: { S: '{"event":"squatter"}' },
        },
      }),
    );

    await expect(
      store.compareAndSet('approval', 'fo-1', 1, { state: 'approved' }, undefined, audit('approved')),
    ).rejects.toThrow();
    expect(await store.get('approval', 'fo-1')).toMatchObject({ value: { state: 'pending' }, version: 1 });
    expect((await store.listAudit()).map((e) => e.event)).toEqual(['requested']);

    // Next sort key is free: the change and its entry land together; a stale change writes neither.
    expect(
      await store.compareAndSet('approval', 'fo-1', 1, { state: 'approved' }, undefined, audit('approved')),
    ).toBe(true);
    expect(
      await store.compareAndSet('approval', 'fo-1', 1, { state: 'denied' }, undefined, audit('denied')),
    ).toBe(false);
    expect(await store.get('approval', 'fo-1')).toMatchObject({ value: { state: 'approved' }, version: 2 });
    expect((await store.listAudit()).map((e) => e.event)).toEqual(['requested', 'approved']);
  }, 30_000);
  it('advances the EC2 budget number by its write conditions (sequential: moto is not atomic under races)', async () => {
    const tableName = 'tunnelops-moto-advance';
    await DynamoStore.createTable(c.dynamodb, tableName);
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.000Z'));
    const store = new DynamoStore({ client: c.dynamodb, tableName, clock });
    const req = (floor: number, ceiling = floor + 10_000) => ({
      floor,
      increment: 200,
      ceiling,
      replaceAbove: floor + 20_000,
      ttlMs: 60_000,
    });
    expect(await store.advance('ec2-budget', 'r:A', req(1000))).toEqual({
      advanced: true,
      value: 1200,
      replaced: false,
    });
    expect(await store.advance('ec2-budget', 'r:A', req(1000))).toEqual({
      advanced: true,
      value: 1400,
      replaced: false,
    });
    expect(await store.advance('ec2-budget', 'r:A', req(5000))).toEqual({
      advanced: true,
      value: 5200,
      replaced: false,
    });
    expect(await store.advance('ec2-budget', 'r:A', req(0, 100))).toEqual({ advanced: false, stored: 5200 });
    expect(await store.advance('ec2-budget', 'r:A', { ...req(0), replaceAbove: 1000 })).toEqual({
      advanced: true,
      value: 200,
      replaced: true,
    });
    expect((await store.get<{ n: number }>('ec2-budget', 'r:A'))?.value).toEqual({ n: 200 });
  });
});
