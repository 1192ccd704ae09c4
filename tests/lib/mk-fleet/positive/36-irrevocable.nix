# Irrevocable values from every scope: a tag, a host (replacing the tag's),
# the host's configuration (`nixfleet.irrevocable`, as the framework module
# declares it), a sensitive one, and a name both fleet.nix and the
# configuration declare with the same value.
{ mkFleet, ... }:
let
  s = import ../support.nix;
  withIrrevocable =
    name: values:
    s.configuration name
    // {
      config = (s.configuration name).config // {
        nixfleet.irrevocable = values;
      };
    };
in
mkFleet {
  hosts.hive-01 = s.host "hive-01" {
    channel = "stable";
    tags = [ "matrix" ];
    configuration = withIrrevocable "hive-01" {
      serverName = "example.com";
      clusterId = 7;
    };
    irrevocable.serverName = "example.com";
  };
  hosts.hive-02 = s.host "hive-02" {
    channel = "stable";
    tags = [ "matrix" ];
    irrevocable = {
      region = "eu-west";
      signingSeed = {
        value = "s3cr3t";
        sensitive = true;
      };
    };
  };
  tags.matrix.irrevocable = {
    region = "eu-north";
    federation = true;
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
