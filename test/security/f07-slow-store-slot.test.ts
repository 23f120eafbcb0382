import { describe, expect, it } from '@jest/globals';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import type { Store } from '../../src/ports/store.js';
import { ApprovalStore } from '../../src/services/approvals/approval-store.js';
import { pendingRequest } from '../unit/approvals/pending-request.js';

// Finding 7: with one store write delayed 150 ms, the open-request slot was taken for stale and two
// requests were created for one site.
function slowRequestWrites(inner: Store, delayMs: number): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'create')
        return async (ns: string, key: string, value: unknown, ttl?: number) => {
          if (ns === 'approval') await new Promise((r) => setTimeout(r, delayMs));
          return target.create(ns, key, value, ttl);
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

describe('finding 7: a slow store write does not make the open slot look stale', () => {
  it('two concurrent requests with a 150 ms write: exactly one is created', async () => {
    const sqlite = new SqliteStore({ path: ':memory:' });
    const store = slowRequestWrites(sqlite, 150);
    const approvals = new ApprovalStore(store);
    try {
      const [a, b] = await Promise.all([
        approvals.create(pendingRequest({ id: 'fo-aaaaaa' })),
        new Promise((r) => setTimeout(r, 10)).then(() =>
          approvals.create(pendingRequest({ id: 'fo-bbbbbb' })),
        ),
      ]);
      expect([a.created, b.created]).toEqual([true, false]);
      expect(b).toEqual({ created: false, existing: expect.objectContaining({ id: 'fo-aaaaaa' }) });
      expect((await sqlite.list('approval')).map((r) => r.key)).toEqual(['fo-aaaaaa']);
    } finally {
      await sqlite.close();
    }
  });
});
