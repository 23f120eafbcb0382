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

/**
 * The one answer to an error a route threw: typed errors become their HTTP status (logged as a rejection),
 * anything else a 500 naming the request id (logged as an error). Used by the server for every route.
 */
export function answerError(req: { id: string; log: Logger }, res: ServerResponse, err: unknown): void {
  if (httpStatusOf(err) >= 500) req.log.error({ err }, 'request failed');
  else req.log.info({ reason: (err as Error).message }, 'request rejected');
  if (!res.headersSent && !res.destroyed) sendError(res, err, req.id);
}
