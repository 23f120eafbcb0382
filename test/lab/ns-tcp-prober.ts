import type { ProbeTarget } from '../../src/config/topology-schema.js';
import { execRunner } from '../../src/monitor/icmp-prober.js';
import { type ProbeResult, type Prober, targetLabel } from '../../src/monitor/probe.js';

/**
 * TCP connect from inside a namespace (Node's sockets cannot change namespace, and a connect from the host's
 * namespace could leave the machine): bash's /dev/tcp under `timeout`, run with `ip netns exec`.
 */
export function nsTcpProber(ns: string, timeoutMs: number): Prober {
  return async (target: ProbeTarget): Promise<ProbeResult> => {
    const label = targetLabel(target);
    if (target.kind !== 'tcp') return { target: label, ok: false, rttMs: null, error: 'not a tcp target' };
    const started = performance.now();
    const script = `exec 3<>/dev/tcp/${target.host}/${target.port}`;
    const res = await execRunner(
      'ip',
      ['netns', 'exec', ns, 'timeout', String(timeoutMs / 1000), 'bash', '-c', script],
      timeoutMs + 2000,
    );
    if (res.code === 0) return { target: label, ok: true, rttMs: performance.now() - started };
    return {
      target: label,
      ok: false,
      rttMs: null,
      error: res.code === 124 ? `timeout after ${timeoutMs} ms` : res.stderr.trim() || 'refused',
    };
  };
}
