import { BadRequestError } from './errors.js';

/** Limits for JSON that came from outside. Bodies are already size-bounded by the HTTP server. */
export interface JsonLimits {
  maxBytes: number;
  /** Deepest nesting of objects/arrays accepted (our payloads nest < 20; GitHub's < 15). */
  maxDepth: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 1024 * 1024, maxDepth: 64 };

/**
 * JSON.parse for external data, after a size check and a linear nesting scan: a deep `[[[[...` would
 * otherwise cost stack and time inside JSON.parse and in every walker after it.
 */
export function parseBoundedJson(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  if (text.length > limits.maxBytes)
    throw new BadRequestError(`JSON is larger than ${limits.maxBytes} bytes`);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth)
        throw new BadRequestError(`JSON nests deeper than ${limits.maxDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('body is not valid JSON');
  }
}
