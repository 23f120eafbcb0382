import type { Clock } from '../ports/clock.js';
import { CertificateError, type SigningCertCache } from './signing-cert-cache.js';
import { parseSnsMessage, type SnsMessage } from './sns-message.js';
import { checkSnsUrl, verifySnsSignature } from './verify-sns-signature.js';

/** A message that failed verification: the HTTP status to answer and the reason to log. */
export class SnsRejection extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'SnsRejection';
  }
}

export interface SnsVerifierProps {
  /** Topic ARNs whose messages are accepted; everything else is refused before any certificate fetch. */
  allowedTopics: ReadonlySet<string>;
  certs: SigningCertCache;
  clock: Clock;
  /** Older messages are refused as stale (replays); SNS retries within an hour at most. */
  maxAgeMs?: number;
  /** Tolerated clock skew for timestamps in the future. */
  maxFutureSkewMs?: number;
}

const DEFAULT_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Everything an SNS body must pass before it may change anything: schema, optional type header, topic
 * allowlist, signing-cert URL, freshness, then the signature. Cheap checks first, the certificate last.
 */
export class SnsVerifier {
  readonly maxAgeMs: number;
  private readonly maxFutureSkewMs: number;

  constructor(private readonly props: SnsVerifierProps) {
    this.maxAgeMs = props.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.maxFutureSkewMs = props.maxFutureSkewMs ?? 5 * 60 * 1000;
  }

  async verify(body: string, typeHeader?: string): Promise<SnsMessage> {
    const parsed = parseSnsMessage(body);
    if (!parsed.ok) throw new SnsRejection(400, parsed.reason);
    const message = parsed.message;
    if (typeHeader !== undefined && typeHeader !== message.Type) {
      throw new SnsRejection(
        400,
        `x-amz-sns-message-type ${typeHeader.slice(0, 40)} does not match Type ${message.Type}`,
      );
    }
    if (!this.props.allowedTopics.has(message.TopicArn)) {
      throw new SnsRejection(403, `topic ${message.TopicArn} is not in TUNNELOPS_SNS_TOPIC_ARNS`);
    }
    const urlProblem = checkSnsUrl(message.SigningCertURL, 'cert');
    if (urlProblem) throw new SnsRejection(403, urlProblem);
    const age = this.props.clock.now() - Date.parse(message.Timestamp);
    if (age > this.maxAgeMs)
      throw new SnsRejection(400, `message is stale (${Math.round(age / 1000)} s old)`);
    if (age < -this.maxFutureSkewMs) throw new SnsRejection(400, 'message timestamp is in the future');
    let key: Awaited<ReturnType<SigningCertCache['publicKey']>>;
    try {
      key = await this.props.certs.publicKey(message.SigningCertURL);
    } catch (err) {
      // A network failure may pass (SNS retries on 5xx); an unacceptable certificate never will.
      if (err instanceof CertificateError && err.transient) throw new SnsRejection(502, err.message);
      throw new SnsRejection(
        403,
        err instanceof CertificateError ? err.message : 'signing certificate unavailable',
      );
    }
    if (!verifySnsSignature(message, key)) throw new SnsRejection(403, 'signature does not verify');
    return message;
  }
}
