# Test fixtures mkHost adds when `isVm = true`: the host becomes a QEMU VM
# (nixpkgs' qemu-vm module provides disks and filesystems) with a serial
# console and root auto-login, for `nixos-rebuild build-vm` and local
# experiments. Never for real hosts: auto-login is a fixture.
{ lib, modulesPath, ... }:
{
  imports = [ (modulesPath + "/virtualisation/qemu-vm.nix") ];

  virtualisation = {
    graphics = false;
    memorySize = lib.mkDefault 1024;
  };
  services.getty.autologinUser = lib.mkDefault "root";
}
