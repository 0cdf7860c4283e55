export { ProvkitError, type ProvkitErrorOptions } from './provkit-error.ts';
export * from './errors.ts';
