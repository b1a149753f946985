#!/usr/bin/env bash
# Build the lab's guest images from Debian's packages only (no downloaded cloud image).
#
#   nictune-lab-image.sh build IMAGES_DIR PUBKEY_FILE
#
# Environment (all optional):
#   LAB_SUITE     Debian suite for debootstrap            (default: bookworm)
#   LAB_MIRROR    Debian mirror for debootstrap           (default: http://deb.debian.org/debian)
#   LAB_KERNEL    kernel package, e.g. linux-image-6.1.0-56-amd64 (default: what linux-image-amd64 depends on)
#   LAB_PACKAGES  comma-separated packages for the root filesystem
#   LAB_VARIANTS  space-separated variants to build (default: all three):
#                   standard  every NIC driver the lab extracts (8139cp, 8139too, e1000, e1000e, virtio_net, vmxnet3)
#                   novirtio  all but virtio_net: drives rtl8139, e1000, e1000e and vmxnet3, not virtio
#                   legacy    only 8139cp: drives rtl8139 and nothing better
#   LAB_DISKS_DIR guests' overlays: images of other inputs they still use are kept, other stale ones removed
#   LAB_PROGRESS_LOG  also append the progress lines to this file (to follow a build with tail -f)
#
# Output: IMAGES_DIR/<hash>/ where <hash> covers every input (this script, suite, mirror, kernel package
# and version, packages, variants, the lab's public key). A directory holding `.complete` is reused as is.
#   vmlinuz            the Debian kernel
#   initrd.img         a small busybox initramfs that loads the disk and ext4 modules and mounts /dev/sda
#   <variant>.raw      the root filesystem (ext4, sparse raw); guests get a qcow2 overlay on it
#   ssh_host_ed25519_key.pub   the guests' host key (shared by every guest of the lab)
#   manifest.txt       what went in
# The last line printed is `IMAGE_DIR=<path>`. Progress lines start with `[image]`.
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

cmd=${1:?usage: $0 build IMAGES_DIR PUBKEY_FILE}
images=${2:?usage: $0 build IMAGES_DIR PUBKEY_FILE}
pubkey=${3:?usage: $0 build IMAGES_DIR PUBKEY_FILE}
[ "$cmd" = build ] || { echo "unknown command $cmd" >&2; exit 2; }

suite=${LAB_SUITE:-bookworm}
mirror=${LAB_MIRROR:-http://deb.debian.org/debian}
packages=${LAB_PACKAGES:-openssh-server,python3,iperf3,iproute2,kmod,systemd-sysv,udev,ethtool}
variants=${LAB_VARIANTS:-standard novirtio legacy}
kpkg=${LAB_KERNEL:-}

t0=$(date +%s)
progress_log=${LAB_PROGRESS_LOG:-/dev/null}
say() { printf '[image] %4ss %s\n' "$(($(date +%s) - t0))" "$*" | tee -a "$progress_log"; }

if [ -z "$kpkg" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$kpkg" ] || { echo "cannot resolve the kernel package from linux-image-amd64 (run apt-get update)" >&2; exit 1; }
fi
kver=${kpkg#linux-image-}
kpkgver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2; exit}')

hash=$(
  {
    sha256sum "$0" | cut -d' ' -f1
    printf '%s\n' "$suite" "$mirror" "$kpkg" "$kpkgver" "$packages" "$variants"
    cat "$pubkey"
  } | sha256sum | cut -c1-16
)
out="$images/$hash"

# Images of other inputs are stale: remove them unless a guest disk (qcow2 overlay) still uses them.
prune() {
  local d
  for d in "$images"/*/ "$images"/.work-*/; do
    d=${d%/}
    if [ ! -d "$d" ] || [ "$d" = "$out" ] || [ "$d" = "$images/.work-$hash" ]; then continue; fi
    if [ -n "${LAB_DISKS_DIR:-}" ] && grep -lqsF "$d/" "$LAB_DISKS_DIR"/*.qcow2; then continue; fi
    say "removing stale images $d"
    rm -rf "$d"
  done
}

if [ -f "$out/.complete" ]; then
  prune
  say "cached images for $kpkg ($kpkgver), $suite, variants: $variants"
  echo "IMAGE_DIR=$out"
  exit 0
fi

work="$images/.work-$hash"
rm -rf "$work" "$out"
mkdir -p "$work/deb" "$work/kernel" "$out"
trap 'rm -rf "$work"' EXIT

# --- kernel: vmlinuz and only the modules the lab needs ---------------------------------------
say "downloading $kpkg ($kpkgver)"
(cd "$work/deb" && apt-get download -q "$kpkg=$kpkgver") 2>&1 | { grep -v '^W: Download is performed unsandboxed' || true; }
deb=$(ls "$work"/deb/*.deb)
m="./lib/modules/$kver"
say "extracting the kernel and the NIC, disk and ext4 modules"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/kernel" --wildcards \
  "./boot/vmlinuz-$kver" "./boot/config-$kver" "$m/modules.builtin" "$m/modules.builtin.modinfo" "$m/modules.order" \
  "$m/kernel/drivers/net/ethernet/realtek/8139*" "$m/kernel/drivers/net/ethernet/intel/e1000/*" \
  "$m/kernel/drivers/net/ethernet/intel/e1000e/*" "$m/kernel/drivers/net/vmxnet3/*" "$m/kernel/drivers/net/mii.ko" \
  "$m/kernel/drivers/net/virtio_net.ko" "$m/kernel/drivers/net/net_failover.ko" "$m/kernel/net/core/failover.ko" \
  "$m/kernel/drivers/virtio/*" \
  "$m/kernel/drivers/ata/libata.ko" "$m/kernel/drivers/ata/ata_piix.ko" "$m/kernel/drivers/ata/ahci.ko" \
  "$m/kernel/drivers/ata/libahci.ko" "$m/kernel/drivers/scsi/scsi_mod.ko" "$m/kernel/drivers/scsi/scsi_common.ko" \
  "$m/kernel/drivers/scsi/sd_mod.ko" "$m/kernel/drivers/block/virtio_blk.ko" \
  "$m/kernel/fs/ext4/*" "$m/kernel/fs/jbd2/*" "$m/kernel/fs/mbcache.ko" "$m/kernel/lib/crc*" \
  "$m/kernel/lib/libcrc32c.ko" "$m/kernel/crypto/crc*" "$m/kernel/block/t10-pi.ko"
rm -rf "$work/deb"
# Debian builds the NIC drivers as modules: the variants rely on none of them being built in.
for opt in VIRTIO_NET E1000 E1000E VMXNET3 8139CP 8139TOO; do
  grep -q "^CONFIG_$opt=m" "$work/kernel/boot/config-$kver" || { echo "CONFIG_$opt is not a module in $kpkg" >&2; exit 1; }
done
depmod -b "$work/kernel" "$kver"
mk="$work/kernel/lib/modules/$kver"
# Every module's build-time dependencies (modinfo "depends") must have been extracted or be built in.
have=$(find "$mk/kernel" -name '*.ko' -printf '%f\n' | sed 's/\.ko$//; s/-/_/g'
  sed 's|.*/||; s/\.ko$//; s/-/_/g' "$mk/modules.builtin")
find "$mk/kernel" -name '*.ko' | while read -r ko; do
  for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
    grep -qx "${dep//-/_}" <<<"$have" || { echo "$(basename "$ko") needs $dep, which was not extracted" >&2; exit 1; }
  done
done
for mod in 8139cp e1000 e1000e virtio_net vmxnet3 ata_piix sd_mod ext4 crc32c_generic; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$mod" >/dev/null \
    || { echo "module $mod or one of its dependencies is missing" >&2; exit 1; }
done
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"

# --- boot initramfs: busybox + disk/ext4 modules, mounts /dev/sda and hands over to systemd ---
say "building the boot initramfs"
ird="$work/initrd"
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,etc}
cp /bin/busybox "$ird/bin/busybox"
boot_mods="crc32c_generic crct10dif_generic crc64_rocksoft_generic ata_piix ahci sd_mod ext4"
for mod in $boot_mods; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$mod" | awk '$1 == "insmod" {print $2}'
done | sort -u | while read -r f; do
  rel=${f#"$work/kernel"}
  mkdir -p "$ird$(dirname "$rel")"
  cp "$f" "$ird$rel"
done
cp "$work/kernel/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$ird/lib/modules/$kver/"
depmod -b "$ird" "$kver"
echo "$boot_mods" >"$ird/etc/boot-modules"
cat >"$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/boot-modules); do modprobe "$m" || echo "initrd: cannot load $m"; done
root=/dev/sda
for a in $(cat /proc/cmdline); do case "$a" in root=/dev/*) root=${a#root=} ;; esac; done
i=0
while [ ! -b "$root" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 -o rw "$root" /newroot; then
  echo "initrd: cannot mount $root; dropping to a shell"
  exec sh
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
INIT
chmod 0755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"

# --- root filesystem ----------------------------------------------------------------------------
say "debootstrap $suite (minbase + $packages); this is the long step (~1 min)"
rootfs="$work/rootfs"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}
say "configuring the root filesystem"
mkdir -p "$rootfs/lib/modules"
cp -a "$work/kernel/lib/modules/$kver" "$rootfs/lib/modules/"
chroot "$rootfs" /bin/true
echo "/dev/sda / ext4 rw,noatime,errors=remount-ro 0 1" >"$rootfs/etc/fstab"
echo "lab-guest" >"$rootfs/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
install -d -m 0700 "$rootfs/root/.ssh"
install -m 0600 "$pubkey" "$rootfs/root/.ssh/authorized_keys"
# One ed25519 host key for every guest (pre-seeded in the lab's known_hosts); no slow RSA key at boot.
rm -f "$rootfs"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C nictune-lab-guest -f "$rootfs/etc/ssh/ssh_host_ed25519_key"
cp "$rootfs/etc/ssh/ssh_host_ed25519_key.pub" "$out/"
cat >"$rootfs/etc/ssh/sshd_config.d/nictune-lab.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
PermitRootLogin prohibit-password
UseDNS no
CONF
# Addresses and hostname come from the kernel command line once, at first boot, and are then
# written as ordinary Debian configuration (systemd-networkd, /etc/hostname) on the guest's disk.
cat >"$rootfs/usr/local/sbin/nictune-lab-firstboot" <<'SH'
#!/bin/sh
# Write this guest's network configuration and hostname from nictune.* kernel parameters, once.
set -eu
ip= gw= mac= name=
for a in $(cat /proc/cmdline); do
  case "$a" in
    nictune.ip=*) ip=${a#nictune.ip=} ;;
    nictune.gw=*) gw=${a#nictune.gw=} ;;
    nictune.mac=*) mac=${a#nictune.mac=} ;;
    nictune.hostname=*) name=${a#nictune.hostname=} ;;
  esac
done
net=/etc/systemd/network/10-nictune-lab.network
if [ -n "$ip" ] && [ ! -e "$net" ]; then
  {
    echo "# Written once by nictune-lab-firstboot from the kernel command line; edit freely."
    echo "[Match]"
    [ -n "$mac" ] && echo "MACAddress=$mac" || echo "Name=e*"
    echo
    echo "[Network]"
    echo "Address=$ip"
    [ -n "$gw" ] && echo "Gateway=$gw"
    echo "LinkLocalAddressing=no"
    echo "IPv6AcceptRA=no"
  } >"$net"
fi
if [ -n "$name" ] && [ "$(cat /etc/hostname)" = lab-guest ]; then
  echo "$name" >/etc/hostname
  printf '127.0.1.1\t%s\n' "$name" >>/etc/hosts
fi
[ -n "$name" ] && hostname "$(cat /etc/hostname)"
exit 0
SH
chmod 0755 "$rootfs/usr/local/sbin/nictune-lab-firstboot"
cat >"$rootfs/etc/systemd/system/nictune-lab-firstboot.service" <<'UNIT'
[Unit]
Description=nictune lab: network configuration and hostname from the kernel command line (first boot)
DefaultDependencies=no
After=local-fs.target
Before=systemd-networkd.service network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/nictune-lab-firstboot

[Install]
WantedBy=sysinit.target
UNIT
chroot "$rootfs" systemctl -q enable systemd-networkd.service nictune-lab-firstboot.service ssh.service
# Nothing that burns emulated CPU in the background or waits for a network that is already there.
# Under software emulation every unit costs: mask what a lab guest does not need. The root filesystem is
# mounted read-write by the initramfs; users, hwdb and the ld cache were made by debootstrap already.
chroot "$rootfs" systemctl -q mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer getty@tty1.service getty-static.service \
  dev-hugepages.mount dev-mqueue.mount sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
  modprobe@dm_mod.service modprobe@efi_pstore.service modprobe@configfs.service modprobe@fuse.service \
  modprobe@drm.service systemd-update-utmp.service systemd-update-utmp-runlevel.service \
  systemd-remount-fs.service systemd-sysusers.service systemd-pstore.service systemd-binfmt.service \
  proc-sys-fs-binfmt_misc.automount systemd-journal-flush.service \
  systemd-hwdb-update.service ldconfig.service systemd-journal-catalog-update.service \
  systemd-update-done.service systemd-network-generator.service modprobe@loop.service 2>/dev/null || true
mkdir -p "$rootfs/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$rootfs/etc/systemd/journald.conf.d/nictune-lab.conf"
# Trim: no documentation, locales or apt caches.
rm -rf "$rootfs"/usr/share/{doc,man,info,lintian,linda}/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*_Packages "$rootfs"/var/log/*.log
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +

# --- one disk image per variant --------------------------------------------------------------------
# The NIC drivers each variant lacks (every variant starts from the full module tree, in any order). The disk
# stays on IDE, not virtio, so a variant lacks only NIC drivers.
nic_modules="8139cp 8139too e1000 e1000e virtio_net vmxnet3"
lacks_of() {
  case "$1" in
    standard) echo "" ;;
    # the published guest's situation: a driver for e1000 (and vmxnet3), none for the paravirtual NIC nor e1000e
    novirtio) echo "virtio_net e1000e" ;;
    # a guest that can drive nothing better than the rtl8139 it starts on (8139cp, QEMU's RTL8139C+ driver)
    legacy) echo "8139too e1000 e1000e virtio_net vmxnet3" ;;
    *) return 1 ;;
  esac
}
for v in $variants; do
  lacks_of "$v" >/dev/null || { echo "unknown variant $v (standard, novirtio, legacy)" >&2; exit 2; }
done
mb=$(du -sm "$rootfs" | cut -f1)
size=$((mb + 768))
for v in $variants; do
  lacks=$(lacks_of "$v")
  rm -rf "${rootfs:?}/lib/modules/$kver"
  cp -a "$work/kernel/lib/modules/$kver" "$rootfs/lib/modules/"
  for mod in $lacks; do
    find "$rootfs/lib/modules/$kver/kernel" -name "$mod.ko" -delete
  done
  depmod -b "$rootfs" "$kver"
  # What the variant can load is exactly what it should: every NIC driver but those it lacks.
  for mod in $nic_modules; do
    if modprobe -d "$rootfs" -S "$kver" --show-depends "$mod" >/dev/null 2>&1; then has=yes; else has=no; fi
    case " $lacks " in *" $mod "*) want=no ;; *) want=yes ;; esac
    [ "$has" = "$want" ] || { echo "variant $v: module $mod loadable=$has, expected $want" >&2; exit 1; }
  done
  say "writing the $v root disk (${mb} MiB used of ${size} MiB; lacks: ${lacks:-nothing})"
  truncate -s "${size}M" "$out/$v.raw.tmp"
  mkfs.ext4 -q -F -L nictune-root -d "$rootfs" "$out/$v.raw.tmp"
  mv "$out/$v.raw.tmp" "$out/$v.raw"
done

{
  echo "kernel: $kpkg $kpkgver"
  echo "suite: $suite"
  echo "mirror: $mirror"
  echo "packages: $packages"
  echo "variants: $variants"
  for v in $variants; do echo "variant $v lacks: $(lacks_of "$v")"; done
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - t0)) s"
} >"$out/manifest.txt"
touch "$out/.complete"
prune
say "images ready in $out ($(du -sh "$out" | cut -f1) on disk)"
echo "IMAGE_DIR=$out"
