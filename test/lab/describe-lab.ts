import { describe, it } from '@jest/globals';
import { labRequirementProblems } from './lab-requirements.js';

/** Decided once per test file, before any describe block is declared (top-level await in ESM). */
const problems = await labRequirementProblems();

/**
 * describe() for the real-tunnel lab. Where the lab cannot run (not root, no openvpn ...): in CI (CI set)
 * the suite FAILS with the reason, since CI installs everything it needs; locally it is skipped with a
 * console message saying why.
 */
export function describeLab(name: string, body: () => void): void {
  if (problems.length === 0) {
    describe(name, body);
    return;
  }
  const why = `lab tests "${name}" cannot run: ${problems.join('; ')}`;
  if (process.env.CI) {
    describe(name, () => {
      it('needs root, /dev/net/tun, openvpn, iproute2, iptables, ping, iperf3 and openssl', () => {
        throw new Error(`${why}. CI must run them (see .ci/run).`);
      });
    });
    return;
  }
  console.warn(
    `SKIPPED ${why}. Run them as root with the tools installed, or set CI=1 to make this a failure.`,
  );
  describe.skip(name, body);
}
