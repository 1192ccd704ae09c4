# flake.devShells.default: what `npm test` expects on a machine (ENVIRONMENT.md),
# from nixpkgs instead of Debian.
{ pkgs }:
pkgs.mkShell {
  packages = [
    pkgs.nodejs_20
    pkgs.python3
    pkgs.nix
    pkgs.openssh
    pkgs.openssl
    pkgs.sqlite
    pkgs.tmux
    pkgs.age
    pkgs.jq
    pkgs.nixfmt-rfc-style
  ];
}
