import { z } from '@hono/zod-openapi';
import { MAX_IMPORT_TENANTS, PASSWORD_HASH_MAX_CHARS, PASSWORD_INPUT_MAX_CHARS, PASSWORD_MAX_LENGTH } from './config';
import { ERRORS, type ErrorCode } from './error-codes';

/**
 * A required string whose error messages say what is wrong without echoing the value.
 * `maxMessageLength` is the limit to name when the real rule is stricter than this input cap.
 */
function requiredString(options: { min?: number; max: number; maxMessageLength?: number }) {
  const min = options.min ?? 1;
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .min(min, { error: min === 1 ? 'must not be empty' : `must be at least ${min} characters long` })
    .max(options.max, { error: `must be at most ${options.maxMessageLength ?? options.max} characters long` });
}

/**
 * Well-formed Unicode: a lone UTF-16 surrogate would be encoded as U+FFFD, so two different strings
 * would hash alike. In a `u` pattern a lone surrogate is a code point of category Cs, which is what
 * String.prototype.isWellFormed rejects; written as patterns, the rules show in the OpenAPI document.
 */
const WELL_FORMED = /^\P{Cs}*$/u;
/** No control characters (category Cc: NUL, tab, line breaks, DEL, C1). */
const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;

const wellFormed = <T extends z.ZodString>(schema: T) =>
  schema.regex(WELL_FORMED, { error: 'must be well-formed Unicode (no lone UTF-16 surrogates)' });

/** Text a tenant chooses (a new password, a name): well-formed, and no control characters. */
const printable = <T extends z.ZodString>(schema: T) =>
  wellFormed(schema).regex(NO_CONTROL_CHARACTERS, { error: 'must not contain control characters' });

/** User names are emails, compared case-insensitively: trimmed and lower-cased before anything else. */
const userName = () =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .toLowerCase()
    .min(1, { error: 'must not be empty' })
    .max(100, { error: 'must be at most 100 characters long' });

const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** The contract's own examples. */
export const EXAMPLE_TENANT_ID = '65353E22-C3A6-4600-9DE4-9813D5ECC6B4';
export const EXAMPLE_STAMP = 'A55C13AC-FDCC-45B0-8BE5-138DBA9902E4';
export const EXAMPLE_LOGIN_RESULT = {
  token: `${EXAMPLE_TENANT_ID}.${'0f'.repeat(16)}.${'ExampleSecret'.padEnd(43, '_')}.${'ExampleMac'.padEnd(22, '_')}`,
  expiresAt: '2026-11-29T01:21:00.211Z',
  deviceToken: `${'5e'.repeat(16)}.${'ExampleDeviceSecret'.padEnd(43, '_')}.${'ExampleDeviceMac'.padEnd(22, '_')}`,
  authContactBookInfo: {
    id: EXAMPLE_TENANT_ID,
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane.doe@example.com',
    phoneNumber: null,
  },
};

export const TenantId = z
  .string()
  .openapi({ format: 'uuid', example: EXAMPLE_TENANT_ID, description: 'The tenant (client) id.' });

export const ConcurrencyStamp = z.string().openapi({
  format: 'uuid',
  example: EXAMPLE_STAMP,
  description: "The tenant's live stamp: the same for every session until a change uses it or it expires.",
});

const password = (description: string) =>
  printable(requiredString({ max: PASSWORD_INPUT_MAX_CHARS, maxMessageLength: PASSWORD_MAX_LENGTH })).openapi({
    description: `${description} The policy allows at most ${PASSWORD_MAX_LENGTH} characters; longer input is refused before hashing. Well-formed Unicode without control characters.`,
    example: 'correct horse battery staple',
  });

export const RegisterBody = z
  .object({
    userName: userName()
      .pipe(z.email({ error: 'must be an email address' }))
      .openapi({ format: 'email', example: 'jane.doe@example.com' }),
    password: password('Must pass the password policy.'),
    firstName: printable(requiredString({ min: 2, max: 60 })).openapi({ example: 'Jane' }),
    lastName: printable(requiredString({ min: 2, max: 60 })).openapi({ example: 'Doe' }),
    phoneNumber: z
      .string({ error: 'must be a string' })
      .max(15, { error: 'must be at most 15 characters long' })
      .nullish()
      .openapi({ example: '+15551234567' }),
  })
  .openapi('RegisterRequest');

/** An ASP.NET Core Identity V3 hash (HMAC-SHA-512, 100,000 iterations) of `Imported-Pa55word!`, a vector of src/auth/password.test.ts. */
export const EXAMPLE_V3_HASH = 'AQAAAAIAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==';

/** One tenant of an import: a registration (the same rules, field by field) whose password comes already hashed. */
export const ImportTenant = RegisterBody.omit({ password: true })
  .extend({
    passwordHash: requiredString({ max: PASSWORD_HASH_MAX_CHARS }).openapi({
      description:
        'The tenant\'s existing password hash: an ASP.NET Core Identity V3 hash (base64 of 0x01, PRF, iteration count, ' +
        'salt length, salt, key; HMAC-SHA-1/256/512, 1,000 to 100,000 iterations), as AspNetUsers.PasswordHash holds it, ' +
        'or a hash in this service\'s own stored format. Verified at the first login and replaced then.',
      example: EXAMPLE_V3_HASH,
    }),
  })
  .openapi('ImportTenant');

export const ImportBody = z
  .object({
    tenants: z
      .array(z.unknown(), { error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array') })
      .min(1, { error: 'must hold at least one tenant' })
      .max(MAX_IMPORT_TENANTS, { error: `must hold at most ${MAX_IMPORT_TENANTS} tenants; split the list into several calls` })
      .openapi({
        // Each entry is validated on its own: a malformed one is skipped with its code, the others imported.
        items: { $ref: '#/components/schemas/ImportTenant' },
        description: `1 to ${MAX_IMPORT_TENANTS} tenants. Each is checked on its own; a malformed one is skipped, not the call refused.`,
        example: [
          { userName: 'jane.doe@example.com', firstName: 'Jane', lastName: 'Doe', phoneNumber: '+15551234567', passwordHash: EXAMPLE_V3_HASH },
        ],
      }),
  })
  .openapi('ImportRequest');

/** Why an import skips an entry: a taken user name, or the code of its first malformed field. */
export const IMPORT_SKIP_CODES = [
  'USER_ALREADY_EXISTS',
  'INVALID_PARAM_TENANTS',
  'INVALID_PARAM_USER_NAME',
  'INVALID_PARAM_FIRST_NAME',
  'INVALID_PARAM_LAST_NAME',
  'INVALID_PARAM_PHONE_NUMBER',
  'INVALID_PARAM_PASSWORD_HASH',
] as const satisfies readonly ErrorCode[];

export const ImportResult = z
  .object({
    imported: z
      .array(z.object({ index: z.number().int().min(0), id: TenantId }))
      .openapi({ description: 'The tenants created, by their index in `tenants`, with their new ids.' }),
    skipped: z
      .array(
        z.object({
          index: z.number().int().min(0),
          code: z.enum(IMPORT_SKIP_CODES),
          message: z.string().openapi({ description: 'What is wrong with the entry; never a value from it.' }),
        }),
      )
      .openapi({
        description:
          'The entries not imported: USER_ALREADY_EXISTS for a user name the business has (or an earlier entry of the same call), ' +
          'INVALID_PARAM_<FIELD> for a malformed entry (INVALID_PARAM_TENANTS when it is not an object).',
      }),
  })
  .openapi('ImportResult');

export const LoginBody = z
  .object({
    userName: userName().openapi({ example: 'jane.doe@example.com' }),
    // Control characters stay allowed: passwords set before the rule (or imported) may hold them.
    password: wellFormed(requiredString({ max: PASSWORD_INPUT_MAX_CHARS })).openapi({ example: 'correct horse battery staple' }),
  })
  .openapi('LoginRequest');

export const ChangePasswordBody = z
  .object({
    existingPassword: wellFormed(requiredString({ max: PASSWORD_INPUT_MAX_CHARS })).openapi({
      example: 'correct horse battery staple',
    }),
    newPassword: password('Must pass the password policy and differ from the existing password.').openapi({
      example: 'a new and longer passphrase',
    }),
    concurrencyStamp: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .regex(GUID, { error: 'must be a GUID' })
      .openapi({ format: 'uuid', example: EXAMPLE_STAMP }),
  })
  .openapi('ChangePasswordRequest');

export const AuthContactBookInfo = z
  .object({
    id: TenantId,
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().openapi({ format: 'email' }),
    phoneNumber: z.string().nullable(),
  })
  .openapi('AuthContactBookInfo');

export const LoginResult = z
  .object({
    token: z.string().openapi({ description: 'Send as X-Token on session routes.' }),
    expiresAt: z.string().openapi({ format: 'date-time' }),
    deviceToken: z.string().openapi({
      description:
        "Keep it on this device and send it as X-Device-Token on this user's later logins: failed passwords are " +
        "then counted for this device alone, so nobody else's failures can lock it out. The same token comes back " +
        'while it is valid (each such login renews it for DEVICE_TOKEN_TTL_DAYS, default 90); a new one otherwise.',
    }),
    authContactBookInfo: AuthContactBookInfo,
  })
  .openapi('LoginResult');

const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

export const ErrorEntry = z
  .object({
    code: z.enum(ERROR_CODES).openapi({ example: 'INVALID_PARAM_NEW_PASSWORD' }),
    message: z.string(),
    field: z.string().optional(),
  })
  .openapi('Error');

export type ErrorEntry = z.infer<typeof ErrorEntry>;

export const FailureEnvelope = z
  .object({
    data: z.null(),
    succeeded: z.literal(false),
    status: z.enum(ERROR_CODES).openapi({ description: 'The primary error code; equals errors[0].code.' }),
    errors: z.array(ErrorEntry).min(1),
  })
  .openapi('FailureEnvelope');

export type FailureEnvelope = z.infer<typeof FailureEnvelope>;

const successFields = {
  succeeded: z.literal(true),
  status: z.literal('SUCCESS'),
  errors: z.null(),
};

export type SuccessEnvelope<T> = z.infer<z.ZodObject<typeof successFields>> & { data: T };

/** The success envelope around `data`. */
export function envelopeOf<T extends z.ZodType>(data: T, name: string, example: z.output<T>) {
  return z
    .object({ data, ...successFields })
    .openapi(name, { example: { data: example, succeeded: true, status: 'SUCCESS', errors: null } });
}

export const EXAMPLE_SESSION_INFO = {
  tenantId: EXAMPLE_TENANT_ID,
  expiresAt: '2026-11-29T13:21:00.211Z',
  idleExpiresAt: '2026-11-29T03:21:00.211Z',
};

export const SessionInfo = z
  .object({
    tenantId: TenantId,
    expiresAt: z.string().openapi({ format: 'date-time', description: 'The end of the session\'s lifetime (SESSION_TTL_MINUTES after its login).' }),
    idleExpiresAt: z.string().openapi({
      format: 'date-time',
      description:
        'When the session ends unless it is used again (SESSION_IDLE_MINUTES after its last recorded use; a use is ' +
        'recorded at most once a minute). The session ends at the earlier of the two.',
    }),
  })
  .openapi('SessionInfo');

/** Tenant administration: the tenant id in the path, a GUID in either case, compared upper-case. */
export const TenantIdParam = z.object({
  tenantId: z
    .string()
    .regex(GUID, { error: 'must be a GUID' })
    .transform((id) => id.toUpperCase())
    .openapi({ param: { name: 'tenantId', in: 'path' }, format: 'uuid', example: EXAMPLE_TENANT_ID }),
});

export const UserNameQuery = z.object({
  userName: userName()
    .pipe(z.email({ error: 'must be an email address' }))
    .openapi({ param: { name: 'userName', in: 'query' }, format: 'email', example: 'jane.doe@example.com' }),
});

export const EXAMPLE_ADMIN_TENANT = {
  id: EXAMPLE_TENANT_ID,
  userName: 'jane.doe@example.com',
  firstName: 'Jane',
  lastName: 'Doe',
  phoneNumber: '+15551234567',
  disabled: false,
  createdAt: '2026-11-02T09:14:07.512Z',
  passwordChangedAt: null,
};

export const AdminTenant = z
  .object({
    id: TenantId,
    userName: z.string().openapi({ format: 'email' }),
    firstName: z.string(),
    lastName: z.string(),
    phoneNumber: z.string().nullable(),
    disabled: z.boolean().openapi({ description: 'Disabled tenants cannot log in (INVALID_CREDENTIALS, as an unknown user) and have no sessions.' }),
    createdAt: z.string().openapi({ format: 'date-time', description: 'When the tenant registered (or was imported).' }),
    passwordChangedAt: z
      .string()
      .nullable()
      .openapi({ format: 'date-time', description: 'When the password was last changed or reset; null if never since registration or import.' }),
  })
  .openapi('AdminTenant');

export const SignOutResult = z
  .object({ revoked: z.number().int().min(0).openapi({ description: 'How many live sessions were revoked.', example: 2 }) })
  .openapi('SignOutResult');
/** A password-reset token: `<tenant id>.<token id>.<secret>.<mac>` (src/auth/reset-token.ts). */
export const RESET_TOKEN_PATTERN =
  /^([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

export const EXAMPLE_RESET_TOKEN = `${EXAMPLE_TENANT_ID}.${'7a'.repeat(16)}.${'ExampleResetSecret'.padEnd(43, '_')}.${'ExampleResetMac'.padEnd(22, '_')}`;

export const ResetTokenIssued = z
  .object({
    resetToken: z.string().openapi({
      description:
        'Single use, valid until expiresAt (RESET_TOKEN_MINUTES, default 30). Deliver it to the tenant by your own ' +
        'channel; the service sends nothing. Issuing another one for the tenant makes this one invalid.',
      example: EXAMPLE_RESET_TOKEN,
    }),
    expiresAt: z.string().openapi({ format: 'date-time', example: '2026-11-29T01:51:00.211Z' }),
  })
  .openapi('ResetTokenIssued');

export const PasswordResetBody = z
  .object({
    resetToken: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .regex(RESET_TOKEN_PATTERN, { error: 'must be a reset token as the business received it' })
      .openapi({ example: EXAMPLE_RESET_TOKEN }),
    newPassword: password('Must pass the password policy and differ from the last PASSWORD_HISTORY passwords.').openapi({
      example: 'a new and longer passphrase',
    }),
  })
  .openapi('PasswordResetRequest');
