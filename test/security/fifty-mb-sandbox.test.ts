import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ENDPOINTS,
  FIFTY_MB,
  probe,
  type RunningSandbox,
  refused,
  startSandbox,
  variants,
} from './big-body-probe.js';

/**
 * Issue 14: a 50 MB body to each endpoint of a running sandbox is refused without the server reading it,
 * its memory does not take the body in and /healthz keeps answering. The bounds here hold on a loaded 2-core machine
 * (CI runs the lab beside this) and only a real regression crosses them: the server reading the body (the
 * client gets to send most of it), buffering it (RSS), or blocking its event loop for seconds. The speed
 * figures (413 within 1 s, /healthz under 100 ms) are `npm run bench:bodies`'s goals, asserted in
 * bench:smoke. Each probe's figures are printed as one JSON line.
 */
let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
});

describe('a 50 MB body to every endpoint of a running sandbox', () => {
  it.each(ENDPOINTS)(
    '%s %s: refused (413) without keeping the body, /healthz answering throughout',
    async (method, path) => {
      for (const chunked of variants(method)) {
        const f = await probe(sandbox, method, path, chunked);
        console.log(JSON.stringify(f));
        expect(refused(f)).toBe(true);
        // The refusal drains at most 64 MB for at most 5 s (a lingering close), so even a starved machine
        // answers well within 15 s. Dropped chunks leave up to ~35 MB of garbage for a while (seen); a server
        // that kept the body and concatenated it would grow by twice its size.
        expect(f.answeredMs).toBeLessThan(15_000);
        expect(f.rssMaxMb - f.rssBeforeMb).toBeLessThan((2 * FIFTY_MB) / 1e6);
        expect(f.rssMaxMb).toBeLessThan(400);
        expect(f.healthzChecks).toBeGreaterThan(0);
        expect(f.healthzFailed).toBe(0);
        expect(f.healthzMaxMs).toBeLessThan(3_000);
      }
    },
    60_000,
  );
});
