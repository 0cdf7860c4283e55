export { Secret, redact } from './secret.ts';
export { randomPassword } from './random-password.ts';
