# Host identity glue (modules/core/_nixos.nix): hostSpec.hostName may carry
# dots (it is also the agent's certificate CN), NixOS' networking.hostName
# may not. Builtins only.
let
  inherit (builtins) match elemAt;
in
{
  /**
    Splits a host name into NixOS' hostName (first label) and domain (the
    rest, or null).

    Type: identity :: string -> { hostName :: string, domain :: string | null }

    Example: identity "web-01.paris" => { hostName = "web-01"; domain = "paris"; }
  */
  identity =
    name:
    let
      m = match "([^.]+)\\.(.+)" name;
    in
    if m == null then
      {
        hostName = name;
        domain = null;
      }
    else
      {
        hostName = elemAt m 0;
        domain = elemAt m 1;
      };

  /**
    Paths every impermanent NixOS host keeps, whatever the impl (book §10.3).

    Type: persistenceBaseline :: { directories :: [ string ]; files :: [ string ]; }
  */
  persistenceBaseline = {
    directories = [
      "/etc/nixos"
      "/etc/NetworkManager/system-connections"
      "/var/lib/systemd"
      "/var/lib/nixos"
      "/var/log"
    ];
    files = [ "/etc/machine-id" ];
  };
}
