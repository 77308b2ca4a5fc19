/** A password hash as a migration from the .NET back end leaves it, and the password it was made from. */
export const IMPORTED_PASSWORD = 'Imported-Pa55word!';
// An ASP.NET Core Identity V3 hash (HMAC-SHA-512, 100,000 iterations) of IMPORTED_PASSWORD, made with Node's crypto.
export const IMPORTED_HASH = 'AQAAAAIAAYagAAAAEPDh0sO0pZaHeGlaSzwtHg+YhplhgF1qFGS2yKb7O0sx4JCu2WZftv0luyzN/EvNjg==';
