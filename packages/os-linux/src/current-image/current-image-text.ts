/** Where VCL keeps the record of the loaded image on a Linux node (read and written with core's `parseCurrentImageText` / `formatCurrentImageText`). */
export const CURRENT_IMAGE_PATH = '/root/currentimage.txt';
