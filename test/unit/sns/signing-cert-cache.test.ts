import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { CertificateError, NEGATIVE_TTL_MS, SigningCertCache } from '../../../src/sns/signing-cert-cache.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { CERT_HOST, CERT_PATH, CERT_URL, makeTestPki, type TestPki } from './sns-pki.js';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

describe('SigningCertCache', () => {
  it('fetches each URL once, even for concurrent requests', async () => {
    let fetches = 0;
    const cache = new SigningCertCache({
      fetchPem: async () => {
        fetches++;
        await new Promise((r) => setTimeout(r, 20));
        return pki.certPem;
      },
    });
    const keys = await Promise.all([
      cache.publicKey(CERT_URL),
      cache.publicKey(CERT_URL),
      cache.publicKey(CERT_URL),
    ]);
    await cache.publicKey(CERT_URL);
    expect(fetches).toBe(1);
    expect(keys[0]?.equals(new X509Certificate(pki.certPem).publicKey)).toBe(true);
  });

  it('fetches over https from the SNS host with the default fetcher (nock) and caches it', async () => {
    const scope = nock(CERT_HOST).get(CERT_PATH).once().reply(200, pki.certPem);
    const cache = new SigningCertCache();
    await cache.publicKey(CERT_URL);
    await cache.publicKey(CERT_URL);
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('remembers a failure briefly (negative cache), then fetches again', async () => {
    let calls = 0;
    const clock = new ManualClock(Date.now());
    const cache = new SigningCertCache({
      clock,
      fetchPem: async () => {
        calls++;
        if (calls === 1) throw new CertificateError('network down', true);
        return pki.certPem;
      },
    });
    await expect(cache.publicKey(CERT_URL)).rejects.toThrow('network down');
    await expect(cache.publicKey(CERT_URL)).rejects.toThrow('network down');
    expect(calls).toBe(1);
    clock.advance(NEGATIVE_TTL_MS + 1);
    await expect(cache.publicKey(CERT_URL)).resolves.toBeDefined();
    expect(calls).toBe(2);
  });

  it('keeps at most maxEntries certificates, evicting the least recently used', async () => {
    const fetched: string[] = [];
    const cache = new SigningCertCache({
      maxEntries: 2,
      fetchPem: async (url) => {
        fetched.push(url);
        return pki.certPem;
      },
    });
    const url = (n: number) => `https://sns.us-east-1.amazonaws.com/cert-${n}.pem`;
    await cache.publicKey(url(1));
    await cache.publicKey(url(2));
    await cache.publicKey(url(1)); // 1 is now the most recent
    await cache.publicKey(url(3)); // evicts 2
    expect(cache.size).toBe(2);
    await cache.publicKey(url(1));
    await cache.publicKey(url(2));
    expect(fetched).toEqual([url(1), url(2), url(3), url(2)]);
  });

  it('refuses junk, an HTTP error, a certificate not issued by the trust anchor, and an expired one', async () => {
    const ca = new X509Certificate(pki.caPem);
    await expect(
      new SigningCertCache({ fetchPem: async () => 'not a pem' }).publicKey(CERT_URL),
    ).rejects.toThrow(/not a PEM/);
    nock(CERT_HOST).get(CERT_PATH).reply(404, 'no');
    await expect(new SigningCertCache().publicKey(CERT_URL)).rejects.toThrow(/HTTP 404/);
    const anchored = (pem: string) => new SigningCertCache({ fetchPem: async () => pem, trustAnchors: [ca] });
    await expect(anchored(pki.rogueCertPem).publicKey(CERT_URL)).rejects.toThrow(/trusted CA/);
    await expect(anchored(pki.certPem).publicKey(CERT_URL)).resolves.toBeDefined();
    const later = { now: () => Date.parse(new X509Certificate(pki.certPem).validTo) + 1000 };
    await expect(
      new SigningCertCache({ fetchPem: async () => pki.certPem, clock: later }).publicKey(CERT_URL),
    ).rejects.toThrow(/not valid now/);
  });
});
