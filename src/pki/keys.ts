import { createPrivateKey, KeyObject, type webcrypto } from 'node:crypto';
import { BadRequestError } from '../domain/errors.js';

/** Web Crypto key types (this project compiles without the DOM library, where they are global). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256: what OpenVPN 2.6 and every TLS library accept, small and fast to make. */
export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export function newKeyPair(): Promise<CryptoKeyPair> {
  // Extractable so the private key can be written once, to a 0600 file; it is never printed.
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** PKCS#8 PEM ("BEGIN PRIVATE KEY"), which OpenVPN and openssl read. */
export function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads a signing key (the CA's); `source` names the file in errors, never its content. */
export function importSigningKey(pem: string, source: string): CryptoKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new BadRequestError(`${source} is not a PEM private key`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1')
    throw new BadRequestError(`${source} is not an ECDSA P-256 key (the kind \`npm run pki -- init\` makes)`);
  return key.toCryptoKey(KEY_ALGORITHM, false, ['sign']);
}
