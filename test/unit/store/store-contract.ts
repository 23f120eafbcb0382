import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../../../src/domain/audit.js';
import { HEARTBEAT_NS } from '../../../src/domain/heartbeat.js';
import type { Store } from '../../../src/ports/store.js';
import type { ManualClock } from '../../helpers/fakes/manual-clock.js';

/** A fresh, empty store on a manual clock; `reopen` closes it and opens the same data again. */
export interface StoreHarness {
  store: Store;
  clock: ManualClock;
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
}

const entry = (site: string, event: string, at: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  at,
  site,
  action: 'failover',
  actor: 'UREQUESTER',
  event,
  ...extra,
});

/** The behaviour every Store adapter must share; run by each adapter's test file. */
export function storeContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      h = await makeHarness();
      store = h.store;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    it('creates a record only when absent, starting at version 1', async () => {
      expect(await store.get('req', 'a')).toBeNull();
      expect(await store.create('req', 'a', { state: 'pending', n: [1, 2], s: 'é ✓' })).toBe(true);
      expect(await store.create('req', 'a', { state: 'other' })).toBe(false);
      expect(await store.get('req', 'a')).toEqual({
        value: { state: 'pending', n: [1, 2], s: 'é ✓' },
        version: 1,
        expiresAt: null,
      });
      // Namespaces are separate.
      expect(await store.get('other', 'a')).toBeNull();
    });

    it('lets exactly one of 20 concurrent creates win', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.create('lock', 'site:dc1', { owner: `o${i}` }, 60_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store.get<{ owner: string }>('lock', 'site:dc1'))?.value.owner).toBe(`o${winner}`);
    });

    it('put writes unconditionally and counts versions', async () => {
      expect(await store.put('hb', 'x', { n: 1 })).toBe(1);
      expect(await store.put('hb', 'x', { n: 2 })).toBe(2);
      expect(await store.get('hb', 'x')).toMatchObject({ value: { n: 2 }, version: 2 });
    });

    it('compare-and-set succeeds at the current version and fails when stale or absent', async () => {
      await store.create('req', 'r1', { state: 'pending' });
      expect(await store.compareAndSet('req', 'r1', 1, { state: 'approved' })).toBe(true);
      expect(await store.compareAndSet('req', 'r1', 1, { state: 'denied' })).toBe(false);
      expect(await store.get('req', 'r1')).toMatchObject({ value: { state: 'approved' }, version: 2 });
      expect(await store.compareAndSet('req', 'missing', 1, { state: 'x' })).toBe(false);
      expect(await store.get('req', 'missing')).toBeNull();
    });

    it('stores a compare-and-set and its audit entry together, and a stale one with neither', async () => {
      await store.create('req', 'r1', { state: 'pending' });
      const at = new Date(h.clock.now()).toISOString();
      const approved = entry('dc1', 'approved', at, { requestId: 'r1' });
      expect(await store.compareAndSet('req', 'r1', 1, { state: 'approved' }, undefined, approved)).toBe(
        true,
      );
      const denied = entry('dc1', 'denied', at, { requestId: 'r1' });
      expect(await store.compareAndSet('req', 'r1', 1, { state: 'denied' }, undefined, denied)).toBe(false);
      expect(await store.get('req', 'r1')).toMatchObject({ value: { state: 'approved' }, version: 2 });
      expect(await store.listAudit({ site: 'dc1' })).toEqual([approved]);
      expect(await store.listAudit()).toEqual([approved]);
    });

    it('lets exactly one of 10 concurrent compare-and-sets at one version win', async () => {
      await store.create('req', 'r1', { state: 'pending' });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.compareAndSet('req', 'r1', 1, { state: 'approved', by: i }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get('req', 'r1'))?.version).toBe(2);
    });

    it('treats a record past its TTL as absent everywhere', async () => {
      await store.create('lock', 'site:dc1', { owner: 'dead' }, 1000);
      const start = h.clock.now();
      expect((await store.get('lock', 'site:dc1'))?.expiresAt).toBe(start + 1000);
      h.clock.advance(999);
      expect(await store.get('lock', 'site:dc1')).not.toBeNull();
      expect(await store.create('lock', 'site:dc1', { owner: 'next' }, 1000)).toBe(false);
      h.clock.advance(1);
      expect(await store.get('lock', 'site:dc1')).toBeNull();
      expect(await store.list('lock', { site: 'dc1' })).toEqual([]);
      expect(await store.compareAndSet('lock', 'site:dc1', 1, { owner: 'zombie' })).toBe(false);
      expect(await store.delete('lock', 'site:dc1')).toBe(false);
      // The expired record can be created again, from version 1.
      expect(await store.create('lock', 'site:dc1', { owner: 'next' }, 1000)).toBe(true);
      expect(await store.get('lock', 'site:dc1')).toMatchObject({ value: { owner: 'next' }, version: 1 });
    });

    it('compare-and-set renews the TTL; put on an expired record restarts at version 1', async () => {
      await store.create('lock', 'site:dc2', { n: 1 }, 1000);
      h.clock.advance(800);
      expect(await store.compareAndSet('lock', 'site:dc2', 1, { n: 2 }, 1000)).toBe(true);
      h.clock.advance(800);
      expect(await store.get('lock', 'site:dc2')).toMatchObject({ value: { n: 2 }, version: 2 });
      h.clock.advance(200);
      expect(await store.get('lock', 'site:dc2')).toBeNull();
      expect(await store.put('lock', 'site:dc2', { n: 3 })).toBe(1);
      expect(await store.get('lock', 'site:dc2')).toEqual({ value: { n: 3 }, version: 1, expiresAt: null });
    });

    it('extends and deletes a token record only under its own token, never the next one at the same version', async () => {
      expect(await store.create('lock', 'site:dc1', { owner: 'a' }, 1000, 'token-a')).toBe(true);
      expect(await store.get('lock', 'site:dc1')).toMatchObject({ version: 1, token: 'token-a' });
      h.clock.advance(500);
      expect(await store.extendIfToken('lock', 'site:dc1', 'token-x', 1000)).toBe(false);
      expect(await store.extendIfToken('lock', 'site:dc1', 'token-a', 1000)).toBe(true);
      expect(await store.get('lock', 'site:dc1')).toMatchObject({
        value: { owner: 'a' },
        expiresAt: h.clock.now() + 1000,
        token: 'token-a',
      });
      h.clock.advance(1000);
      // Expired: nothing to extend or delete, and the next holder's record starts at version 1 again.
      expect(await store.extendIfToken('lock', 'site:dc1', 'token-a', 1000)).toBe(false);
      expect(await store.deleteIfToken('lock', 'site:dc1', 'token-a')).toBe(false);
      expect(await store.create('lock', 'site:dc1', { owner: 'b' }, 1000, 'token-b')).toBe(true);
      expect(await store.get('lock', 'site:dc1')).toMatchObject({ version: 1, token: 'token-b' });
      expect(await store.deleteIfToken('lock', 'site:dc1', 'token-a')).toBe(false);
      expect(await store.extendIfToken('lock', 'site:dc1', 'token-a', 1000)).toBe(false);
      expect(await store.get('lock', 'site:dc1')).toMatchObject({ value: { owner: 'b' }, token: 'token-b' });
      expect(await store.deleteIfToken('lock', 'site:dc1', 'token-b')).toBe(true);
      expect(await store.get('lock', 'site:dc1')).toBeNull();
    });

    it('deletes only at the expected version when one is given', async () => {
      await store.create('req', 'r1', { a: 1 });
      await store.compareAndSet('req', 'r1', 1, { a: 2 });
      expect(await store.delete('req', 'r1', 1)).toBe(false);
      expect(await store.get('req', 'r1')).not.toBeNull();
      expect(await store.delete('req', 'r1', 2)).toBe(true);
      expect(await store.get('req', 'r1')).toBeNull();
      expect(await store.delete('req', 'r1')).toBe(false);
      await store.create('req', 'r2', { a: 1 });
      expect(await store.delete('req', 'r2')).toBe(true);
      expect(await store.create('req', 'r2', { a: 3 })).toBe(true);
    });

    it('lists the live records of one namespace ordered by key', async () => {
      for (const key of ['req-b', 'req-a', 'req-c', 'req-a1']) await store.create('req', key, { key });
      await store.create('req', 'req-short', { key: 'short' }, 10);
      await store.create('other', 'req-0', { key: 'other' });
      h.clock.advance(10);
      const listed = await store.list<{ key: string }>('req');
      expect(listed.map((r) => r.key)).toEqual(['req-a', 'req-a1', 'req-b', 'req-c']);
      expect(listed[0]).toEqual({ key: 'req-a', value: { key: 'req-a' }, version: 1, expiresAt: null });
    });

    it('lists a namespace kept per site one site at a time, and refuses to list it whole', async () => {
      for (const key of ['dc1/primary', 'dc1/secondary', 'dc2/primary', 'dc10/primary'])
        await store.put(HEARTBEAT_NS, key, { key }, 60_000);
      const dc1 = await store.list<{ key: string }>(HEARTBEAT_NS, { site: 'dc1' });
      expect(dc1.map((r) => r.key)).toEqual(['dc1/primary', 'dc1/secondary']);
      expect((await store.list(HEARTBEAT_NS, { site: 'dc10' })).map((r) => r.key)).toEqual(['dc10/primary']);
      await expect(store.list(HEARTBEAT_NS)).rejects.toThrow(/kept per site/);
      await expect(store.list('req', { site: 'dc1' })).rejects.toThrow(/not kept per site/);
    });

    it('reads many keys of a namespace in one call, every site of it, leaving out absent and expired ones', async () => {
      const keys = Array.from({ length: 250 }, (_, i) => `site${i}/${i % 2 ? 'secondary' : 'primary'}`);
      for (const key of keys) await store.put(HEARTBEAT_NS, key, { key }, 60_000);
      await store.put(HEARTBEAT_NS, 'site0/primary', { key: 'site0/primary', again: true }, 60_000);
      await store.put(HEARTBEAT_NS, 'old/primary', { key: 'old' }, 10);
      h.clock.advance(10);
      const many = await store.getMany<{ key: string }>(HEARTBEAT_NS, [
        ...keys,
        'old/primary',
        'none/primary',
      ]);
      expect(many.size).toBe(250);
      expect(many.get('site0/primary')).toMatchObject({ value: { again: true }, version: 2 });
      expect(many.get('site249/secondary')?.value).toEqual({ key: 'site249/secondary' });
      expect(many.has('old/primary')).toBe(false);
      expect(many.has('none/primary')).toBe(false);
      expect((await store.getMany('req', [])).size).toBe(0);
    });

    it('lists a fleet-listed site namespace (the outbox) for every site at once, and no other', async () => {
      await store.create('outbox', 'dc1/2026-01-15T09:00:00.000Z-aa', { n: 1 }, 60_000);
      await store.create('outbox', 'dc2/2026-01-15T09:00:00.000Z-bb', { n: 2 }, 60_000);
      await store.create('outbox', 'dc2/2026-01-15T09:00:01.000Z-cc', { n: 3 }, 10);
      h.clock.advance(10);
      const claimed = (await store.listAllSites<{ n: number }>('outbox')).find((r) => r.value.n === 1)!;
      expect(
        await store.compareAndSet('outbox', claimed.key, claimed.version, { n: 1, claimed: true }, 60_000),
      ).toBe(true);
      const all = await store.listAllSites<{ n: number }>('outbox');
      expect(all.map((r) => r.key).sort()).toEqual([
        'dc1/2026-01-15T09:00:00.000Z-aa',
        'dc2/2026-01-15T09:00:00.000Z-bb',
      ]);
      await expect(store.listAllSites(HEARTBEAT_NS)).rejects.toThrow(/not listed across sites/);
      await expect(store.listAllSites('req')).rejects.toThrow(/not listed across sites/);
    });

    it('keeps the audit log in append order, per site, with limit = most recent N', async () => {
      const times = ['2026-01-15T09:00:00.000Z', '2026-01-15T09:00:01.000Z'];
      await store.appendAudit(
        entry('dc1', 'started', times[0]!, { requestId: 'r1', detail: { to: 'secondary' } }),
      );
      await store.appendAudit(entry('dc2', 'started', times[0]!));
      // Same clock instant for the next entries: order must still be the append order.
      await store.appendAudit(
        entry('dc1', 'routes-changed', times[1]!, { detail: { cidr: '10.20.0.0/16' } }),
      );
      await store.appendAudit(
        entry('dc1', 'routes-changed', times[1]!, { detail: { cidr: '10.21.0.0/16' } }),
      );
      h.clock.advance(5);
      await store.appendAudit(entry('dc1', 'succeeded', times[1]!));

      const all = await store.listAudit();
      expect(all.map((e) => `${e.site}:${e.event}`)).toEqual([
        'dc1:started',
        'dc2:started',
        'dc1:routes-changed',
        'dc1:routes-changed',
        'dc1:succeeded',
      ]);
      expect(all[0]).toEqual(
        entry('dc1', 'started', times[0]!, { requestId: 'r1', detail: { to: 'secondary' } }),
      );
      const dc1 = await store.listAudit({ site: 'dc1' });
      expect(dc1.map((e) => e.event)).toEqual(['started', 'routes-changed', 'routes-changed', 'succeeded']);
      expect(dc1.map((e) => e.detail?.cidr ?? null)).toEqual([null, '10.20.0.0/16', '10.21.0.0/16', null]);
      const last2 = await store.listAudit({ site: 'dc1', limit: 2 });
      expect(last2.map((e) => `${e.event}:${String(e.detail?.cidr ?? '')}`)).toEqual([
        'routes-changed:10.21.0.0/16',
        'succeeded:',
      ]);
      expect((await store.listAudit({ limit: 3 })).map((e) => e.event)).toEqual([
        'routes-changed',
        'routes-changed',
        'succeeded',
      ]);
      expect(await store.listAudit({ limit: 100 })).toHaveLength(5);
      expect(await store.listAudit({ site: 'nowhere' })).toEqual([]);
    });

    it('returns a long audit log completely and in order', async () => {
      for (let i = 0; i < 120; i++) {
        await store.appendAudit(entry('dc1', `e${i}`, new Date(h.clock.now()).toISOString()));
        if (i % 7 === 0) h.clock.advance(1);
      }
      const events = (await store.listAudit({ site: 'dc1' })).map((e) => e.event);
      expect(events).toEqual(Array.from({ length: 120 }, (_, i) => `e${i}`));
      expect((await store.listAudit({ limit: 50 })).map((e) => e.event)).toEqual(events.slice(70));
    });

    it('keeps records and audit across a reopen of the same data', async () => {
      await store.create('req', 'r1', { state: 'pending' }, 60_000);
      await store.compareAndSet('req', 'r1', 1, { state: 'approved' }, 60_000);
      await store.appendAudit(entry('dc1', 'approved', new Date(h.clock.now()).toISOString()));
      store = await h.reopen();
      expect(await store.get('req', 'r1')).toEqual({
        value: { state: 'approved' },
        version: 2,
        expiresAt: h.clock.now() + 60_000,
      });
      expect((await store.listAudit()).map((e) => e.event)).toEqual(['approved']);
    });

    describe('advance (a shared number moved in one write: the EC2 budget)', () => {
      const req = (floor: number, over: Partial<Parameters<Store['advance']>[2]> = {}) => ({
        floor,
        increment: 200,
        ceiling: floor + 10_000,
        replaceAbove: floor + 20_000,
        ttlMs: 60_000,
        ...over,
      });

      it('starts from the floor, adds to what is stored, and never goes back behind the floor', async () => {
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
        // A stored number behind the floor (the bucket refilled) counts as the floor.
        expect(await store.advance('ec2-budget', 'r:A', req(5000))).toEqual({
          advanced: true,
          value: 5200,
          replaced: false,
        });
        expect((await store.get<{ n: number }>('ec2-budget', 'r:A'))?.value).toEqual({ n: 5200 });
        expect((await store.list<{ n: number }>('ec2-budget')).map((r) => r.value.n)).toEqual([5200]);
      });

      it('writes nothing above the ceiling and says what is stored', async () => {
        await store.advance('ec2-budget', 'r:A', req(1000, { increment: 9000 }));
        const before = await store.get('ec2-budget', 'r:A');
        expect(await store.advance('ec2-budget', 'r:A', req(1000, { ceiling: 9000 }))).toEqual({
          advanced: false,
          stored: 10_000,
        });
        expect(await store.get('ec2-budget', 'r:A')).toEqual(before);
      });

      it('replaces a number past replaceAbove, or a value that is not one, from the floor', async () => {
        await store.advance(
          'ec2-budget',
          'r:A',
          req(1000, { increment: 50_000, ceiling: 1e9, replaceAbove: 1e9 }),
        );
        expect(await store.advance('ec2-budget', 'r:A', req(1000))).toEqual({
          advanced: true,
          value: 1200,
          replaced: true,
        });
        // Replaced even when under the ceiling.
        expect(
          await store.advance('ec2-budget', 'r:A', req(0, { ceiling: 10_000, replaceAbove: 1000 })),
        ).toEqual({
          advanced: true,
          value: 200,
          replaced: true,
        });
        await store.put('ec2-budget', 'r:B', { tat: 'soon' }, 60_000);
        expect(await store.advance('ec2-budget', 'r:B', req(1000))).toEqual({
          advanced: true,
          value: 1200,
          replaced: true,
        });
      });

      it('counts an expired record as absent', async () => {
        await store.advance('ec2-budget', 'r:A', req(1000, { ttlMs: 1000 }));
        h.clock.advance(2000);
        expect(await store.advance('ec2-budget', 'r:A', req(1000))).toEqual({
          advanced: true,
          value: 1200,
          replaced: false,
        });
      });

      it('serves 20 concurrent advances each with a number of its own', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.advance('ec2-budget', 'r:A', req(1000))),
        );
        const values = results.map((r) => (r.advanced ? r.value : Number.NaN)).sort((a, b) => a - b);
        expect(values).toEqual(Array.from({ length: 20 }, (_, i) => 1000 + (i + 1) * 200));
      });
    });
  });
}
