import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CommandRunner, icmpProber, parsePingRtt } from '../../../src/monitor/icmp-prober.js';
import { tcpProber } from '../../../src/monitor/tcp-prober.js';

const hasPing = spawnSync('ping', ['-V'], { encoding: 'utf8' }).error === undefined;

describe('TCP prober', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('connects to a listening server and measures the connect time', async () => {
    const r = await tcpProber({ timeoutMs: 1000 })({ kind: 'tcp', host: '127.0.0.1', port });
    expect(r).toMatchObject({ target: `tcp:127.0.0.1:${port}`, ok: true });
    expect(r.rttMs).toBeGreaterThanOrEqual(0);
    expect(r.rttMs).toBeLessThan(1000);
  });

  it('binds to the given local address', async () => {
    const seen: string[] = [];
    const probe = createServer((s) => {
      seen.push(s.remoteAddress ?? '');
      s.end();
    });
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const p = (probe.address() as { port: number }).port;
    const r = await tcpProber({ localAddress: '127.0.0.2' })({ kind: 'tcp', host: '127.0.0.1', port: p });
    await new Promise<void>((r2) => probe.close(() => r2()));
    expect(r.ok).toBe(true);
    expect(seen).toEqual(['127.0.0.2']);
  });

  it('reports a refused connection as a failure with its reason', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await tcpProber({ timeoutMs: 1000 })({ kind: 'tcp', host: '127.0.0.1', port: dead });
    expect(r).toEqual({ target: `tcp:127.0.0.1:${dead}`, ok: false, rttMs: null, error: 'ECONNREFUSED' });
  });
});

describe('ICMP prober', () => {
  it('runs ping through the command prefix with -c1 -W and the source interface, and parses the RTT', async () => {
    const calls: Array<[string, string[]]> = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, args]);
      return { code: 0, stdout: '64 bytes from 10.20.0.10: icmp_seq=1 ttl=63 time=23.7 ms\n', stderr: '' };
    };
    const probe = icmpProber({
      commandPrefix: ['ip', 'netns', 'exec', 'srv1'],
      source: 'tun0',
      timeoutSeconds: 1,
      run,
    });
    const r = await probe({ kind: 'icmp', host: '10.20.0.10' });
    expect(calls).toEqual([
      ['ip', ['netns', 'exec', 'srv1', 'ping', '-n', '-c', '1', '-W', '1', '-I', 'tun0', '10.20.0.10']],
    ]);
    expect(r).toEqual({ target: 'icmp:10.20.0.10', ok: true, rttMs: 23.7 });
  });

  it('reports no reply (exit 1) as a failure', async () => {
    const run: CommandRunner = async () => ({
      code: 1,
      stdout: '1 packets transmitted, 0 received, 100% packet loss',
      stderr: '',
    });
    expect(await icmpProber({ run })({ kind: 'icmp', host: '10.20.0.10' })).toEqual({
      target: 'icmp:10.20.0.10',
      ok: false,
      rttMs: null,
      error: 'no reply',
    });
  });

  it('parses iputils and busybox output', () => {
    expect(parsePingRtt('64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms')).toBe(0.045);
    expect(parsePingRtt('64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.101 ms')).toBe(0.101);
    expect(parsePingRtt('64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time<1 ms')).toBe(1);
    expect(parsePingRtt('100% packet loss')).toBeNull();
  });

  // The real system ping against loopback; where ping is not installed the prober must say so, not throw.
  it(
    hasPing
      ? 'pings 127.0.0.1 with the real system ping'
      : 'reports a missing ping binary as a failed probe (ping is not installed here)',
    async () => {
      const r = await icmpProber()({ kind: 'icmp', host: '127.0.0.1' });
      if (hasPing) {
        expect(r.ok).toBe(true);
        expect(r.rttMs).toBeGreaterThan(0);
        expect(r.rttMs).toBeLessThan(1000);
      } else {
        expect(r.ok).toBe(false);
        expect(r.error).toMatch(/ENOENT|not found/);
      }
    },
  );
});
