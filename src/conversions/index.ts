/**
 * Conversion intake: the signed webhook (`registerConversionRoutes`), CSV import
 * (`importConversionsCsv`), and the normalization both share (`parseConversion`).
 */
export { customerIdentifiers, toE164, whatsAppToE164, type CustomerIdentifiers, type CustomerInput } from './customer-identifiers.js';
export { MAX_FUTURE_MS, conversionFingerprint, differingFields, fieldErrors, parseConversion, type FieldError, type ParseConversionOptions, type ParsedConversion } from './parse-conversion.js';
export { MAX_SKEW_SECONDS, signBody, verifySignature, type SignatureCheck } from './verify-signature.js';
export { storeConversions, type StoreConversionsDeps, type StoreOutcome } from './store-conversions.js';
export { MAX_CONVERSION_BODY_BYTES, registerConversionRoutes, type ConversionRoutesOptions } from './conversion-routes.js';
export { COLUMN_ALIASES, ImportHeaderError, fieldOfHeader, importConversionsCsv, type ImportDeps, type ImportOptions, type ImportSummary, type RejectedRow } from './import-conversions.js';
export { CSV_ENCODINGS, decodeCsv, detectDelimiter, readCsv, type CsvEncoding, type CsvRecord } from './read-csv.js';
