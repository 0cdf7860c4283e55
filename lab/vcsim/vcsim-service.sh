# The vSphere simulator as a lab service, in the mode the sourcing script sets (VCSIM_MODE:
# esx = a standalone ESXi, vpx = a vCenter). Sourced by lab/services/vcsim-{esx,vpx}.sh.
# The Go main in lab/vcsim/vcsim is built with Debian's golang-go against Debian's govmomi in
# GOPATH mode, cached in $LAB_CACHE/vcsim/<hash of the Go source and the toolchain>/.
LAB_SERVICE=vcsim-$VCSIM_MODE
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
dir=$LAB_DIR/$LAB_SERVICE
source_dir=$LAB_ROOT/vcsim/vcsim
packages() { echo golang-go golang-github-vmware-govmomi-dev; }

# build: prints the path of the simulator binary, building it when its recipe changed.
build() {
  local hash out
  hash=$( (cat "$source_dir"/*.go; dpkg-query -W -f='${Version}' golang-go golang-github-vmware-govmomi-dev) | sha256sum | cut -c1-16)
  out=$LAB_CACHE/vcsim/$hash/vcsim
  if [ ! -x "$out" ]; then
    mkdir -p "$LAB_CACHE/vcsim"
    (
      flock -w 600 9 || lab_die "vcsim build lock busy"
      if [ ! -x "$out" ]; then
        lab_log "building the simulator (GOPATH mode, ~20 s)"
        mkdir -p "$(dirname "$out")"
        (cd "$source_dir" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$LAB_CACHE/vcsim/gocache \
          go build -o "$out.tmp" .) >&2
        mv "$out.tmp" "$out"
      fi
    ) 9>"$LAB_CACHE/vcsim/.build.lock"
  fi
  echo "$out"
}

up() {
  if status; then cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  mkdir -p "$dir"
  local binary port folder=''
  binary=$(build)
  port=$(lab_free_port)
  # A vCenter keeps images in a folder of their own; a standalone ESXi has no VM folders.
  [ "$VCSIM_MODE" = vpx ] && folder=provkit-images
  : >"$dir/info.json"
  setsid "$binary" -mode "$VCSIM_MODE" -listen "127.0.0.1:$port" -cert-out "$dir/cert.pem" \
    -images-folder "$folder" >"$dir/info.json" 2>"$dir/vcsim.log" </dev/null &
  echo $! >"$dir/vcsim.pid"
  local delay=0.05 start=$SECONDS
  until [ -s "$dir/info.json" ]; do
    lab_pid_alive "$dir/vcsim.pid" || lab_die "simulator exited: $(tail -5 "$dir/vcsim.log")"
    (( SECONDS - start >= 30 )) && lab_die "simulator printed no URL within 30 s"
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { d *= 2; if (d > 1) d = 1; print d }')
  done
  node -e '
    const [info, ca, pid, log] = process.argv.slice(1);
    const state = { ...JSON.parse(require("fs").readFileSync(info, "utf8")), caPath: ca, pidPath: pid, logPath: log };
    console.log(JSON.stringify(state, null, 2));' "$dir/info.json" "$dir/cert.pem" "$dir/vcsim.pid" "$dir/vcsim.log" >"$dir/state.json"
  cat "$dir/state.json"
}

down() { lab_stop_pid "$dir/vcsim.pid"; rm -f "$dir/state.json"; }
status() { [ -f "$dir/state.json" ] && lab_pid_alive "$dir/vcsim.pid"; }

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  # build: only prints the binary's path (building it if needed), for tests that start a
  # private simulator of their own instead of the shared service.
  build) lab_need_packages $(packages); build ;;
  *) echo "usage: $0 packages|up|down|status|build" >&2; exit 2 ;;
esac
