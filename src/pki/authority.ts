import { BadRequestError, ConfigError } from '../domain/errors.js';
import { certPem, createCa, createLeaf, serialOf } from './certificates.js';
import { createCrl, crlPem, type RevocationReason } from './crl.js';
import { type CryptoKey, importSigningKey, newKeyPair, privateKeyPem } from './keys.js';
import { type LeafRole, leafCn } from './names.js';
import { type CertRecord, currentRecord, type PkiState } from './pki-state.js';
import { isFile, readBounded, type SiteDir, writePublic, writeSecret } from './site-dir.js';
import { tlsCryptKey } from './tls-crypt.js';
import type * as x509 from './x509.js';

export const DEFAULTS = { caDays: 3650, days: 365, crlDays: 180 } as const;

export interface AuthorityOptions {
  now?: () => Date;
  /** Where the CA key is, when not in the site's directory (kept offline). */
  caKeyPath?: string;
  /** Progress lines: file names and serials, never a key. */
  report?: (line: string) => void;
}

/** The operations that need the CA's private key: init, issue, renew, revoke and crl. */
export class Authority {
  private readonly now: () => Date;
  private readonly report: (line: string) => void;

  constructor(
    private readonly dir: SiteDir,
    private readonly options: AuthorityOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.report = options.report ?? (() => {});
  }

  /** The site's CA (key and certificate) and its first, empty CRL. Refuses to replace an existing CA. */
  async init(caDays: number = DEFAULTS.caDays, crlDays: number = DEFAULTS.crlDays): Promise<void> {
    if ((await this.dir.exists()) || (await isFile(this.dir.caCrt)))
      throw new BadRequestError(
        `site "${this.dir.site}" already has a CA in ${this.dir.dir}; nothing changed (a CA rollover is in the README, PKI section)`,
      );
    const keys = await newKeyPair();
    const ca = await createCa({ site: this.dir.site, keys, now: this.now(), days: caDays });
    await writeSecret(this.dir.caKey, privateKeyPem(keys.privateKey));
    await writePublic(this.dir.caCrt, certPem(ca));
    const state: PkiState = { version: 1, site: this.dir.site, crlNumber: 0, certs: [] };
    this.report(`CA ${ca.subject} serial ${serialOf(ca)} valid until ${ca.notAfter.toISOString()}`);
    await this.writeCrl(state, ca, keys.privateKey, crlDays);
    await this.dir.writeState(state);
    this.report(
      `wrote ${this.dir.caCrt}, ${this.dir.caKey} (0600: move it offline, pass --ca-key where needed)`,
    );
  }

  /**
   * Each tunnel's server and client certificate (and its tls-crypt key when it has none). Refuses a tunnel
   * that already has a current certificate of that role: that is `renew`.
   */
  async issue(
    tunnels: readonly string[],
    roles: readonly LeafRole[] = ['server', 'client'],
    days: number = DEFAULTS.days,
  ): Promise<void> {
    const state = await this.dir.readState();
    for (const tunnel of tunnels) {
      for (const role of roles) {
        const current = currentRecord(state, tunnel, role);
        if (current)
          throw new BadRequestError(
            `${leafCn(this.dir.site, tunnel, role)} already has a certificate (serial ${current.serial}); nothing changed: use \`npm run pki -- renew ${this.dir.site} --tunnel ${tunnel} --role ${role}\``,
          );
      }
    }
    await this.signLeaves(state, tunnels, roles, days);
  }

  /**
   * New keys and certificates for the tunnels' given roles. The old certificate is not revoked: it stays
   * valid (and accepted) until it expires or `revoke` names it, so a tunnel never depends on both ends
   * switching at the same instant.
   */
  async renew(
    tunnels: readonly string[],
    roles: readonly LeafRole[],
    days: number = DEFAULTS.days,
  ): Promise<void> {
    const state = await this.dir.readState();
    for (const tunnel of tunnels)
      for (const role of roles)
        if (!currentRecord(state, tunnel, role))
          throw new BadRequestError(
            `${leafCn(this.dir.site, tunnel, role)} has no current certificate to renew (revoked or never issued); nothing changed: use \`npm run pki -- issue ${this.dir.site} --tunnel ${tunnel} --role ${role}\``,
          );
    await this.signLeaves(state, tunnels, roles, days);
  }

  /** Revokes one certificate by serial and writes the new CRL (publish it next). */
  async revoke(
    serial: string,
    reason: RevocationReason,
    crlDays: number = DEFAULTS.crlDays,
  ): Promise<CertRecord> {
    const state = await this.dir.readState();
    const wanted = serial.toUpperCase().replace(/:/g, '');
    const record = state.certs.find((c) => c.serial === wanted);
    if (!record)
      throw new BadRequestError(
        `no certificate with serial ${serial.slice(0, 80)} in site "${this.dir.site}"; nothing changed (\`npm run pki -- list ${this.dir.site}\` shows them)`,
      );
    if (record.revoked)
      throw new BadRequestError(
        `${record.subject} (serial ${record.serial}) is already revoked (${record.revoked.at})`,
      );
    const { ca, caKey } = await this.loadCa();
    record.revoked = { at: this.now().toISOString(), reason };
    await this.writeCrl(state, ca, caKey, crlDays);
    await this.dir.writeState(state);
    this.report(`revoked ${record.subject} serial ${record.serial} (${reason}); wrote ${this.dir.crl}`);
    return record;
  }

  /** A fresh CRL (same revocations, next number, new nextUpdate): run it well before the old one's nextUpdate. */
  async crl(crlDays: number = DEFAULTS.crlDays): Promise<void> {
    const state = await this.dir.readState();
    const { ca, caKey } = await this.loadCa();
    await this.writeCrl(state, ca, caKey, crlDays);
    await this.dir.writeState(state);
  }

  /** The CA certificate and key; the key from --ca-key when given, else from the site's directory. */
  async loadCa(): Promise<{ ca: x509.X509Certificate; caKey: CryptoKey }> {
    const keyPath = this.options.caKeyPath ?? this.dir.caKey;
    if (!(await isFile(keyPath)))
      throw new ConfigError(
        `this command needs the CA key of site "${this.dir.site}" and it is not at ${keyPath}: pass --ca-key <file> (where you keep it offline)`,
      );
    const ca = await this.dir.readCa();
    const caKey = importSigningKey(await readBounded(keyPath, 64 * 1024), keyPath);
    return { ca, caKey };
  }

  private async signLeaves(
    state: PkiState,
    tunnels: readonly string[],
    roles: readonly LeafRole[],
    days: number,
  ): Promise<void> {
    const { ca, caKey } = await this.loadCa();
    for (const tunnel of tunnels) {
      for (const role of roles) {
        const keys = await newKeyPair();
        const now = this.now();
        const cert = await createLeaf({
          site: this.dir.site,
          tunnel,
          role,
          publicKey: keys.publicKey,
          ca,
          caKey,
          now,
          days,
        });
        const old = currentRecord(state, tunnel, role);
        if (old) old.supersededAt = now.toISOString();
        const serial = serialOf(cert);
        // Key first: a certificate on disk always has its key beside it.
        await writeSecret(this.dir.key(tunnel, role), privateKeyPem(keys.privateKey));
        await writePublic(this.dir.cert(tunnel, role), certPem(cert));
        await writePublic(this.dir.issued(serial), certPem(cert));
        state.certs.push({
          serial,
          role,
          tunnel,
          subject: cert.subject,
          notBefore: cert.notBefore.toISOString(),
          notAfter: cert.notAfter.toISOString(),
        });
        this.report(`${cert.subject} serial ${serial} valid until ${cert.notAfter.toISOString()}`);
      }
      if (!(await isFile(this.dir.tlsCrypt(tunnel)))) {
        await writeSecret(this.dir.tlsCrypt(tunnel), tlsCryptKey());
        this.report(`wrote ${this.dir.tlsCrypt(tunnel)} (0600)`);
      }
    }
    await this.dir.writeState(state);
  }

  private async writeCrl(
    state: PkiState,
    ca: x509.X509Certificate,
    caKey: CryptoKey,
    crlDays: number,
  ): Promise<void> {
    state.crlNumber += 1;
    const crl = await createCrl({
      ca,
      caKey,
      revoked: state.certs.flatMap((c) =>
        c.revoked ? [{ serial: c.serial, revokedAt: c.revoked.at, reason: c.revoked.reason }] : [],
      ),
      number: state.crlNumber,
      now: this.now(),
      days: crlDays,
    });
    await writePublic(this.dir.crl, `${crlPem(crl)}\n`);
    this.report(`CRL number ${state.crlNumber}, next update ${crl.nextUpdate?.toISOString()}`);
  }
}
