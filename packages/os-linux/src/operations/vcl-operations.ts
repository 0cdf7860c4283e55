import { InvalidInputError, raw, Secret } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

/** VCL's pre-capture step that has no virt-sysprep twin: reset root's password to a known Secret. */
export const rootPasswordOperation: GeneralizationOperation = {
  name: 'root-password',
  origin: 'vcl',
  description: "Set root's password to the configured rootPassword (through chpasswd's standard input). Runs by default only when one is configured.",
  defaultEnabled: (context) => context.rootPassword !== undefined,
  build: (context) => {
    const password = context.rootPassword;
    if (!password) throw new InvalidInputError('rootPassword', 'the root-password operation needs the module option rootPassword');
    checkChpasswdPassword('rootPassword', password);
    return {
      script: guestScript(raw(String.raw`pk_have chpasswd || pk_fail "no chpasswd on this guest"
chpasswd || pk_fail "chpasswd refused the new root password"
pk_say changed "password of root"
`)),
      stdin: Secret.of(`root:${password.reveal()}\n`),
      secrets: [password],
    };
  },
};

/**
 * chpasswd reads `name:password` lines: a password with a line break would be cut (or set a
 * second account's password), so it is refused; an empty one would unlock the account.
 */
export function checkChpasswdPassword(field: string, password: Secret): void {
  const value = password.reveal();
  if (value.length === 0) throw new InvalidInputError(field, 'an empty password is not accepted');
  if (/[\r\n\0]/.test(value)) throw new InvalidInputError(field, 'a password cannot contain line breaks or NUL');
}

/**
 * VCL's capture leaves no post-load record in the image: a node loaded from it must run
 * post-load again before it counts as ready.
 */
export const postLoadRecordOperation: GeneralizationOperation = {
  name: 'post-load-record',
  origin: 'vcl',
  description: 'Remove the vcld_post_load line from /root/currentimage.txt, so a node loaded from the image is not taken as post-loaded.',
  defaultEnabled: true,
  build: () => ({
    script: guestScript(raw(String.raw`pk_ci=/root/currentimage.txt
if [ -f "$pk_ci" ] && grep -q '^vcld_post_load=' "$pk_ci"; then
  sed -i '/^vcld_post_load=/d' "$pk_ci" || pk_fail "cannot edit $pk_ci"
  pk_say changed "$pk_ci (vcld_post_load removed)"
fi
`)),
  }),
};
