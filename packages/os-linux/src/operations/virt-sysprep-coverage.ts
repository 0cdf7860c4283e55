/**
 * The operations of virt-sysprep's default set that provkit does not implement, each with the
 * reason it does not apply to generalizing a running guest over SSH. Every other default
 * operation is in `LINUX_OPERATIONS` under virt-sysprep's own name (the catalog test checks
 * this against a recorded `virt-sysprep --list-operations`, not against this list alone).
 */
export const VIRT_SYSPREP_NOT_APPLICABLE: Readonly<Record<string, string>> = {
  customize:
    "virt-customize's options (packages, files, passwords, first-boot commands) are provkit's customization at load time (postLoad); with no options its one default effect is writing a fresh random seed into the image, which every clone then shares: provkit's random-seed removes the seed instead, so each clone makes its own.",
  script: 'runs scripts given with --script and does nothing without them; with provkit the caller runs its own commands on the guest (the runner) or at first boot (customization.firstBootCommand).',
  'lvm-uuids':
    "changes PV and VG UUIDs with every volume group deactivated, which only an offline disk allows: on the running guest the root's volume group is active and vgchange refuses a new UUID for a VG with active LVs. Run virt-sysprep --operations lvm-uuids on the captured image when clones must differ there.",
};
