export { isProvkitErrorCode, PROVKIT_ERROR_CODES, ProvkitError, type ProvkitErrorCode, type ProvkitErrorOptions } from './provkit-error.ts';
export * from './errors.ts';
