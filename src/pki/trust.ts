import { certPem } from './certificates.js';
import { readBounded, type SiteDir } from './site-dir.js';

/**
 * What a server or client trusts: its site's CA, plus during a CA rollover the other CA (`--also-trust`),
 * each with its CRL (with crl-verify, OpenVPN needs a current CRL for every CA a peer's certificate chains
 * to). Old and new CA both trusted on every end means no tunnel ever trusts neither.
 */
export async function trustFiles(dir: SiteDir, also?: SiteDir): Promise<{ ca: string; crl: string }> {
  const own = await oneCa(dir);
  if (!also) return own;
  const other = await oneCa(also);
  if (other.ca === own.ca) return own;
  return { ca: own.ca + other.ca, crl: own.crl + other.crl };
}

async function oneCa(dir: SiteDir): Promise<{ ca: string; crl: string }> {
  await dir.requireInit();
  const ca = certPem(await dir.readCa());
  const crl = await readBounded(dir.crl, 256 * 1024);
  return { ca, crl: crl.endsWith('\n') ? crl : `${crl}\n` };
}
