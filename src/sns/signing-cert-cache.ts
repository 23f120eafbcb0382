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

export const MAX_PEM_BYTES = 64 * 1024;
/** A URL whose fetch failed is not fetched again for this long (SNS retries; an attacker repeats). */
export const NEGATIVE_TTL_MS = 60_000;
/** Failures remembered at most (small entries; more than the certificates so a burst does not thrash). */
const MAX_FAILURES = 1024;

/** Fetches the PEM over HTTPS; no redirects (they could leave SNS's hosts); the size cap holds while reading. */
export const fetchPemOverHttps: FetchPem = async (url) => {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new CertificateError(`could not fetch the signing certificate: ${(err as Error).message}`, true);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new CertificateError(`signing certificate URL answered HTTP ${res.status}`, res.status >= 500);
  }
  return readCapped(res, MAX_PEM_BYTES);
};

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new CertificateError('signing certificate is too large', false);
  }
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel().catch(() => undefined);
        throw new CertificateError('signing certificate is too large', false);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof CertificateError) throw err;
    throw new CertificateError(`could not read the signing certificate: ${(err as Error).message}`, true);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * SNS signing certificates, fetched once per URL and cached. Only a certificate that loaded is cached (so
 * unverifiable messages cannot push the real one out); the in-flight fetch is shared; a failed fetch is
 * remembered for NEGATIVE_TTL_MS so repeats cost nothing; both maps are bounded. Optionally the certificate
 * must be issued by one of `trustAnchors` (tests use a test CA; in AWS the HTTPS fetch from SNS's host is
 * the anchor).
 */
export class SigningCertCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly failures = new Map<string, { until: number; error: CertificateError }>();
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

  /** Certificates cached (loaded successfully). */
  get size(): number {
    return this.entries.size;
  }

  async publicKey(url: string): Promise<KeyObject> {
    const entry = await this.entry(url);
    const now = this.clock.now();
    if (now < entry.validFrom || now > entry.validTo)
      throw new CertificateError('signing certificate is not valid now', false);
    return entry.key;
  }

  private entry(url: string): Promise<Entry> {
    const hit = this.entries.get(url);
    if (hit) {
      // Refresh recency for the LRU bound.
      this.entries.delete(url);
      this.entries.set(url, hit);
      return Promise.resolve(hit);
    }
    const failed = this.failures.get(url);
    if (failed && failed.until > this.clock.now()) return Promise.reject(failed.error);
    const pending = this.inflight.get(url);
    if (pending) return pending;
    if (this.inflight.size >= this.maxEntries)
      return Promise.reject(new CertificateError('too many signing certificates being fetched', true));
    const load = this.load(url).then(
      (entry) => {
        this.inflight.delete(url);
        this.failures.delete(url);
        this.entries.set(url, entry);
        evictOldest(this.entries, this.maxEntries);
        return entry;
      },
      (err: unknown) => {
        this.inflight.delete(url);
        const error =
          err instanceof CertificateError
            ? err
            : new CertificateError('signing certificate unavailable', true);
        this.failures.set(url, { until: this.clock.now() + NEGATIVE_TTL_MS, error });
        evictOldest(this.failures, MAX_FAILURES);
        throw error;
      },
    );
    this.inflight.set(url, load);
    return load;
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

function evictOldest<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}
