export * from './validate.ts';
export * from './byte-quantity.ts';
export * from './node-spec.ts';
export * from './ssh-public-key.ts';
export * from './access.ts';
