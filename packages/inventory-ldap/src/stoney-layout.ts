import { rdn } from './ldap-escape.ts';

/**
 * Where stoney cloud keeps things, below a base DN:
 * VMs and templates at `sstVirtualMachine=<uuid>,ou=virtual machines,ou=virtualization,ou=services,<base>`
 * with their disk at `sstDisk=vda,ou=devices,<vm dn>`, pools at
 * `sstVirtualMachinePool=<uuid>,ou=virtual machine pools,ou=virtualization,ou=services,<base>`.
 */
export class StoneyLayout {
  readonly baseDN: string;

  constructor(baseDN: string) {
    this.baseDN = baseDN;
  }

  get virtualization(): string {
    return `ou=virtualization,ou=services,${this.baseDN}`;
  }

  get machines(): string {
    return `${rdn('ou', 'virtual machines')},${this.virtualization}`;
  }

  get pools(): string {
    return `${rdn('ou', 'virtual machine pools')},${this.virtualization}`;
  }

  machine(id: string): string {
    return `${rdn('sstVirtualMachine', id)},${this.machines}`;
  }

  devices(id: string): string {
    return `${rdn('ou', 'devices')},${this.machine(id)}`;
  }

  disk(id: string): string {
    return `${rdn('sstDisk', 'vda')},${this.devices(id)}`;
  }

  pool(id: string): string {
    return `${rdn('sstVirtualMachinePool', id)},${this.pools}`;
  }

  /** The machine id a disk or devices DN belongs to, or undefined. */
  machineOf(dn: string): string | undefined {
    const match = /(?:^|,)sstVirtualMachine=([0-9a-f-]{36}),/i.exec(dn);
    return match?.[1]?.toLowerCase();
  }
}
