import { describe } from '@jest/globals';
import { findMotoServer, MOTO_MISSING as MISSING } from './moto-server.js';

/**
 * `describe` for a suite that needs moto_server. In CI (CI set) a missing moto_server fails the suite with
 * how to fix it; locally the suite is skipped and says why, so a machine without Python still runs the rest.
 */
export function describeWithMoto(name: string, body: () => void): void {
  if (findMotoServer()) {
    describe(name, body);
    return;
  }
  if (process.env.CI) throw new Error(`${name}: ${MISSING}`);
  console.warn(`skipping "${name}": ${MISSING}`);
  describe.skip(`${name} (skipped: ${MISSING})`, body);
}
