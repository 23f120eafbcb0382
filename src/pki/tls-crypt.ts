import { randomBytes } from 'node:crypto';

/**
 * An OpenVPN static key, the file `openvpn --genkey tls-crypt` writes: 2048 random bits as 16 lines of 32
 * hex digits between the V1 markers. One per tunnel, shared by its server and its client only.
 */
export function tlsCryptKey(random: Buffer = randomBytes(256)): string {
  if (random.length !== 256) throw new Error('a tls-crypt key is 256 random bytes');
  const hex = random.toString('hex');
  const lines = Array.from({ length: 16 }, (_, i) => hex.slice(i * 32, i * 32 + 32));
  return [
    '#',
    '# 2048 bit OpenVPN static key',
    '#',
    '-----BEGIN OpenVPN Static key V1-----',
    ...lines,
    '-----END OpenVPN Static key V1-----',
    '',
  ].join('\n');
}
