import { InvalidInputError } from '../../../errors/index.ts';
import { checkImageName, checkObject, checkOptionalObject } from '../../../validate/index.ts';
import type { CurrentImageInfo } from './current-image.ts';

/** Property names `currentimage.txt` carries: what VCL writes (`id`, `imagerevision_id`, `vcld_post_load`, ...). */
const KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** Options of {@link formatCurrentImageText}. */
export interface FormatCurrentImageOptions {
  /** When post-load is recorded as done without a `vcld_post_load` value (default: now). */
  now?: Date;
  /** `lf` (default; Linux) or `crlf` (Windows). */
  lineEnding?: 'lf' | 'crlf';
}

/** VCL's post-load record: `success (<epoch seconds>)`. */
export function postLoadRecord(at: Date): string {
  return `success (${Math.floor(at.getTime() / 1000)})`;
}

/**
 * Parses VCL's `currentimage.txt`, the one parser every OS module uses: the first non-empty
 * line is the image name, then `key=value` lines (later duplicates win; lines that are not a
 * property are ignored). A UTF-8 BOM, Windows line endings and blank lines are tolerated.
 * `undefined` for a file that names no image. `postLoadDone` is true when `vcld_post_load`
 * starts with `success`.
 */
export function parseCurrentImageText(text: string): CurrentImageInfo | undefined {
  const lines = text.replace(/^\uFEFF/, '').replace(/\r/g, '').split('\n').map((line) => line.trim());
  const first = lines.findIndex((line) => line.length > 0);
  if (first === -1) return undefined;
  const properties: Record<string, string> = {};
  for (const line of lines.slice(first + 1)) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at).trim();
    if (KEY.test(key)) properties[key] = line.slice(at + 1).trim();
  }
  return { image: lines[first]!, properties, postLoadDone: /^success\b/.test(properties.vcld_post_load ?? '') };
}

/**
 * Formats `currentimage.txt`, the one formatter every OS module uses, after checking the image
 * name, property names and values (one line each) with `InvalidInputError` naming the field,
 * so what is written reads back the same. `postLoadDone: true` without a `vcld_post_load`
 * success value adds `vcld_post_load=success (<epoch seconds>)`, as VCL writes it;
 * `postLoadDone: false` drops any `vcld_post_load`.
 */
export function formatCurrentImageText(info: CurrentImageInfo, options: FormatCurrentImageOptions = {}): string {
  checkObject('info', info);
  const image = checkImageName('info.image', info.image);
  const properties: Record<string, string> = { ...checkOptionalObject<Record<string, string>>('info.properties', info.properties) };
  for (const [key, value] of Object.entries(properties)) {
    if (!KEY.test(key)) throw new InvalidInputError(`info.properties.${key}`, `property names are 1-64 letters, digits, "_", "." and "-"`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new InvalidInputError(`info.properties.${key}`, 'a value is a string on one line');
  }
  if (info.postLoadDone && !/^success\b/.test(properties.vcld_post_load ?? '')) properties.vcld_post_load = postLoadRecord(options.now ?? new Date());
  if (!info.postLoadDone) delete properties.vcld_post_load;
  const lines = [image, ...Object.entries(properties).map(([key, value]) => `${key}=${value}`)];
  const end = options.lineEnding === 'crlf' ? '\r\n' : '\n';
  return `${lines.join(end)}${end}`;
}
