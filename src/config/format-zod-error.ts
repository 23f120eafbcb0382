import type { z } from 'zod';

/** Turns zod issues into "path: what was expected" lines a person can act on. */
export function formatZodError(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length
      ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      : '(root)';
    return `  ${path.replace(/^\./, '')}: ${issue.message}`;
  });
  return `${source} is invalid:\n${lines.join('\n')}`;
}
