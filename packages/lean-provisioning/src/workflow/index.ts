export * from './lean-provisioning.ts';
