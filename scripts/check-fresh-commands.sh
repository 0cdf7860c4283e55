#!/usr/bin/env bash
# CI: every command of the README's command table works as the first command after a clone.
# For each one, the work tree is cleaned of everything git does not track (`git clean -fdx`:
# builds, type-check outputs, docs/api, scratch files), keeping only the npm dependencies
# (node_modules) and the lab's state and caches (outside the repository), and the command runs
# alone. Commands that start long lab work run with a filter that keeps them short, from the
# same clean state. Every command of the table must have a line here: a command added to the
# README without one fails this check.
#
# It refuses to run in a work tree with uncommitted or untracked files (they would be
# deleted). PROVKIT_FRESH_ONLY="docs typecheck" runs only the named entries.
set -euo pipefail
cd "$(dirname "$0")/.."

# entry name | the command as a person types it (filters only where the work is long)
commands=(
  'demo|npm run demo'
  'test|npm test -- packages/inventory-ldap'
  'test:unit|npm run test:unit -- packages/cli'
  'test:lab|npm run test:lab -- packages/inventory-ldap/lab-tests/ldap-inventory.test.ts'
  'lab|npm run lab -- up slapd'
  'lab-status|npm run lab -- status slapd'
  'typecheck|npm run typecheck'
  'build|npm run build'
  'docs|npm run docs'
  'check:packages|npm run check:packages'
  'check:consumer|npm run check:consumer'
  # `npm run bench <filter>` runs the benchmark files whose path contains the filter. The
  # fastest real one (~45 s here: 50 commands per mode over the lab sshd, beside OpenSSH's
  # ControlMaster); ssh-economy's 200 new ssh processes took ~7 min on 2 shared cores.
  'bench|npm run bench -- login-shell-latency'
  # One row of the fault matrix (an abort, no daemon restarted: ~25 s) and a two-cycle soak (~45 s).
  'faults|npm run faults -- --case load-abort-at-node-defined'
  'soak|npm run soak -- --cycles 2'
)

# The README's table: every `npm test` / `npm run <name>` in its first column needs an entry.
covered=" $(printf '%s\n' "${commands[@]}" | cut -d'|' -f1 | tr '\n' ' ') "
missing=''
while read -r name; do
  case "$covered" in *" $name "*) ;; *) missing="$missing $name" ;; esac
done < <(grep -E '^\| `npm ' README.md | grep -oE '`npm (test|run [a-z:-]+)' | sed -E 's/^`npm (run )?//' | sort -u)
if [ -n "$missing" ]; then
  echo "check-fresh-commands: README commands without an entry here:$missing" >&2
  exit 1
fi

if [ -n "$(git status --porcelain)" ]; then
  echo 'check-fresh-commands: the work tree has uncommitted or untracked files; `git clean -fdx` would delete them' >&2
  git status --short >&2
  exit 1
fi

summary=()
all_start=$(date +%s)
for entry in "${commands[@]}"; do
  name=${entry%%|*}
  command=${entry#*|}
  if [ -n "${PROVKIT_FRESH_ONLY:-}" ]; then
    case " $PROVKIT_FRESH_ONLY " in *" $name "*) ;; *) continue ;; esac
  fi
  git clean -fdxq -e node_modules
  echo
  echo "== fresh work tree, then: $command"
  start=$(date +%s)
  if ! bash -c "$command"; then
    echo "check-fresh-commands: \`$command\` failed as the first command on a clean work tree" >&2
    exit 1
  fi
  summary+=("$(printf '%5ss  %s' "$(($(date +%s) - start))" "$command")")
done

echo
echo 'Each from a clean work tree (dependencies kept):'
printf '  %s\n' "${summary[@]}"
echo "  $(($(date +%s) - all_start))s in all"
