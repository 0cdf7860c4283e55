// The types every V1 contract takes (nodes, sizes, customization, images) are versioned with
// them: a V2 contract gets its own beside these, and these are never edited.
export type * from './v1/node.ts';
export type * from './v1/size.ts';
export type * from './v1/customization.ts';
export type * from './v1/image.ts';
export { checkCustomizationShape } from './v1/customization-shape.ts';
export { checkNodeSpec } from './v1/operation-input.ts';
