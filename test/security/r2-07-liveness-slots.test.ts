import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { LIVENESS_LIMITS, startLivenessListener, tcpLiveness } from '../../src/net/tcp-liveness.js';
import type { LivenessAddress } from '../../src/ports/liveness.js';
import { livenessChild } from '../unit/net/liveness-support.js';

// Review 2, item 7: the liveness listener (port 7406, open to the VPC) had no idle timeout and 32 slots in
// all: 32 idle strangers held every slot, a peer's watch was refused, and the death of a lease holder was
// only noticed when its 10 s lease ran out. The failure handled: the holder's process dies while strangers
// hold silent connections; its peer must still hear of it at once. (The lab's failover tests exercise the
// channel end to end: test/lab/*.)

/** A silent connection from `localAddress`; resolves true once greeted (admitted), false if closed. */
function stranger(at: LivenessAddress, localAddress: string, sockets: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: at.host, port: at.port, localAddress });
    sockets.push(socket);
    socket.once('data', () => resolve(true));
    socket.once('close', () => resolve(false));
    socket.on('error', () => undefined);
  });
}

describe('review 2, item 7: strangers cannot take the liveness slots', () => {
  const children: ChildProcess[] = [];
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const client = tcpLiveness({ timeoutMs: 2_000 });

  it('a peer still hears a death at once while one stranger address holds all it can', async () => {
    const { proc, at } = await livenessChild('dc1/primary:held');
    children.push(proc);
    const admitted = await Promise.all(Array.from({ length: 40 }, () => stranger(at, '127.0.0.2', sockets)));
    expect(admitted.filter(Boolean).length).toBe(LIVENESS_LIMITS.perAddress);
    expect(await client.check(at)).toBe('alive');
    const started = Date.now();
    const watching = client.watch(at, 60_000);
    await new Promise((r) => setTimeout(r, 200));
    proc.kill('SIGKILL');
    await watching;
    expect(Date.now() - started).toBeLessThan(8_000); // heard at once, not at the end of the 60 s watch
    // Once the process is gone for good (the kernel may still answer while it is being torn down): refused.
    await new Promise((r) => (proc.exitCode !== null || proc.signalCode ? r(null) : proc.once('exit', r)));
    expect(await client.check(at)).toBe('dead');
  }, 30_000);

  it('when every slot is taken by many strangers, a newcomer takes the place of the greediest', async () => {
    const { proc, at } = await livenessChild('dc1/primary:crowded');
    children.push(proc);
    const per = 3;
    const addresses = Math.ceil(LIVENESS_LIMITS.total / per) + 10;
    const admitted = await Promise.all(
      Array.from({ length: addresses * per }, (_, i) =>
        stranger(at, `127.0.1.${1 + (i % addresses)}`, sockets),
      ),
    );
    expect(admitted.filter(Boolean).length).toBeGreaterThanOrEqual(LIVENESS_LIMITS.total - per);
    expect(await client.check(at)).toBe('alive');
  }, 30_000);

  it('closes a connection that stays silent past the idle timeout', async () => {
    const listener = await startLivenessListener({
      bindHost: '127.0.0.1',
      port: 0,
      advertise: '127.0.0.1',
      instance: 'dc1/primary:idle',
      limits: { idleMs: 300 },
    });
    try {
      const socket = connect({ host: '127.0.0.1', port: listener.address.port });
      sockets.push(socket);
      socket.on('data', () => undefined);
      const closedAfter = await new Promise<number>((resolve) => {
        const t = Date.now();
        socket.once('close', () => resolve(Date.now() - t));
        setTimeout(() => resolve(-1), 10_000);
      });
      expect(closedAfter).toBeGreaterThanOrEqual(250);
      expect(LIVENESS_LIMITS.idleMs).toBeGreaterThan(60_000); // longer than a watch holds its connection
    } finally {
      await listener.close();
    }
  }, 20_000);
});
