/**
 * The few error classes of the service. Each carries a stable `code`; those that HTTP faces
 * carry a `status`. Catch them at the boundaries (HTTP error handler, worker failure path, CLI).
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Input failed validation at a boundary. */
export class ValidationError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 400);
    this.name = 'ValidationError';
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, 404);
    this.name = 'NotFoundError';
  }
}
