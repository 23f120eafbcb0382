import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoStore } from '../../../src/aws/dynamo-store.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Liveness, LivenessAddress, ProcessLiveness } from '../../../src/ports/liveness.js';
import type { Store } from '../../../src/ports/store.js';
import { keepSiteLease, LeaseLost } from '../../../src/services/execution/lease-keeper.js';
import { type Lease, SiteLock } from '../../../src/services/execution/site-lock.js';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';

/**
 * Issue 22, finding 1: the lease ABA. Every lease used to be created at version 1 and a dead holder's lease was
 * broken by a delete conditioned on the version alone, so a breaker that had read dead A's lease could delete
 * the next holder C's fresh one, and D then acquired while C still believed it held: two route writers.
 * These tests force that interleaving with a gated `store.get`, on both stores.
 */

const at = (instance: string): LivenessAddress => ({ host: '127.0.0.1', port: 7406, instance });

/** A is the dead holder (its process is gone); every other holder answers. */
const livenessWhereOnlyADied: ProcessLiveness = {
  async check(addr): Promise<Liveness> {
    return addr.instance === 'A' ? 'dead' : 'alive';
  },
  async watch() {},
};

/** The store as B sees it: B's next read of the lease happens at once, but its answer is held until `open()`. */
function gatedReads(inner: Store) {
  let reached!: () => void;
  const readDone = new Promise<void>((r) => {
    reached = r;
  });
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'get')
        return async (ns: string, key: string) => {
          const answer = await target.get(ns, key);
          reached();
          await gate;
          return answer;
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Store;
  return { store, readDone, open };
}

/** A fresh store on `clock`; `other(clock)` is a second process on the same data with its own clock. */
type StoreFactory = (
  clock: ManualClock,
) => Promise<{ store: Store; other(clock: ManualClock): Promise<Store>; cleanup(): Promise<void> }>;

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

const stores: Array<[string, StoreFactory]> = [
  [
    'SQLite',
    async (clock) => {
      const dir = mkdtempSync(join(tmpdir(), 'tunnelops-aba-'));
      const path = join(dir, 'state.sqlite');
      const opened: Store[] = [];
      const open = (c: ManualClock): Store => {
        const s = new SqliteStore({ path, clock: c });
        opened.push(s);
        return s;
      };
      return {
        store: open(clock),
        other: async (c) => open(c),
        async cleanup() {
          for (const s of opened) await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'DynamoDB (dynalite)',
    async (clock) => {
      const tableName = `tunnelops-aba-${++tables}`;
      await DynamoStore.createTable(client, tableName);
      return {
        store: new DynamoStore({ client, tableName, clock }),
        other: async (c) => new DynamoStore({ client, tableName, clock: c }),
        async cleanup() {},
      };
    },
  ],
];

describe.each(stores)('lease ABA on the %s store', (_name, makeStore) => {
  it('a breaker that read dead A’s lease cannot delete C’s, so D cannot acquire while C holds', async () => {
    const clock = new ManualClock();
    const h = await makeStore(clock);
    const store = h.store;
    const lockFor = (s: Store) => new SiteLock({ store: s, clock, liveness: livenessWhereOnlyADied });
    const lock = lockFor(store);

    // A holds, then its process dies (the liveness check says so).
    expect(await lock.acquire('dc1', 'A', 10_000, 'failover', at('A'))).not.toBeNull();

    // B starts breaking A's lease: it has read A's lease, and its answer is held at the gate.
    const gated = gatedReads(store);
    const bBreaks = lockFor(gated.store).breakIfDead('dc1');
    await gated.readDone;

    // Meanwhile C breaks A's lease itself and acquires: a fresh lease, at the same store version as A's was.
    const c = await lock.acquire('dc1', 'C', 10_000, 'failover', at('C'));
    expect(c).not.toBeNull();
    expect((await store.get('lock', 'site:dc1'))?.version).toBe(1);

    // B goes on with what it read (A's lease; A is dead) and tries to break it; then D tries to acquire while C
    // believes it holds. Two route writers would be C and D both believing they hold the site.
    gated.open();
    const bBroke = await bBreaks;
    const d = await lock.acquire('dc1', 'D', 10_000, 'failover', at('D'));
    const believers = [c, d].filter((l): l is Lease => l !== null).map((l) => l.owner);
    expect(believers).toEqual(['C']);
    expect(bBroke).toBe(false);
    expect(await lock.stillHeld(c as Lease)).toBe(true);

    // C's writer re-checks before each route call and goes on; its lease renews under its token.
    const keeper = keepSiteLease({ lock, lease: c as Lease, ttlMs: 10_000, clock, log: silentLogger() });
    try {
      await expect(keeper.confirmHeld()).resolves.toBeUndefined();
    } finally {
      keeper.stop();
    }
    expect(await lock.renew(c as Lease, 10_000)).not.toBeNull();
    await h.cleanup();
  });

  it('a writer whose lease was taken from under it stops before its next route call', async () => {
    const clock = new ManualClock();
    const h = await makeStore(clock);
    const store = h.store;
    const lock = new SiteLock({ store, clock, liveness: livenessWhereOnlyADied });
    const c = (await lock.acquire('dc1', 'C', 10_000, 'failover', at('C'))) as Lease;
    const keeper = keepSiteLease({ lock, lease: c, ttlMs: 10_000, clock, log: silentLogger() });
    try {
      const signal = keeper.callSignal();
      await keeper.confirmHeld();
      clock.advance(500); // past the window in which a just-confirmed lease is not read again
      // Another process, its clock 10 s ahead, sees C's lease expired and takes the site (what no token
      // can prevent: only C's own re-check can stop C).
      const skewed = new ManualClock(clock.now() + 10_000);
      const other = new SiteLock({ store: await h.other(skewed), clock: skewed });
      expect(await other.acquire('dc1', 'D', 10_000, 'failover')).not.toBeNull();
      await expect(keeper.confirmHeld()).rejects.toBeInstanceOf(LeaseLost);
      expect(keeper.lost).toBe(true);
      // A call already in flight with the earlier signal is told to stop (no SDK retry goes out).
      expect(signal.aborted).toBe(true);
      expect(() => keeper.assertHeld()).toThrow(LeaseLost);
    } finally {
      keeper.stop();
    }
    await h.cleanup();
  });
});
