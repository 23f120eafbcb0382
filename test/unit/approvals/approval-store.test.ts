import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DynamoStore } from '../../../src/aws/dynamo-store.js';
import type { ApprovalRequest } from '../../../src/domain/approval.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Store } from '../../../src/ports/store.js';
import { ApprovalStore } from '../../../src/services/approvals/approval-store.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { pendingRequest } from './pending-request.js';

// DynamoDB's wire protocol on loopback (dynalite), fake static credentials: the same tests as SQLite.
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

const adapters: Array<[string, () => Promise<Store>]> = [
  ['SQLite', async () => new SqliteStore({ path: ':memory:' })],
  [
    'DynamoDB (dynalite)',
    async () => {
      const tableName = `approvals-${++tables}`;
      await DynamoStore.createTable(client, tableName);
      return new DynamoStore({ client, tableName });
    },
  ],
];

const req = (id: string, over: Partial<ApprovalRequest> = {}): ApprovalRequest =>
  pendingRequest({ id, ...over });

describe.each(adapters)('ApprovalStore over the %s store', (_name, makeStore) => {
  let store: Store;
  let approvals: ApprovalStore;
  beforeEach(async () => {
    store = await makeStore();
    approvals = new ApprovalStore(store);
  });
  afterEach(async () => {
    await store.close();
  });

  it('one open request per site and action: the second create points at the first', async () => {
    const first = await approvals.create(req('fo-aaaaaa'));
    expect(first.created).toBe(true);
    const second = await approvals.create(req('fo-bbbbbb'));
    expect(second).toEqual({ created: false, existing: expect.objectContaining({ id: 'fo-aaaaaa' }) });
    expect(await approvals.get('fo-bbbbbb')).toBeNull();
    // Another action, or another site, is its own slot.
    expect(
      (await approvals.create(req('rd-cccccc', { action: 'redeploy', tunnel: 'secondary' }))).created,
    ).toBe(true);
    expect((await approvals.create(req('fo-dddddd', { site: 'dc2' }))).created).toBe(true);
  });

  it('many concurrent creates for one slot: exactly one wins, all others point at it', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => approvals.create(req(`fo-r${String(i).padStart(5, 'a')}`))),
    );
    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    const id = winners[0]!.created ? winners[0]!.record.value.id : '';
    expect(results.every((r) => r.created || ('existing' in r && r.existing.id === id))).toBe(true);
  });

  it('compare-and-set: of two writers at the same version exactly one wins', async () => {
    const created = await approvals.create(req('fo-aaaaaa'));
    if (!created.created) throw new Error('not created');
    const v = created.record.version;
    const [a, b] = await Promise.all([
      approvals.compareAndSet(v, { ...created.record.value, state: 'approved', approver: 'UA' }),
      approvals.compareAndSet(v, { ...created.record.value, state: 'approved', approver: 'UB' }),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((await approvals.get('fo-aaaaaa'))?.value.approver).toBe(a ? 'UA' : 'UB');
  });

  it('a final state frees the slot; a slot left behind by a closed request is reclaimed', async () => {
    const created = await approvals.create(req('fo-aaaaaa'));
    if (!created.created) throw new Error('not created');
    expect(
      await approvals.compareAndSet(created.record.version, { ...created.record.value, state: 'cancelled' }),
    ).toBe(true);
    expect(await approvals.openFor('dc1', 'failover')).toBeNull();
    expect((await approvals.create(req('fo-bbbbbb'))).created).toBe(true);

    // A process died between closing fo-bbbbbb and releasing its slot.
    const rec = await approvals.get('fo-bbbbbb');
    await store.compareAndSet('approval', 'fo-bbbbbb', rec!.version, { ...rec!.value, state: 'expired' });
    expect(await store.get('approval-open', 'dc1/failover')).not.toBeNull();
    expect((await approvals.create(req('fo-cccccc'))).created).toBe(true);
    expect((await approvals.listOpen()).map((r) => r.value.id)).toEqual(['fo-cccccc']);
  });

  // Issue 22 item 13: the 5 s sweep listed every approval of the partition, the closed ones kept 30 days too.
  it('lists open requests through their slots, never reading the closed ones', async () => {
    const ids = 'abcdefghjk'.split('').map((c) => `fo-${c.repeat(6)}`);
    for (const id of ids) {
      const made = await approvals.create(req(id));
      if (!made.created) throw new Error('not created');
      await approvals.compareAndSet(made.record.version, { ...made.record.value, state: 'cancelled' });
    }
    expect((await approvals.create(req('fo-mmmmmm'))).created).toBe(true);
    expect((await approvals.create(req('rd-nnnnnn', { action: 'redeploy' }))).created).toBe(true);
    const read: string[] = [];
    const watched = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'list')
          return (ns: string) => {
            read.push(`list ${ns}`);
            return target.list(ns);
          };
        if (prop === 'get')
          return (ns: string, key: string) => {
            read.push(`get ${ns} ${key}`);
            return target.get(ns, key);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
    const open = await new ApprovalStore(watched).listOpen();
    expect(open.map((r) => r.value.id).sort()).toEqual(['fo-mmmmmm', 'rd-nnnnnn']);
    expect(read.filter((r) => r.startsWith('list'))).toEqual(['list approval-open']);
    expect(read.filter((r) => ids.some((id) => r.endsWith(id)))).toEqual([]);
  });
});
