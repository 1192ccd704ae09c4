# The initrd script of the impermanence impl: moves the btrfs @root
# subvolume to old_roots/<timestamp>, prunes rolled-over roots older than the
# retention, and creates an empty @root. Pure string rendering (tested);
# uses only busybox/btrfs-progs commands present in the NixOS initrd.
let
  inherit (builtins) toJSON;
in
{
  /**
    Type: script :: { device :: string, retentionDays :: int } -> string
  */
  script =
    { device, retentionDays }:
    let
      dev = toJSON device;
    in
    ''
      mkdir -p /btrfs_tmp
      mount -t btrfs -o subvol=/ ${dev} /btrfs_tmp
      if [ -e /btrfs_tmp/@root ]; then
        mkdir -p /btrfs_tmp/old_roots
        ts=$(date --date="@$(stat -c %Y /btrfs_tmp/@root)" "+%Y-%m-%d_%H:%M:%S")
        mv /btrfs_tmp/@root "/btrfs_tmp/old_roots/$ts"
      fi
      delete_subvolume_recursively() {
        IFS=$'\n'
        for i in $(btrfs subvolume list -o "$1" | cut -f 9- -d ' '); do
          delete_subvolume_recursively "/btrfs_tmp/$i"
        done
        btrfs subvolume delete "$1"
      }
      for i in $(find /btrfs_tmp/old_roots/ -maxdepth 1 -mtime +${toString retentionDays}); do
        delete_subvolume_recursively "$i"
      done
      btrfs subvolume create /btrfs_tmp/@root
      umount /btrfs_tmp
    '';
}
