/** `npm run docs`: writes the generated references (docs/tunnels-yml.md) from their sources. */
import { writeFileSync } from 'node:fs';
import { referenceMarkdown } from '../config/topology-reference.js';

export const GENERATED_DOCS: ReadonlyArray<readonly [string, () => string]> = [
  ['docs/tunnels-yml.md', referenceMarkdown],
];

for (const [path, render] of GENERATED_DOCS) {
  writeFileSync(path, render());
  process.stdout.write(`wrote ${path}\n`);
}
