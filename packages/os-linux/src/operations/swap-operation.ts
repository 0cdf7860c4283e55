import { raw } from '@provkit/core';
import { guestScript } from '../script/guest-script.ts';
import type { GeneralizationOperation } from './generalization-operation.ts';

/**
 * Zeroes every page of a swap area but its first: the first page is the swap header (its
 * signature, UUID and label), so /etc/fstab entries by UUID or LABEL and `swapon` keep working
 * without `mkswap`, which busybox cannot give a chosen UUID. An area is wiped only when its
 * first page ends with the `SWAPSPACE2` signature, so a wrong fstab line cannot make it zero
 * anything else. An active area is taken out of use first (swapoff, which fails when memory
 * cannot hold what it holds) and put back in use after. An area already zero is left alone,
 * so a second run changes nothing.
 */
const SWAP_SCRIPT = String.raw`pk_page=$(getconf PAGESIZE 2>/dev/null)
case "$pk_page" in ''|*[!0-9]*) pk_page=4096 ;; esac
pk_list=$( { awk 'NR > 1 { print $1 }' /proc/swaps 2>/dev/null; awk '$1 !~ /^#/ && $3 == "swap" { print $1 }' /etc/fstab 2>/dev/null; } )
pk_seen=' '
printf '%s\n' "$pk_list" | while read -r pk_spec; do
  case "$pk_spec" in
    UUID=*|LABEL=*|PARTUUID=*|PARTLABEL=*)
      pk_area=$(findfs "$pk_spec" 2>/dev/null) || { pk_say note "swap $pk_spec in /etc/fstab: no such device"; continue; } ;;
    /*) pk_area=$pk_spec ;;
    *) continue ;;
  esac
  case "$pk_seen" in *" $pk_area "*) continue ;; esac
  pk_seen="$pk_seen$pk_area "
  if [ -b "$pk_area" ]; then pk_size=$(blockdev --getsize64 "$pk_area" 2>/dev/null)
  elif [ -f "$pk_area" ]; then pk_size=$(wc -c <"$pk_area")
  else pk_say note "swap $pk_area: not found"; continue; fi
  case "$pk_size" in ''|*[!0-9]*) pk_fail "cannot read the size of $pk_area" ;; esac
  pk_sig=$(dd if="$pk_area" bs=1 skip=$((pk_page - 10)) count=10 2>/dev/null)
  if [ "$pk_sig" != SWAPSPACE2 ]; then pk_say note "$pk_area has no swap signature at the end of its first page: left alone"; continue; fi
  pk_active=no
  if awk 'NR > 1 { print $1 }' /proc/swaps 2>/dev/null | grep -qxF "$pk_area"; then
    swapoff "$pk_area" || pk_fail "cannot take $pk_area out of use (swapoff: not enough free memory?)"
    pk_active=yes
  fi
  pk_pages=$((pk_size / pk_page - 1))
  if [ "$pk_pages" -le 0 ]; then :
  elif cmp -s -i "$pk_page:0" -n $((pk_pages * pk_page)) "$pk_area" /dev/zero 2>/dev/null; then pk_say kept "$pk_area (swap already zero)"
  else
    dd if=/dev/zero of="$pk_area" bs="$pk_page" seek=1 count="$pk_pages" conv=notrunc 2>/dev/null || pk_fail "cannot wipe $pk_area"
    pk_say wiped "$pk_area (swap; header with UUID and label kept)"
  fi
  if [ "$pk_active" = yes ]; then swapon "$pk_area" || pk_fail "cannot put $pk_area back in use (swapon)"; fi
done || exit 1
`;

/** VCL's pre-capture swap step: what was paged out (keys, passwords, documents) must not reach the image. */
export const swapOperation: GeneralizationOperation = {
  name: 'swap',
  origin: 'vcl',
  description:
    "Zero every swap area in use or listed in /etc/fstab (files and devices), keeping its header page, so UUID, label and fstab entries stay valid; an area in use is swapped off for the wipe and back on after.",
  defaultEnabled: true,
  build: () => ({ script: guestScript(raw(SWAP_SCRIPT)) }),
};
