import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Store } from '../../../src/ports/store.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelops-store-'));
  const path = join(dir, 'tunnelops.sqlite');
  const clock = new ManualClock();
  let current: Store = new SqliteStore({ path, clock });
  return {
    store: current,
    clock,
    // A new connection to the same file, as after a restart of the app.
    async reopen() {
      await current.close();
      current = new SqliteStore({ path, clock });
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
