/**
 * Hardware of a node (oVirt's VmSize): counts and bytes, never KiB or GiB, so that units
 * are never guessed. The model layer converts YAML sizes into this.
 */
export interface SizeSpec {
  cpus: number;
  memoryBytes: number;
  /** Size of the system disk; must not be below the image's virtual size. Default: the image's. */
  diskBytes?: number;
}
