/**
 * Encodes a password the way Windows SIM writes it with "hide sensitive data": base64 of the
 * UTF-16LE bytes of the password followed by the setting's name (`AdministratorPassword`,
 * `Password`), used with `<PlainText>false</PlainText>`. This hides the password from a casual
 * reader; it is not encryption.
 */
export function encodeUnattendPassword(password: string, setting = 'AdministratorPassword'): string {
  return Buffer.from(password + setting, 'utf16le').toString('base64');
}

/** The password inside a value made by {@link encodeUnattendPassword}, or `undefined` if it is not one. */
export function decodeUnattendPassword(value: string, setting = 'AdministratorPassword'): string | undefined {
  const text = Buffer.from(value, 'base64').toString('utf16le');
  return text.endsWith(setting) ? text.slice(0, -setting.length) : undefined;
}
