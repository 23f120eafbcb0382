/**
 * One process drawing from the shared EC2 request budget (ec2-request-budget.test.ts): takes `count` tokens of
 * ReplaceRoute from the budget in the SQLite file, one at a time, and prints the epoch ms of every grant.
 * argv: <store path> <count> <size> <refill per second> <start at, epoch ms>
 */
import { StoreRequestBudget } from '../../../src/aws/ec2-request-budget.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/ports/clock.js';

const [path, count, size, refill, startAt] = process.argv.slice(2);
const store = new SqliteStore({ path: path! });
const budget = new StoreRequestBudget({
  store,
  clock: systemClock,
  log: silentLogger(),
  bucketOf: () => ({ size: Number(size), refillPerSecond: Number(refill) }),
  // A loaded machine may take a while for a write; falling back to local pacing would spoil the test.
  storeTimeoutMs: 10_000,
});
const grants: number[] = [];
// Both processes start drawing at the same moment, whatever their start-up took.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
for (let i = 0; i < Number(count); i++) {
  await budget.take('us-east-1', 'ReplaceRoute');
  grants.push(Date.now());
}
await store.close();
console.log(JSON.stringify(grants));
