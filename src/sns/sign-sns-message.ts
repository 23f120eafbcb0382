import { sign } from 'node:crypto';
import type { SnsMessage } from './sns-message.js';
import { signatureAlgorithm, stringToSign } from './verify-sns-signature.js';

/**
 * Signs an SNS message as SNS does. For the sandbox, tests and benches, with a key made locally:
 * real SNS messages are only ever verified.
 */
export function signSnsMessage<T extends Omit<SnsMessage, 'Signature'>>(
  unsigned: T,
  privateKeyPem: string,
): T & { Signature: string } {
  const withPlaceholder = { ...unsigned, Signature: 'x' } as unknown as SnsMessage;
  const signature = sign(
    signatureAlgorithm(unsigned.SignatureVersion),
    Buffer.from(stringToSign(withPlaceholder), 'utf8'),
    privateKeyPem,
  );
  return { ...unsigned, Signature: signature.toString('base64') };
}
