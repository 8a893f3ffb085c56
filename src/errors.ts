/** Domain errors; the error middleware maps each to a status and a page. */
export class AppError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(message, 404);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Forbidden') {
    super(message, 403);
  }
}

/** A form post without a valid CSRF token. */
export class CsrfError extends AppError {
  constructor() {
    super('Invalid CSRF token', 403);
  }
}

export class ConflictError extends AppError {
  constructor(message = 'Conflict') {
    super(message, 409);
  }
}

/** The case changed since the page that sent this was read: someone else acted first. */
export class StaleVersionError extends ConflictError {
  constructor() {
    super('stale version');
  }
}

/** The case's state does not allow this action (the state machine refuses it). */
export class ActionNotAllowedError extends ConflictError {
  constructor(
    readonly action: string,
    readonly state: string,
  ) {
    super(`cannot ${action} a case that is ${state}`);
  }
}

/** A case is extended once at most. */
export class AlreadyExtendedError extends ConflictError {
  constructor() {
    super('already extended');
  }
}

/** A villager rates a case once. */
export class AlreadyRatedError extends ConflictError {
  constructor() {
    super('already rated');
  }
}

/** 重新办理 only while the case is resolved and within the days allowed after resolution. */
export class ReopenClosedError extends ConflictError {
  constructor() {
    super('reopen window closed');
  }
}

/** A phone number that belongs to a cadre who serves none of the caller's villages. */
export class CadreElsewhereError extends ConflictError {
  constructor(
    readonly cadreId: number,
    /** the villages the cadre really serves, for the audit log */
    readonly villageCodes: string[],
  ) {
    super('cadre serves other villages');
  }
}

export interface FieldError {
  field: string;
  text: string;
  href: string;
}

export class ValidationError extends AppError {
  constructor(readonly errors: FieldError[]) {
    super('Validation failed', 400);
  }
}

/** A form filled in by a program, not a person (the hidden field people never see): nothing is saved. */
export class SpamError extends AppError {
  constructor() {
    super('Spam', 400);
  }
}

/** A multipart body that could not be read (cut short, no boundary, a bad part header) and could not be answered with its form. */
export class UploadError extends AppError {
  constructor(readonly problem: string) {
    super('Upload could not be read', 400);
  }
}

/** Text holding U+0000 (a NUL), which PostgreSQL cannot store: the request is refused before anything reads it. */
export class NulInputError extends AppError {
  constructor() {
    super('Input holds a NUL character', 400);
  }
}
