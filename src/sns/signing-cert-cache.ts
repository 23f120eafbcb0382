import { type KeyObject, X509Certificate } from 'node:crypto';
import { type Clock, systemClock } from '../ports/clock.js';

export type FetchPem = (url: string) => Promise<string>;

export class CertificateError extends Error {
  constructor(
    message: string,
    /** True when the failure may pass (network); false when the certificate itself is unacceptable. */
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'CertificateError';
  }
}

interface Entry {
  key: KeyObject;
  validFrom: number;
  validTo: number;
}

const MAX_PEM_BYTES = 64 * 1024;

/** Fetches the PEM over HTTPS; no redirects (they could leave SNS's hosts). */
const fetchPemOverHttps: FetchPem = async (url) => {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new CertificateError(`could not fetch the signing certificate: ${(err as Error).message}`, true);
  }
  if (res.status !== 200)
    throw new CertificateError(`signing certificate URL answered HTTP ${res.status}`, res.status >= 500);
  const text = await res.text();
  if (text.length > MAX_PEM_BYTES) throw new CertificateError('signing certificate is too large', false);
  return text;
};

/**
 * SNS signing certificates, fetched once per URL and cached (the in-flight fetch is shared, failures are
 * not cached), with a bound on entries so random URLs cannot grow memory. Optionally the certificate must
 * be issued by one of `trustAnchors` (tests use a test CA; in AWS the HTTPS fetch from SNS's host is the anchor).
 */
export class SigningCertCache {
  private readonly entries = new Map<string, Promise<Entry>>();
  private readonly fetchPem: FetchPem;
  private readonly maxEntries: number;
  private readonly clock: Clock;
  private readonly trustAnchors: readonly X509Certificate[];
  fetches = 0;

  constructor(
    props: {
      fetchPem?: FetchPem;
      maxEntries?: number;
      clock?: Clock;
      trustAnchors?: readonly X509Certificate[];
    } = {},
  ) {
    this.fetchPem = props.fetchPem ?? fetchPemOverHttps;
    this.maxEntries = props.maxEntries ?? 32;
    this.clock = props.clock ?? systemClock;
    this.trustAnchors = props.trustAnchors ?? [];
  }

  get size(): number {
    return this.entries.size;
  }

  async publicKey(url: string): Promise<KeyObject> {
    let pending = this.entries.get(url);
    if (pending) {
      // Refresh recency for the LRU bound.
      this.entries.delete(url);
      this.entries.set(url, pending);
    } else {
      pending = this.load(url);
      this.entries.set(url, pending);
      pending.catch(() => this.entries.delete(url));
      while (this.entries.size > this.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest === undefined) break;
        this.entries.delete(oldest);
      }
    }
    const entry = await pending;
    const now = this.clock.now();
    if (now < entry.validFrom || now > entry.validTo)
      throw new CertificateError('signing certificate is not valid now', false);
    return entry.key;
  }

  private async load(url: string): Promise<Entry> {
    this.fetches++;
    const pem = await this.fetchPem(url);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      throw new CertificateError('signing certificate is not a PEM X.509 certificate', false);
    }
    if (
      this.trustAnchors.length > 0 &&
      !this.trustAnchors.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))
    ) {
      throw new CertificateError('signing certificate is not issued by a trusted CA', false);
    }
    return { key: cert.publicKey, validFrom: Date.parse(cert.validFrom), validTo: Date.parse(cert.validTo) };
  }
}
