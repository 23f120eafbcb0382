import type { Site } from '../config/topology-schema.js';
import type { CertId } from '../domain/rotation-plan.js';

/**
 * The server certificate published for each tunnel (what `npm run pki -- publish` put in its prefix of the
 * certificate bucket, or a directory): what the tunnel's server loads at its next start. Public files only;
 * nothing here reads a key.
 */
export interface PublishedServerCerts {
  /** Null when nothing is published for the tunnel. */
  published(site: Site, tunnel: string): Promise<CertId | null>;
}
