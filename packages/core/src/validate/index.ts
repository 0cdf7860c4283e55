export * from './validate.ts';
export * from './input-shape.ts';
export * from './byte-quantity.ts';
export * from './ssh-public-key.ts';
export * from './access.ts';
