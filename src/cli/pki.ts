/**
 * `npm run pki -- <command>`: each site's CA, server and client certificates, tls-crypt keys and CRL;
 * `npm run pki -- --help` lists every command, option and where the CA key is needed.
 */
import { TunnelOpsError } from '../domain/errors.js';
import { EXIT, PKI_HELP, parsePkiArgs, UsageError } from './pki-args.js';
import { runPki } from './pki-main.js';

async function main(argv: string[]): Promise<number> {
  try {
    const args = parsePkiArgs(argv);
    if (args.command === 'help') {
      console.log(PKI_HELP);
      return EXIT.ok;
    }
    await runPki(args, { out: (line) => console.log(line), env: process.env });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`pki: ${err.message}\n(npm run pki -- --help lists the commands)`);
      return EXIT.usage;
    }
    if (err instanceof TunnelOpsError || err instanceof RangeError) {
      console.error(`pki: ${err.message}`);
      return EXIT.refused;
    }
    // Unexpected: the message only (a stack could quote a file's content; keys are never in messages).
    console.error(`pki: failed: ${(err as Error).message}`);
    return EXIT.refused;
  }
}

process.exitCode = await main(process.argv.slice(2));
