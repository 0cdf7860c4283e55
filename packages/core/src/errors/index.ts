export type { ProvkitErrorByCode, ProvkitErrorWithCode } from './error-by-code.ts';
export { isProvkitErrorCode, PROVKIT_ERROR_CODES, ProvkitError, type ProvkitErrorCode, type ProvkitErrorOptions } from './provkit-error.ts';
export * from './errors.ts';
