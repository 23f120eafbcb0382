import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (infra/lib/common -> ../../..), whatever the working directory. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
