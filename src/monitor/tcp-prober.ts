import { connect } from 'node:net';
import type { ProbeTarget } from '../config/topology-schema.js';
import { type ProbeResult, type Prober, targetLabel } from './probe.js';

export interface TcpProberOptions {
  timeoutMs?: number;
  /** Bind the socket to this local address (the tunnel's address) so the probe uses this tunnel. */
  localAddress?: string;
}

/** TCP connect with a timeout: ok when the handshake completes (a refusal is a failure). */
export function tcpProber(options: TcpProberOptions = {}): Prober {
  const timeoutMs = options.timeoutMs ?? 1000;
  return (target: ProbeTarget): Promise<ProbeResult> => {
    const label = targetLabel(target);
    if (target.kind !== 'tcp')
      return Promise.resolve({ target: label, ok: false, rttMs: null, error: 'not a tcp target' });
    return new Promise((resolve) => {
      const started = performance.now();
      const socket = connect({
        host: target.host,
        port: target.port,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
      let settled = false;
      const done = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(
        () => done({ target: label, ok: false, rttMs: null, error: `timeout after ${timeoutMs} ms` }),
        timeoutMs,
      );
      socket.once('connect', () => done({ target: label, ok: true, rttMs: performance.now() - started }));
      socket.once('error', (err: NodeJS.ErrnoException) =>
        done({ target: label, ok: false, rttMs: null, error: err.code ?? err.message }),
      );
    });
  };
}
