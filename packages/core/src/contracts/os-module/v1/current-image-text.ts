import type { CurrentImageInfo } from './current-image.ts';

/**
 * Parses VCL's `currentimage.txt`: the image name on the first line, then `key=value` lines.
 * Windows line endings and blank lines are tolerated; returns `undefined` for an empty file.
 */
export function parseCurrentImageText(text: string): CurrentImageInfo | undefined {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const image = lines.shift()?.trim() ?? '';
  if (image === '') return undefined;
  const properties: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf('=');
    if (at > 0) properties[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { image, properties, postLoadDone: /^success\b/.test(properties.vcld_post_load ?? '') };
}

/**
 * Formats `currentimage.txt`. `postLoadDone: true` without a `vcld_post_load` property adds
 * `vcld_post_load=success (<epoch seconds>)`, as VCL writes it.
 */
export function formatCurrentImageText(info: CurrentImageInfo, now: Date = new Date()): string {
  const properties = { ...info.properties };
  if (info.postLoadDone && !/^success\b/.test(properties.vcld_post_load ?? '')) properties.vcld_post_load = `success (${Math.floor(now.getTime() / 1000)})`;
  if (!info.postLoadDone) delete properties.vcld_post_load;
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${value}`);
  for (const line of [info.image, ...lines]) if (/[\r\n]/.test(line)) throw new RangeError('currentimage.txt values cannot contain line breaks');
  return `${[info.image, ...lines].join('\n')}\n`;
}
