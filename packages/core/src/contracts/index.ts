export * from './shared/index.ts';
export * from './provisioner/v1/index.ts';
export * from './os-module/v1/index.ts';
