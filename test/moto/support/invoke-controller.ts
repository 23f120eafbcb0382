/**
 * One "Lambda invocation" in a fresh process: the controller's real `handler` with this process's
 * environment (as Lambda sets it), the event from argv, the result as the last stdout line. A fresh
 * process per site is what two deployed controller functions are: separate cold starts, separate config.
 */
import { handler } from '../../../src/lambda/failover-controller.js';

const result = await handler(JSON.parse(process.argv[2] ?? 'null'));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
