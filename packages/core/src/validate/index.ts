export * from './validate.ts';
export * from './byte-quantity.ts';
