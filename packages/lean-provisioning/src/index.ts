/**
 * `@provkit/lean-provisioning`: stoney cloud's model (sizes, profiles, templates and their
 * modes, pools, persistent VMs, the `Inventory` interface, storage allocation) and the
 * `LeanProvisioning` workflow over any provisioner and OS module.
 *
 * @packageDocumentation
 */
export * from './model/index.ts';
export * from './workflow/index.ts';
