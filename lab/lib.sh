# Shared helpers for lab service scripts. Sourced, never run.
# Every service keeps its state in $LAB_DIR/<service>/ and its slow-to-build artefacts
# (images, roots, binaries) in $LAB_CACHE/<service>/, outside the repository.
set -euo pipefail
LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PROVKIT_LAB_DIR:=/tmp/provkit-lab}"
: "${PROVKIT_LAB_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/provkit-lab}"
LAB_DIR=$PROVKIT_LAB_DIR
LAB_CACHE=$PROVKIT_LAB_CACHE
mkdir -p "$LAB_DIR" "$LAB_CACHE"

lab_log() { printf '[lab:%s] %s\n' "${LAB_SERVICE:-lab}" "$*" >&2; }
lab_die() { lab_log "error: $*"; exit 1; }

# lab_need_packages PKG...: installs the Debian packages that are missing (one apt run,
# serialized by a lock so concurrent services do not collide). Fast when all are present.
lab_need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || lab_die "packages missing (${missing[*]}) and not root to install them"
  lab_log "installing ${missing[*]}"
  (
    flock -w 900 9 || lab_die "apt lock busy"
    local stamp=/var/lib/apt/lists/.provkit-updated
    if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
      apt-get update -qq >&2 && touch "$stamp"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  ) 9>"$LAB_CACHE/.apt.lock"
}

# lab_free_port: prints a TCP port free on 127.0.0.1 right now.
lab_free_port() {
  python3 - <<'PY' 2>/dev/null || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# lab_wait_port HOST PORT SECONDS WHAT: polls with backoff until a TCP connect succeeds.
lab_wait_port() {
  local host=$1 port=$2 limit=$3 what=$4 delay=0.05 start=$SECONDS
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    (( SECONDS - start >= limit )) && lab_die "$what did not listen on $host:$port within ${limit}s"
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { d *= 2; if (d > 1) d = 1; print d }')
  done
}

# lab_pid_alive FILE: true when the pid in FILE is a running process.
lab_pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# lab_stop_pid FILE [SECONDS]: TERM, bounded wait, then KILL.
lab_stop_pid() {
  local file=$1 limit=${2:-10} pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < limit * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# lab_require SERVICE: brings another service up first (services may depend on each other).
lab_require() { bash "$LAB_ROOT/services/$1.sh" up >/dev/null; }

# lab_json KEY VALUE ...: prints a flat JSON object of string values (numbers are kept as numbers).
lab_json() {
  node -e '
    const a = process.argv.slice(1); const o = {};
    for (let i = 0; i < a.length; i += 2) o[a[i]] = /^[0-9]+$/.test(a[i + 1]) ? Number(a[i + 1]) : a[i + 1];
    console.log(JSON.stringify(o, null, 2));' "$@"
}
