import { z } from 'zod';
import { REVOCATION_REASONS } from './crl.js';

/** Every certificate a site's CA has issued (the CA's own database, like openssl's index.txt). */
const certRecord = z.object({
  serial: z.string().regex(/^[0-9A-F]{2,64}$/),
  role: z.enum(['server', 'client']),
  tunnel: z.string().max(63),
  subject: z.string().max(200),
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
  /** Set when a renewal replaced it: still valid (and accepted) until it expires or is revoked. */
  supersededAt: z.iso.datetime().optional(),
  revoked: z.object({ at: z.iso.datetime(), reason: z.enum(REVOCATION_REASONS) }).optional(),
});

export const pkiStateSchema = z.object({
  version: z.literal(1),
  site: z.string().max(63),
  /** The number of the last CRL made; the next one gets this plus one. */
  crlNumber: z.number().int().nonnegative(),
  certs: z.array(certRecord).max(10_000),
});

export type CertRecord = z.infer<typeof certRecord>;
export type PkiState = z.infer<typeof pkiStateSchema>;

/** The record of the certificate a tunnel's server or client uses now (the newest one not revoked). */
export function currentRecord(
  state: PkiState,
  tunnel: string,
  role: CertRecord['role'],
): CertRecord | undefined {
  return state.certs
    .filter((c) => c.tunnel === tunnel && c.role === role && !c.supersededAt && !c.revoked)
    .at(-1);
}
