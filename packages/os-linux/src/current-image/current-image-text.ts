import { assertImageName, assertObject, assertOptionalObject, InvalidInputError, type CurrentImageInfo } from '@provkit/core';

/** Where VCL keeps the record of the loaded image on a Linux node. */
export const CURRENT_IMAGE_PATH = '/root/currentimage.txt';

const KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Reads VCL's `currentimage.txt`: the first non-empty line is the image name, then
 * `key=value` lines (later duplicates win; other lines are ignored). `undefined` for an empty
 * file. `postLoadDone` is true when `vcld_post_load` starts with `success`.
 */
export function parseCurrentImage(text: string): CurrentImageInfo | undefined {
  const lines = text.replace(/\r/g, '').split('\n').map((line) => line.trim());
  const first = lines.findIndex((line) => line.length > 0);
  if (first === -1) return undefined;
  const properties: Record<string, string> = {};
  for (const line of lines.slice(first + 1)) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals).trim();
    if (KEY.test(key)) properties[key] = line.slice(equals + 1).trim();
  }
  return { image: lines[first]!, properties, postLoadDone: /^success\b/.test(properties.vcld_post_load ?? '') };
}

/**
 * Writes `currentimage.txt` text after checking the image name, keys and values (no line
 * breaks), so what is written reads back the same. `postLoadDone` is not written by itself:
 * post-load records it as a `vcld_post_load` property.
 */
export function formatCurrentImage(info: CurrentImageInfo): string {
  assertObject('info', info);
  const image = assertImageName('info.image', info.image);
  const lines = [image];
  for (const [key, value] of Object.entries(assertOptionalObject<Record<string, unknown>>('info.properties', info.properties) ?? {})) {
    if (!KEY.test(key)) throw new InvalidInputError(`info.properties.${key}`, `property names are letters, digits, "_", "." and "-" (${KEY.source})`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new InvalidInputError(`info.properties.${key}`, 'a value is a string on one line');
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** VCL's post-load record: `success (<epoch seconds>)`. */
export function postLoadValue(at: Date): string {
  return `success (${Math.floor(at.getTime() / 1000)})`;
}
