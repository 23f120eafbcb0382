import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  CertificateError,
  fetchPemOverHttps,
  NEGATIVE_TTL_MS,
  SigningCertCache,
} from '../../src/sns/signing-cert-cache.js';
import { ManualClock } from '../helpers/fakes/manual-clock.js';
import { CERT_PATH, CERT_URL, makeTestPki, type TestPki } from '../unit/sns/sns-pki.js';

// Finding 9: the certificate cache evicted on insert before a fetch succeeded (32 unverifiable messages
// flushed the real certificate), failed fetches were not cached, and the size cap applied after reading.
let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

describe('finding 9: the SNS certificate cache cannot be flushed or made to fetch on every message', () => {
  it('32+ failing certificate URLs do not evict the real certificate; each failure is fetched once', async () => {
    const clock = new ManualClock(Date.now());
    const fetched: string[] = [];
    const cache = new SigningCertCache({
      clock,
      maxEntries: 32,
      fetchPem: async (url) => {
        fetched.push(url);
        if (url === CERT_URL) return pki.certPem;
        throw new CertificateError('HTTP 404', false);
      },
    });
    await cache.publicKey(CERT_URL);
    const bad = (n: number) => `https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bad${n}.pem`;
    for (let n = 0; n < 40; n++) await expect(cache.publicKey(bad(n))).rejects.toThrow(CertificateError);
    for (let n = 0; n < 40; n++) await expect(cache.publicKey(bad(n))).rejects.toThrow(CertificateError);
    await cache.publicKey(CERT_URL);
    expect(fetched.filter((u) => u === CERT_URL)).toHaveLength(1);
    expect(fetched.filter((u) => u === bad(39))).toHaveLength(1);
    clock.advance(NEGATIVE_TTL_MS + 1);
    await expect(cache.publicKey(bad(39))).rejects.toThrow(CertificateError);
    expect(fetched.filter((u) => u === bad(39))).toHaveLength(2);
  });

  it('an oversized certificate body is cut off while streaming, not after reading it all', async () => {
    // A real loopback server streaming 64 MiB without Content-Length: how much did it get to send?
    let produced = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      const pump = (): void => {
        while (produced < 64 * 1024 * 1024) {
          produced += 16 * 1024;
          if (!res.write(Buffer.alloc(16 * 1024, 0x41))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(fetchPemOverHttps(`http://127.0.0.1:${port}${CERT_PATH}`)).rejects.toThrow(/too large/);
      expect(produced).toBeLessThan(16 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
