#!/usr/bin/env bash
# The lab's small real Linux guest, built from Debian packages only (Debian's kernel, busybox,
# OpenSSH) by lab/guest/build.sh: a qcow2 root disk (the library image) plus a kernel and an
# initramfs for direct kernel boot. Root's authorized key is the lab sshd's client key, so
# the same key reaches the KVM host and its guests. Cached in $LAB_CACHE/kvm-guest/<recipe
# hash>/ and rebuilt when the recipe (these scripts, the kernel, the key) changes.
# Usage: kvm-guest.sh packages|up|down|status
LAB_SERVICE=kvm-guest
source "$(dirname "$0")/../lib.sh"
dir=$LAB_DIR/kvm-guest
cache=$LAB_CACHE/kvm-guest
guest=$LAB_ROOT/guest
image_name=labguest-v1
packages() { echo busybox-static openssh-server openssh-client e2fsprogs qemu-utils cpio; }

kernel_deb() {
  local package debs
  package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\.0-[0-9]+-amd64$/ {print $2; exit}')
  [ -n "$package" ] || lab_die "cannot tell which linux-image-6.1.0-*-amd64 Debian ships (apt-cache depends linux-image-amd64)"
  mkdir -p "$cache/debs"
  debs=$(ls "$cache/debs/${package}"_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$debs" ]; then
    lab_log "downloading $package"
    (cd "$cache/debs" && apt-get download "$package" >&2 2>/dev/null) || lab_die "apt-get download $package failed"
    debs=$(ls "$cache/debs/${package}"_*.deb | head -1)
  fi
  echo "$debs"
}

up() {
  if status; then cat "$dir/state.json"; return; fi
  lab_need_packages $(packages)
  lab_require sshd
  local key=$LAB_DIR/sshd/client_ed25519.pub deb hash out
  [ -f "$key" ] || lab_die "no lab sshd client key at $key"
  deb=$(kernel_deb)
  # The build copies this machine's busybox, sshd and ssh-keygen into the guest: their package
  # versions are part of the recipe, so an upgrade rebuilds the guest.
  hash=$( { cat "$0" "$guest/build.sh" "$guest/init" "$guest"/root/*; basename "$deb"; cat "$key"; echo "$image_name"
    dpkg-query -W -f='${Package} ${Version}\n' busybox-static openssh-server openssh-client; } | sha256sum | cut -c1-16)
  out=$cache/$hash
  if [ ! -f "$out/root.qcow2" ]; then
    lab_log "building the guest (recipe $hash)"
    mkdir -p "$out"
    bash "$guest/build.sh" "$out" "$deb" "$key" "$image_name" >&2
  fi
  mkdir -p "$dir"
  local virtual; virtual=$(qemu-img info --output=json "$out/root.qcow2" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)["virtual-size"]))')
  lab_json imageName "$image_name" imagePath "$out/root.qcow2" kernelPath "$out/vmlinuz" initrdPath "$out/initrd.img" \
    kernelCmdline "console=ttyS0 root=/dev/vda quiet" kernelRelease "$(cat "$out/kernel-release")" \
    virtualBytes "$virtual" recipeHash "$hash" guestUsername root \
    privateKeyPath "$LAB_DIR/sshd/client_ed25519" >"$dir/state.json"
  cat "$dir/state.json"
}

# The built guest stays in the cache; `down` only forgets the state.
down() { rm -f "$dir/state.json"; }
status() { [ -f "$dir/state.json" ] && [ -f "$(node -e 'console.log(require(process.argv[1]).imagePath)' "$dir/state.json")" ]; }

case "${1:-}" in
  packages|up|down|status) "$1" ;;
  *) echo "usage: $0 packages|up|down|status" >&2; exit 2 ;;
esac
