// Prints the Node that npm scripts run on (the devDependency `node`, first on their PATH) and fails unless it is
// the version in .nvmrc: tests and benches on any other Node would prove nothing about the one we ship.
import { readFileSync } from 'node:fs';

const want = `v${readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim()}`;
process.stdout.write(
  `node --version: ${process.version} (what npm scripts, the tests and the benches run on)\n`,
);
if (process.version !== want) {
  process.stderr.write(`error: expected ${want} (.nvmrc); run \`npm ci\` to install the pinned node\n`);
  process.exit(1);
}
