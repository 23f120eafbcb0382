import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/log.js';
import { MAX_PAGES_PER_CLIENT, PageFeed } from '../../src/page/page-feed.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

// Review 2, item 6: /events allowed 100 streams in all with no per-client limit, ignored backpressure and
// never dropped a stalled reader: 100 non-reading clients built 33.6 MB of server Send-Q in 50 s and a 101st
// viewer got 503. The figures against a running sandbox (500 clients, Send-Q) are bench:abuse's.

/** A client that asks for the stream and then never reads a byte (from `localAddress`, any of 127/8). */
function nonReader(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    socket.once('data', (d: Buffer) => {
      socket.pause(); // from now on nothing is read: the kernel buffers fill, then ours would
      resolve({ socket, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? 0) });
    });
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('review 2, item 6: the status page stream under stalled and greedy clients', () => {
  let server: Server | undefined;
  let feed: PageFeed | undefined;
  let app: TestApp | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    feed?.stop();
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    await app?.close();
    app = undefined;
  });

  it('drops a reader that stops reading after a bounded time, holding at most about one event for it', async () => {
    let n = 0;
    const eventBytes = 128 * 1024; // a big page, new every tick: the worst case for a stalled reader
    const maxUnsentBytes = 256 * 1024;
    feed = new PageFeed({
      render: async () => new Map([['main', `${++n} ${'x'.repeat(eventBytes)}`]]),
      intervalMs: 20,
      log: silentLogger(),
      stuckMs: 1_000,
      maxUnsentBytes,
    });
    const f = feed;
    server = createServer((req, res) => f.subscribe(res, {}, req.socket.remoteAddress ?? ''));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;

    // A reading client alongside: it must keep getting events.
    const reader = await fetch(`http://127.0.0.1:${port}/events`);
    const body = reader.body!.getReader();
    let readBytes = 0;
    let reading = true;
    const readLoop = (async () => {
      while (reading) {
        const { value, done } = await body.read();
        if (done) break;
        readBytes += value.length;
      }
    })();

    const stalled = await nonReader(port);
    sockets.push(stalled.socket);
    expect(stalled.status).toBe(200);
    expect(f.size).toBe(2);
    let maxUnsent = 0;
    const deadline = Date.now() + 20_000;
    while (f.size === 2 && Date.now() < deadline) {
      maxUnsent = Math.max(maxUnsent, f.unsentBytes);
      await sleep(5);
    }
    expect(f.size).toBe(1); // the stalled one went; the reader stayed
    // Ours never held more than one event beyond the limit for the stalled reader (plus the reader's own).
    expect(maxUnsent).toBeLessThanOrEqual(maxUnsentBytes + 3 * (eventBytes + 1024));
    const before = readBytes;
    await sleep(500);
    expect(readBytes).toBeGreaterThan(before);
    reading = false;
    await body.cancel();
    await readLoop;
  }, 30_000);

  it(`limits streams per client to ${MAX_PAGES_PER_CLIENT}; 500 non-reading clients leave a new viewer served`, async () => {
    app = await startTestApp(); // no token: the page is open, clients are told apart by address
    const { port } = new URL(app.url);
    const greedy = [];
    for (let i = 0; i < 500; i++) greedy.push(nonReader(Number(port), '127.0.0.2'));
    const results = await Promise.all(greedy);
    sockets.push(...results.map((r) => r.socket));
    expect(results.filter((r) => r.status === 200).length).toBe(MAX_PAGES_PER_CLIENT);
    expect(results.filter((r) => r.status === 429).length).toBe(500 - MAX_PAGES_PER_CLIENT);

    const viewer = await fetch(`${app.url}/events`, { signal: AbortSignal.timeout(20_000) });
    expect(viewer.status).toBe(200);
    const reader = viewer.body!.getReader();
    let text = '';
    while (!text.includes('event: main')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain('event: main');
  }, 60_000);
});
