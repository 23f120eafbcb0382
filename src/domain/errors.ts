/** Typed errors with stable codes; transports map them to responses in one place (src/http/errors.ts). */
export type ErrorCode =
  | 'config_invalid'
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'precondition_failed'
  | 'upstream_failed';

export class TunnelOpsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ConfigError extends TunnelOpsError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

export class BadRequestError extends TunnelOpsError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

export class UnauthorizedError extends TunnelOpsError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}
