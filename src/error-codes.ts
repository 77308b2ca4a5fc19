import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The contract's error codes, their HTTP status and the default human message. */
export const ERRORS = {
  INVALID_PARAM_CONTACT_BOOK_ID: { status: 400, message: 'The tenant id behind the request is missing or malformed.' },
  INVALID_PARAM_EXISTING_PASSWORD: { status: 400, message: 'existingPassword is invalid.' },
  INVALID_PARAM_NEW_PASSWORD: { status: 400, message: 'newPassword does not meet the password policy.' },
  INVALID_PARAM_CONCURRENCY_STAMP: { status: 400, message: 'concurrencyStamp must be a GUID.' },
  INVALID_PARAM_USER_NAME: { status: 400, message: 'userName is invalid.' },
  INVALID_PARAM_PASSWORD: { status: 400, message: 'password does not meet the password policy.' },
  INVALID_PARAM_FIRST_NAME: { status: 400, message: 'firstName is invalid.' },
  INVALID_PARAM_LAST_NAME: { status: 400, message: 'lastName is invalid.' },
  INVALID_PARAM_PHONE_NUMBER: { status: 400, message: 'phoneNumber is invalid.' },
  INVALID_CONTACT_BOOK_DETAILS_INFO: { status: 409, message: 'This tenant record cannot take a password change.' },
  CONCURRENCY_STAMP_CREATE_FAILED: { status: 500, message: 'A concurrency stamp could not be issued. Try again.' },
  CHANGE_PASSWORD_FAILED: {
    status: 409,
    message: 'The concurrency stamp is not current (unknown, already used, expired, or another change won). Request the current one.',
  },
  MISMATCH_EXISTING_PASSWORD: { status: 400, message: 'existingPassword does not match the current password.' },
  NO_RECORDS_FOUND: { status: 404, message: 'No tenant record was found for this session.' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed attempts. Try again later.' },
  UNAUTHORIZED: { status: 401, message: 'A valid X-API-Key and, where required, X-Token are needed.' },
  INVALID_CREDENTIALS: { status: 401, message: 'The user name or password is incorrect.' },
  USER_ALREADY_EXISTS: { status: 409, message: 'A tenant with this user name already exists.' },
  KEY_NOT_ALLOWED: { status: 403, message: 'This route needs a server key; the X-API-Key sent is a publishable one.' },
  INVALID_PARAM_RESET_TOKEN: { status: 400, message: 'resetToken is missing or malformed.' },
  RESET_TOKEN_INVALID: {
    status: 409,
    message: 'The reset token is unknown, used, expired, or superseded by a newer one. Ask the business for a new one.',
  },
  INVALID_PARAM_TENANTS: {
    status: 400,
    message: 'tenants must be an array of 1 to 1,000 tenants; split a longer list into several calls.',
  },
  INVALID_PARAM_PASSWORD_HASH: {
    status: 400,
    message: 'passwordHash is not an ASP.NET Core Identity V3 hash, nor one of this service\'s own, that could ever verify a login here.',
  },
  FAILED: { status: 400, message: 'The request could not be processed.' },
  SOMETHING_WENT_WRONG: { status: 500, message: 'Something went wrong on our side. Try again later.' },
} as const satisfies Record<string, { status: ContentfulStatusCode; message: string }>;

export type ErrorCode = keyof typeof ERRORS;
