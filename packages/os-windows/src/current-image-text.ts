import { assertImageName, assertObject, assertOptionalObject, formatCurrentImageText, InvalidInputError, parseCurrentImageText, type CurrentImageInfo } from '@provkit/core';

/**
 * Formats VCL's `currentimage.txt` for Windows: core's format (image name, then `key=value`
 * lines, `vcld_post_load=success (<epoch>)` when post-load is done) with CRLF line ends, after
 * checking the image name, keys and values so nothing odd reaches the guest's file.
 */
export function formatCurrentImage(info: CurrentImageInfo, now: Date = new Date()): string {
  assertObject('info', info);
  assertImageName('info.image', info.image);
  for (const [key, value] of Object.entries(assertOptionalObject<Record<string, unknown>>('info.properties', info.properties) ?? {})) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new InvalidInputError('info.properties', `key ${JSON.stringify(key)} is not 1-64 letters, digits, "_", ".", "-"`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new InvalidInputError(`info.properties.${key}`, 'must be a string on one line');
  }
  return formatCurrentImageText(info, now).replace(/\n/g, '\r\n');
}

/** Parses `currentimage.txt` as Windows tools may leave it (CRLF, a UTF-8 BOM); `undefined` when it names no image. */
export function parseCurrentImage(text: string): CurrentImageInfo | undefined {
  return parseCurrentImageText(text.replace(/^\uFEFF/, ''));
}
