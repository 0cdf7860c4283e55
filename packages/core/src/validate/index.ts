export * from './validate.ts';
export * from './input-shape.ts';
