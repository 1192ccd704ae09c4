# examples/hive/fleet.nix: the homeserver's configuration declares its
# effective serverName irrevocable (settings.nix, module release v2).
import ../../../../examples/hive/fleet.nix
