#!/usr/bin/env bash
# Builds the lab guest from Debian packages only: Debian's kernel (from the .deb given), a
# busybox-static initramfs, and an ext4 root (made without mounting, `mkfs.ext4 -d`) holding
# busybox, OpenSSH's sshd and ssh-keygen with their shared libraries, and what a real guest
# holds (machine-id, hostname, users, logs, currentimage.txt, root's authorized key).
# Usage: build.sh OUT_DIR KERNEL_DEB AUTHORIZED_KEY_FILE IMAGE_NAME
set -euo pipefail
out=$1 kernel_deb=$2 authorized_key=$3 image_name=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- kernel and modules
dpkg-deb -x "$kernel_deb" "$work/kernel"
release=$(ls "$work/kernel/lib/modules")
moddir=$work/kernel/lib/modules/$release
cp "$work/kernel/boot/vmlinuz-$release" "$work/vmlinuz"

# Modules in load order: each after the modules its depends= string names.
declare -A done_modules=()
order=()
module_path() { find "$moddir/kernel" -name "$1.ko" -print -quit; }
add_module() {
  local name=$1 path deps dep
  [ -n "${done_modules[$name]:-}" ] && return 0
  path=$(module_path "$name"); [ -n "$path" ] || { echo "no module $name" >&2; exit 1; }
  deps=$(grep -a -o 'depends=[^[:cntrl:]]*' "$path" | head -1 | cut -d= -f2 | tr , ' ')
  for dep in $deps; do add_module "${dep//-/_}"; done
  done_modules[$name]=1
  order+=("$name")
}
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net virtio_blk crc32c_generic ext4 button evdev; do
  add_module "$m"
done

# --- initramfs
ird=$work/initramfs
mkdir -p "$ird/bin" "$ird/modules"
cp /bin/busybox "$ird/bin/busybox"
install -m 0755 "$here/init" "$ird/init"
for m in "${order[@]}"; do cp "$(module_path "$m")" "$ird/modules/"; done
printf '%s\n' "${order[@]}" >"$ird/modules.order"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.img"

# --- root file system
r=$work/root
mkdir -p "$r"/{bin,sbin,lib,lib64,usr/bin,usr/sbin,etc/ssh,etc/init.d,root/.ssh,var/log,var/empty,dev,proc,sys,run,tmp,newroot,home}
chmod 1777 "$r/tmp"; chmod 700 "$r/root"
cp /bin/busybox "$r/bin/busybox"
for applet in $(busybox --list-full); do
  [ -e "$r/$applet" ] || ln -s /bin/busybox "$r/$applet"
done
for binary in /usr/sbin/sshd /usr/bin/ssh-keygen; do
  cp "$binary" "$r$binary"
  for lib in $(ldd "$binary" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
    mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
  done
done
install -m 0644 "$here/root/inittab" "$r/etc/inittab"
install -m 0755 "$here/root/rcS" "$r/etc/init.d/rcS"
install -m 0755 "$here/root/rcK" "$r/etc/init.d/rcK"
install -m 0644 "$here/root/sshd_config" "$r/etc/ssh/sshd_config"
rm -f "$r/sbin/init"; ln -s /bin/busybox "$r/sbin/init"
cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
sshd:x:100:65534::/run/sshd:/usr/sbin/nologin
labuser:x:1000:1000:lab user:/home/labuser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
P
cat >"$r/etc/group" <<'G'
root:x:0:
daemon:x:1:
sudo:x:27:labuser
labuser:x:1000:
nogroup:x:65534:
G
# '*': no password login, but not locked for public-key logins.
printf '%s\n' 'root:*:19700:0:99999:7:::' 'daemon:*:19700:0:99999:7:::' 'sshd:*:19700:0:99999:7:::' \
  'labuser:*:19700:0:99999:7:::' 'nobody:*:19700:0:99999:7:::' >"$r/etc/shadow"
chmod 640 "$r/etc/shadow"
mkdir -p "$r/home/labuser"; chown 1000:1000 "$r/home/labuser"
echo provkit-lab-guest >"$r/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 provkit-lab-guest\n' >"$r/etc/hosts"
printf 'PRETTY_NAME="provkit lab guest (Debian kernel %s, busybox)"\nID=provkit-lab\nID_LIKE=debian\n' "$release" >"$r/etc/os-release"
echo /bin/sh >"$r/etc/shells"
hexdump -n 16 -e '4/4 "%08x" 1 "\n"' /dev/urandom >"$r/etc/machine-id"
ssh-keygen -q -A -f "$r"
install -m 0600 "$authorized_key" "$r/root/.ssh/authorized_keys"
chmod 700 "$r/root/.ssh"
: >"$r/var/log/boot.log"; : >"$r/var/log/sshd.log"; : >"$r/var/log/wtmp"; : >"$r/var/log/lastlog"
printf '%s\nimagerevision_id=%s\nprettyname=provkit lab guest\n' "$image_name" "${image_name##*-v}" >"$r/root/currentimage.txt"

truncate -s 256M "$work/root.ext4"
mkfs.ext4 -q -F -L root -d "$r" "$work/root.ext4"
qemu-img convert -c -f raw -O qcow2 "$work/root.ext4" "$work/root.qcow2"

mv "$work/vmlinuz" "$work/initrd.img" "$work/root.qcow2" "$out/"
printf '%s\n' "$release" >"$out/kernel-release"
