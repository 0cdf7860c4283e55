export type * from './node.ts';
export type * from './size.ts';
export type * from './customization.ts';
export type * from './image.ts';
export { assertCustomizationShape } from './customization-shape.ts';
export { assertNodeSpec } from './operation-input.ts';
