import type { ServerResponse } from 'node:http';
import { type ErrorCode, TunnelOpsError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { JSON_HEADERS } from './json-headers.js';

/** The one place typed errors become HTTP responses. */
const STATUS: Record<ErrorCode, number> = {
  config_invalid: 500,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  upstream_failed: 502,
};

export function httpStatusOf(err: unknown): number {
  return err instanceof TunnelOpsError ? STATUS[err.code] : 500;
}

/** Typed errors say what was wrong; anything else names only the request id the log has the details under. */
export function sendError(res: ServerResponse, err: unknown, requestId?: string): void {
  const status = httpStatusOf(err);
  const ref = requestId ? ` (request ${requestId})` : '';
  const body =
    err instanceof TunnelOpsError && status < 500
      ? { error: err.code, message: err.message }
      : {
          error: err instanceof TunnelOpsError ? err.code : 'internal',
          message: `something went wrong on our side; the server log has the details${ref}`,
          ...(requestId ? { requestId } : {}),
        };
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...JSON_HEADERS,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Runs a route's work; typed errors become their HTTP status, and only unexpected ones are logged as errors. */
export async function guarded(
  // What it needs of a RoutedRequest (importing that type from server.ts would close a circle).
  req: { id: string; log: Logger },
  res: ServerResponse,
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (httpStatusOf(err) >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ reason: (err as Error).message }, 'request rejected');
    sendError(res, err, req.id);
  }
}
