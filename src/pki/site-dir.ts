import { constants } from 'node:fs';
import { access, chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { formatZodError } from '../config/format-zod-error.js';
import { BadRequestError, ConfigError } from '../domain/errors.js';
import { checkName, type LeafRole } from './names.js';
import { type PkiState, pkiStateSchema } from './pki-state.js';
import * as x509 from './x509.js';

/** Bounds on what is read back: a state file or certificate larger than this is not ours. */
const MAX_STATE_BYTES = 4 * 1024 * 1024;
const MAX_PEM_BYTES = 256 * 1024;

/**
 * Where the PKI lives: `--pki-dir`, else TUNNELOPS_PKI_DIR, else the sandbox's `<TUNNELOPS_DATA_DIR>/pki`
 * (default `.data/pki`), so the demo site's generated PKI is found with no settings at all.
 */
export function resolvePkiRoot(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.TUNNELOPS_PKI_DIR ?? join(env.TUNNELOPS_DATA_DIR ?? '.data', 'pki'));
}

/**
 * One site's PKI directory (0700):
 *   ca.crt  ca.key (0600; may live offline)  crl.pem  state.json  issued/<SERIAL>.crt
 *   <tunnel>/server.crt server.key client.crt client.key tls-crypt.key   (keys 0600)
 * Files are replaced atomically (write then rename), so an interrupted run leaves the old file whole.
 */
export class SiteDir {
  readonly dir: string;

  constructor(
    readonly root: string,
    readonly site: string,
  ) {
    this.dir = join(root, checkName('site', site));
  }

  get caCrt(): string {
    return join(this.dir, 'ca.crt');
  }
  get caKey(): string {
    return join(this.dir, 'ca.key');
  }
  get crl(): string {
    return join(this.dir, 'crl.pem');
  }
  get stateFile(): string {
    return join(this.dir, 'state.json');
  }
  issued(serial: string): string {
    return join(this.dir, 'issued', `${serial}.crt`);
  }
  tunnelDir(tunnel: string): string {
    return join(this.dir, checkName('tunnel', tunnel));
  }
  cert(tunnel: string, role: LeafRole): string {
    return join(this.tunnelDir(tunnel), `${role}.crt`);
  }
  key(tunnel: string, role: LeafRole): string {
    return join(this.tunnelDir(tunnel), `${role}.key`);
  }
  tlsCrypt(tunnel: string): string {
    return join(this.tunnelDir(tunnel), 'tls-crypt.key');
  }

  async exists(): Promise<boolean> {
    return isFile(this.stateFile);
  }

  /** Throws the "run init first" error when the site has no PKI here. */
  async requireInit(): Promise<void> {
    if (!(await this.exists()))
      throw new ConfigError(
        `no PKI for site "${this.site}" in ${this.root}: run \`npm run pki -- init ${this.site}\` (or set TUNNELOPS_PKI_DIR to where it is)`,
      );
  }

  async readState(): Promise<PkiState> {
    await this.requireInit();
    const text = await readBounded(this.stateFile, MAX_STATE_BYTES);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ConfigError(`${this.stateFile} is not JSON`);
    }
    const parsed = pkiStateSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(formatZodError(parsed.error, this.stateFile));
    if (parsed.data.site !== this.site)
      throw new ConfigError(`${this.stateFile} belongs to site "${parsed.data.site}", not "${this.site}"`);
    return parsed.data;
  }

  writeState(state: PkiState): Promise<void> {
    return writePublic(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  async readCa(): Promise<x509.X509Certificate> {
    return new x509.X509Certificate(await readBounded(this.caCrt, MAX_PEM_BYTES));
  }

  async readCrl(): Promise<x509.X509Crl | undefined> {
    if (!(await isFile(this.crl))) return undefined;
    return new x509.X509Crl(await readBounded(this.crl, MAX_PEM_BYTES));
  }

  async readCert(path: string): Promise<x509.X509Certificate> {
    return new x509.X509Certificate(await readBounded(path, MAX_PEM_BYTES));
  }

  /** Sites with a PKI under root, sorted. */
  static async sites(root: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return [];
    }
    const found: string[] = [];
    for (const name of names.sort()) {
      if (/^[a-z][a-z0-9-]{0,62}$/.test(name) && (await isFile(join(root, name, 'state.json'))))
        found.push(name);
    }
    return found;
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export async function readBounded(path: string, max: number): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new BadRequestError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (buf.length > max)
    throw new BadRequestError(`${path} is larger than ${max} bytes: not a file this tool made`);
  return buf.toString('utf8');
}

/** A secret (private key, tls-crypt key): 0600 from the first byte on, in a 0700 directory. */
export function writeSecret(path: string, text: string): Promise<void> {
  return writeAtomic(path, text, 0o600);
}

export function writePublic(path: string, text: string): Promise<void> {
  return writeAtomic(path, text, 0o644);
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  // A fresh file ('wx') gets the mode at creation, so a secret is never readable by others, not even briefly;
  // chmod makes it exact whatever the umask.
  await rm(tmp, { force: true });
  await writeFile(tmp, text, { mode, flag: 'wx' });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
