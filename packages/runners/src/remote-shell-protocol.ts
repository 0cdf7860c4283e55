import { randomBytes } from 'node:crypto';
import { shellQuote } from '@provkit/core';

/**
 * The wire format between the SSH runner and its persistent remote shell. Pure: the SSH side
 * lives in `remote-shell.ts`.
 *
 * The runner execs one POSIX `sh` per channel with the program below as its `-c` text, so the
 * program is never read from the channel: the channel's stdin carries only frames.
 *
 * - Command: a line `<id> <n|i> <lines>` and then the command text in `<lines>` lines. `<id>` is
 *   a fresh random token per command; `i` says stdin frames follow, `n` that stdin is empty.
 * - Stdin frame: a line with a byte count, then that many bytes; a count of `0` ends the input.
 *   The shell reads each frame whole even when the command stopped reading (an exited command
 *   cannot desynchronize the stream). A frame is taken with GNU `head -c`, else `dd` with
 *   `iflag=fullblock` (busybox `head` reads ahead of its count), else `dd bs=1`; which one is
 *   chosen at the first command with stdin, so a shell that never gets stdin never pays for it. Once the runner saw an `i` command's exit status it ends
 *   its input with `0` if it had not yet; the next command's frame follows.
 * - One reader, started once with the shell, owns the channel for the shell's whole life: a
 *   `dd` copying the channel into a FIFO that the shell loop reads (the FIFO is unlinked as
 *   soon as both ends are open). At the channel's end of file (the connection died, or the
 *   orchestrator did) the reader sends the loop `SIGUSR1`, which kills the running command's
 *   whole process group, so nothing runs on without its operation. The loop itself sits in
 *   `wait` while a command runs; it needs no watcher per command.
 * - Each command runs under `setsid`, so its process ID is its process group's: the wrapper
 *   first prints `<id> P <pid>` on stdout, then runs the text with `eval` in that fresh shell
 *   (`$$` is the command's own process, `$PPID` the persistent shell). An `n` command costs one
 *   fork of the loop and the two execs (`setsid`, `sh`); POSIX `sh` has no other way to a new
 *   process group (`set -m` needs a terminal in dash and busybox sh, and a channel has none).
 *   An `i` command is a child of a subshell on the far side of a pipe from the stdin frames.
 * - When it exits the shell prints `<id> E <status>` on stdout and `<id> E` on stderr at once.
 *   The token is random per command, so no output can forge the end of another.
 * - Before the loop starts the shell prints `<ready token>` on both streams; anything a login
 *   shell printed before that is discarded.
 *
 * A host without `setsid` or `mkfifo`, or where no FIFO can be made in `$TMPDIR` (else `/tmp`),
 * ends the program with status {@link NO_SHELL_STATUS}; the runner then runs commands through
 * one exec channel each.
 */
const PROGRAM = String.raw`
ready=$1
command -v setsid >/dev/null 2>&1 || exit 97
pipe=$TMPDIR
[ -d "$pipe" ] || pipe=/tmp
pipe=$pipe/provkit-shell-$$-$ready
mkfifo -m 600 "$pipe" 2>/dev/null || exit 97
job=
pg=
trap '[ -z "$job$pg" ] && exit 0; kill -USR1 "$job" 2>/dev/null; kill -KILL "-$pg" 2>/dev/null; kill -KILL "$pg" 2>/dev/null; exit 1' USR1
exec 3<&0
{ dd bs=65536; kill -USR1 $$; } <&3 >"$pipe" 2>/dev/null &
exec <"$pipe" 3<&0
rm -f "$pipe"
taker=
choose_taker() {
  if head --version 2>/dev/null | grep GNU >/dev/null 2>&1; then taker=head
  elif dd if=/dev/null count=0 iflag=fullblock 2>/dev/null; then taker=fullblock
  else taker=bytes; fi
}
take() {
  case $taker in
    head) head -c "$1" ;;
    fullblock) dd bs="$1" count=1 iflag=fullblock 2>/dev/null ;;
    *) dd bs=1 count="$1" 2>/dev/null ;;
  esac
}
feed() {
  trap '' PIPE
  while IFS= read -r size; do
    case $size in ''|*[!0-9]*) exit 2 ;; 0) exit 0 ;; esac
    take "$size" | { cat 2>/dev/null; cat >/dev/null; }
  done
}
wrapper='printf "%s P %s\n" "$1" "$$"; provkit_command=$2; shift 2; eval "$provkit_command"'
run() {
  trap 'kill -KILL "-$pg" 2>/dev/null; kill -KILL "$pg" 2>/dev/null; exit 1' USR1
  exec 4<&0
  setsid /bin/sh -c "$wrapper" sh "$id" "$text" <&4 3<&- 4<&- &
  pg=$!
  exec 4<&-
  wait "$pg"
  printf '%s E %s\n' "$id" "$?"
  printf '%s E\n' "$id" >&2
}
printf '%s\n' "$ready"
printf '%s\n' "$ready" >&2
while IFS=' ' read -r id mode lines; do
  case $lines in ''|*[!0-9]*) exit 2 ;; esac
  text=
  i=0
  while [ "$i" -lt "$lines" ]; do
    IFS= read -r line || exit 2
    if [ "$i" = 0 ]; then text=$line; else text="$text
$line"; fi
    i=$((i + 1))
  done
  if [ "$mode" = i ]; then
    [ -n "$taker" ] || choose_taker
    feed <&3 | run &
    job=$!
    wait "$job"
    job=
  else
    setsid /bin/sh -c "$wrapper" sh "$id" "$text" </dev/null 3<&- &
    pg=$!
    wait "$pg"
    status=$?
    pg=
    printf '%s E %s\n' "$id" "$status"
    printf '%s E\n' "$id" >&2
  fi
done
`;

/** Exit status of the shell program on a host that lacks what it needs (`setsid`, a FIFO in its temp directory). */
export const NO_SHELL_STATUS = 97;

/** Largest stdin frame the runner sends. */
export const MAX_STDIN_FRAME = 256 * 1024;

/** The exec request that starts a persistent shell printing `ready` when it is listening. */
export function shellBootstrap(ready: string): string {
  return `exec /bin/sh -c ${shellQuote(PROGRAM)} provkit-shell ${shellQuote(ready)}`;
}

/** A fresh random token (hex, no shell-special bytes). */
export function randomToken(): string {
  return `pk${randomBytes(16).toString('hex')}`;
}

/** The frame that starts `text` as command `id`. */
export function commandFrame(id: string, text: string, withStdin: boolean): Buffer {
  // read -r stops at NUL-free newlines; a command cannot hold NUL (neither can an exec request).
  const lines = text.split('\n');
  return Buffer.from(`${id} ${withStdin ? 'i' : 'n'} ${lines.length}\n${text}\n`, 'utf8');
}

/** Stdin frames carrying `data` (each at most {@link MAX_STDIN_FRAME} bytes). */
export function stdinFrames(data: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += MAX_STDIN_FRAME) {
    const piece = data.subarray(offset, offset + MAX_STDIN_FRAME);
    frames.push(Buffer.concat([Buffer.from(`${piece.length}\n`), piece]));
  }
  return frames;
}

/** The frame that ends a command's stdin. */
export const END_OF_STDIN = Buffer.from('0\n');

/** The stdout marker before a command's output (its process group ID follows). */
export function startMarker(id: string): Buffer {
  return Buffer.from(`${id} P `);
}

/** The stdout marker after a command's output (its exit status follows). */
export function stdoutEndMarker(id: string): Buffer {
  return Buffer.from(`${id} E `);
}

/** The stderr marker after a command's error output. */
export function stderrEndMarker(id: string): Buffer {
  return Buffer.from(`${id} E\n`);
}
