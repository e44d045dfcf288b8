#!/usr/bin/env bash
# Brings up a Docker-compatible engine for the agent's tests and for local use: Debian's
# podman with runc (crun fails on the hybrid cgroup v1/v2 hierarchy these machines have),
# serving the Docker Engine API on a unix socket. Idempotent: every step checks first.
#
#   scripts/podman-setup.sh          # prints the socket path on its last line
#   DOCKER_HOST=unix://$(scripts/podman-setup.sh | tail -1) docker ps
#
# Steps:
#   1. install podman, runc and busybox-static with apt-get when missing;
#   2. import a tiny image (localhost/vigil-busybox:latest) from a rootfs holding busybox;
#   3. start `podman system service` on the socket in the background when not answering, or
#      when the one answering works from a deleted directory (see below), from `/`.
#
# Environment: VIGIL_PODMAN_SOCK (default /run/vigil-podman.sock),
#              VIGIL_PODMAN_IMAGE (default localhost/vigil-busybox:latest).
set -euo pipefail

SOCK="${VIGIL_PODMAN_SOCK:-/run/vigil-podman.sock}"
IMAGE="${VIGIL_PODMAN_IMAGE:-localhost/vigil-busybox:latest}"
LOG="${TMPDIR:-/tmp}/vigil-podman-service.log"
# No systemd on these machines: cgroupfs and a file event log instead of systemd/journald.
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs --events-backend file)

say() { echo "podman-setup: $*" >&2; }

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# 1. Packages.
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq >&2
  sudo_if_needed apt-get install -y -qq --no-install-recommends podman runc busybox-static >&2
fi
BUSYBOX="$(command -v busybox || echo /bin/busybox)"

# 2. Image.
if ! "${PODMAN[@]}" image exists "$IMAGE"; then
  say "importing $IMAGE"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/rootfs/bin" "$tmp/rootfs/tmp" "$tmp/rootfs/etc" "$tmp/rootfs/proc" "$tmp/rootfs/sys" "$tmp/rootfs/dev"
  cp "$BUSYBOX" "$tmp/rootfs/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$tmp/rootfs/bin/$applet"
  done
  echo "root:x:0:0:root:/:/bin/sh" >"$tmp/rootfs/etc/passwd"
  echo "root:x:0:" >"$tmp/rootfs/etc/group"
  tar -C "$tmp/rootfs" -cf "$tmp/rootfs.tar" .
  "${PODMAN[@]}" import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$tmp/rootfs.tar" "$IMAGE" >&2
fi

# 3. API service.
ping_ok() {
  [ -S "$SOCK" ] && curl -fsS --max-time 3 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1
}
# Pids of the services on this socket (ours: `podman … system service … unix://$SOCK`).
service_pids() {
  local f pid
  # cmdline holds NUL-separated arguments: -z reads each as a line, -x matches one whole.
  for f in $(grep -lzxF "unix://$SOCK" /proc/[0-9]*/cmdline 2>/dev/null); do
    grep -qzxF service "$f" 2>/dev/null && grep -qzxF system "$f" 2>/dev/null || continue
    pid="${f#/proc/}"; echo "${pid%/cmdline}"
  done
}
# conmon, which podman starts for every container start and restart, needs the service's
# working directory; a service started from a checkout that was deleted since (the first
# fresh clone's `npm test`) fails every restart with "conmon: Failed to get working
# directory". Such a service is stopped and started anew below.
stale=()
for pid in $(service_pids); do
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  if [ -n "$cwd" ] && { [[ "$cwd" == *" (deleted)" ]] || [ ! -d "$cwd" ]; }; then stale+=("$pid"); fi
done
if [ "${#stale[@]}" -gt 0 ]; then
  say "restarting podman system service (pid ${stale[*]}): its working directory was deleted"
  kill "${stale[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${stale[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${stale[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$SOCK"
fi
if ! ping_ok; then
  say "starting podman system service on unix://$SOCK (log: $LOG)"
  rm -f "$SOCK"
  # From / in its own session: the service outlives this script and the checkout it ran from.
  (cd / && exec setsid nohup "${PODMAN[@]}" system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 </dev/null) &
  for _ in $(seq 1 100); do
    ping_ok && break
    sleep 0.1
  done
  ping_ok || { say "service did not answer on $SOCK; see $LOG"; exit 1; }
fi

echo "$SOCK"
