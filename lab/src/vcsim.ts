/**
 * State of the lab's `vcsim-esx` and `vcsim-vpx` services: govmomi's vSphere simulator
 * (from Debian) serving a standalone ESXi or a vCenter model over HTTPS on loopback.
 */
export interface VcsimLabState {
  /** The SDK endpoint, `https://127.0.0.1:<port>/sdk`. */
  url: string;
  username: string;
  password: string;
  /** SHA-1 of the server certificate, colon-separated upper-case hex (as vSphere shows it). */
  thumbprintSha1: string;
  /** SHA-256 of the server certificate, same notation. */
  thumbprintSha256: string;
  /** The server certificate (self-signed, fresh per start) as a PEM file, usable as a CA file. */
  caPath: string;
  mode: 'esx' | 'vpx';
  /** Inventory path of the datacenter, `/ha-datacenter` (ESX) or `/DC0` (vCenter). */
  datacenter: string;
  /** The lab's template (with a root snapshot), `<name>-v<revision>`. */
  image: string;
  /** Folder under the datacenter's VM folder holding the template; empty on ESX (no VM folders). */
  imagesFolder: string;
  pidPath: string;
  logPath: string;
}
