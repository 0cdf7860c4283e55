/**
 * VCL's `currentimage.txt`: the first line is the image name, then `key=value` lines
 * (`id=`, `imagerevision_id=`, `prettyname=`, `vcld_post_load=success (<epoch>)`, ...).
 */
export interface CurrentImageInfo {
  image: string;
  /** All `key=value` lines, in file order. */
  properties: Record<string, string>;
  /** True when a `vcld_post_load` line records success. */
  postLoadDone: boolean;
}
