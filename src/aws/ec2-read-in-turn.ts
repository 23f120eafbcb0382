import { isThrottled, type RequestBudget } from './ec2-request-budget.js';

/**
 * An EC2 read in its turn of the budget; with a budget, a throttled read waits for another turn (up to 30 s)
 * rather than failing: a failed read after the routes moved would make the run roll back what it just did.
 */
export async function readInTurn<T>(
  budget: RequestBudget | undefined,
  region: string,
  api: string,
  call: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  for (let throttled = false; ; throttled = true) {
    await budget?.take(region, api, 1, { afterThrottle: throttled });
    try {
      return await call();
    } catch (err) {
      if (!budget || !isThrottled(err) || Date.now() - started > 30_000) throw err;
    }
  }
}
