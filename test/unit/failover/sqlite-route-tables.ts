import { ok } from '../../../src/domain/outcome.js';
import type { SqliteDb } from '../../../src/local/sqlite-db.js';
import type { RouteTables } from '../../../src/ports/route-tables.js';

/**
 * Route tables in a SQLite file shared by test processes (standing in for EC2): table `routes` (rtb, cidr,
 * tunnel) and a log of every ReplaceRoute in `replaces` (pid, rtb, cidr, tunnel). Hooks let a process order
 * itself against others (before its reads, before a write lands, after it landed).
 */
export function sqliteRouteTables(
  db: SqliteDb,
  hooks: {
    beforeObserve?: () => Promise<void>;
    beforeReplace?: () => Promise<void>;
    afterReplace?: () => Promise<void>;
  } = {},
): RouteTables {
  return {
    async observe(sites) {
      await hooks.beforeObserve?.();
      const rows = db.prepare('SELECT rtb, cidr, tunnel FROM routes').all() as Array<{
        rtb: string;
        cidr: string;
        tunnel: string;
      }>;
      return new Map(
        sites.map((s) => [
          s.name,
          ok(
            rows.map((r) => ({
              routeTableId: r.rtb,
              cidr: r.cidr,
              tunnel: r.tunnel,
              target: r.tunnel,
              blackhole: false,
              missing: false,
            })),
          ),
        ]),
      );
    },
    async replace(_site, rtb, cidr, tunnel) {
      await hooks.beforeReplace?.();
      db.prepare('UPDATE routes SET tunnel = ? WHERE rtb = ? AND cidr = ?').run(tunnel, rtb, cidr);
      db.prepare('INSERT INTO replaces (pid, rtb, cidr, tunnel) VALUES (?, ?, ?, ?)').run(
        process.pid,
        rtb,
        cidr,
        tunnel,
      );
      await hooks.afterReplace?.();
    },
    async create() {
      throw new Error('every route exists in these tests');
    },
  };
}
