#!/usr/bin/env bash
# Debian's redis-server on a free loopback port, for @provkit/fleet (BullMQ). Persistence is
# on: an append-only file fsynced on every write (appendfsync always), so a job the client was
# told is submitted survives even a SIGKILL of Redis, not only a clean restart. `restart`
# stops Redis (SIGTERM, or SIGKILL with `restart hard`) and starts it again on the same port
# and data directory, for tests of reconnection and durability.
# Usage: redis.sh packages|up|down|status|restart [hard]
LAB_SERVICE=redis
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/redis
packages() { echo redis-server redis-tools; }

# write_config PORT: redis.conf in the state directory. BullMQ needs maxmemory-policy
# noeviction (an evicted job key would be a lost job).
write_config() {
  cat >"$dir/redis.conf" <<CONF
bind 127.0.0.1
port $1
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir/data
appendonly yes
appendfsync always
appendfilename appendonly.aof
save ""
maxmemory-policy noeviction
CONF
}

start() {
  local port=$1
  /usr/bin/redis-server "$dir/redis.conf" || lab_die "redis-server did not start: $(tail -5 "$dir/redis.log" 2>/dev/null)"
  lab_wait_port 127.0.0.1 "$port" 20 redis-server
  # The port answers before the append-only file is loaded; LOADING replies until then.
  local delay=0.05 begin=$SECONDS
  until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
    (( SECONDS - begin >= 60 )) && lab_die "redis-server on port $port did not answer PING within 60s"
    sleep "$delay"
    delay=$(awk -v d="$delay" 'BEGIN { d *= 2; if (d > 1) d = 1; print d }')
  done
}

up() {
  if status; then cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  local port
  rm -rf "$dir"
  mkdir -p "$dir/data"
  chmod 700 "$dir"
  port=$(lab_free_port)
  write_config "$port"
  start "$port"
  lab_json url "redis://127.0.0.1:$port" host 127.0.0.1 port "$port" dataDir "$dir/data" appendfsync always \
    configPath "$dir/redis.conf" logPath "$dir/redis.log" pidPath "$dir/redis.pid" >"$dir/state.json.new"
  mv -f "$dir/state.json.new" "$dir/state.json"
  cat "$dir/state.json"
}

# restart [hard]: same port, same data; the state file is kept.
restart() {
  [ -f "$dir/state.json" ] || lab_die "redis is not up; run \`npm run lab -- up redis\`"
  local port pid
  port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$dir/redis.conf")
  if [ "${1:-}" = hard ] && lab_pid_alive "$dir/redis.pid"; then
    pid=$(cat "$dir/redis.pid")
    kill -9 "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/redis.pid"
  else
    lab_stop_pid "$dir/redis.pid" 30
  fi
  start "$port"
  cat "$dir/state.json"
}

down() { lab_stop_pid "$dir/redis.pid" 30; rm -f "$dir/state.json"; }
status() { [ -f "$dir/state.json" ] && lab_pid_alive "$dir/redis.pid"; }

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  restart) restart "${2:-}" ;;
  *) echo "usage: $0 packages|up|down|status|restart [hard]" >&2; exit 2 ;;
esac
