# mkHost's arguments (book §10.2): checked and defaulted without nixpkgs, so
# a wrong call fails with a message naming the host and the fix, before any
# NixOS evaluation. Builtins only.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    isAttrs
    isBool
    isList
    isString
    match
    ;

  known = [
    "hostName"
    "platform"
    "stateVersion"
    "hostSpec"
    "modules"
    "isVm"
    "extraInputs"
    "fleetHealthChecks"
  ];

  fail = subject: msg: throw "mkHost ${subject}: ${msg}";
in
/**
  Validated mkHost arguments with defaults filled:
  `{ hostName, platform, stateVersion, hostSpec = { }, modules = [ ],
  isVm = false, extraInputs = { }, fleetHealthChecks = null }`.

  Type: args :: attrset -> attrset

  Example: (import ./args.nix { hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24.11"; }).modules
    => [ ]
*/
args:
let
  name = args.hostName or "<unnamed>";
  subject = if isString name then name else "<unnamed>";
  unknown = filter (k: !(builtins.elem k known)) (attrNames args);
  get = k: d: args.${k} or d;
in
if !(isAttrs args) then
  throw "mkHost: expected an attribute set of arguments, got ${builtins.typeOf args}. Fix: mkHost { hostName = \"web-01\"; platform = \"x86_64-linux\"; stateVersion = \"24.11\"; }"
else if unknown != [ ] then
  fail subject "unknown argument(s) ${concatStringsSep ", " unknown}; known: ${concatStringsSep ", " known}. Fix: put NixOS settings in `modules`."
else if !(args ? hostName) then
  fail subject "hostName is required. Fix: mkHost { hostName = \"web-01\"; … } (mkFleet passes it for you)."
else if !(isString args.hostName) || match "[a-z0-9][a-z0-9._-]{0,62}" args.hostName == null then
  fail subject "hostName must match [a-z0-9][a-z0-9._-]{0,62} (it is the agent's certificate CN). Fix: use a lowercase DNS-style name."
else if !(args ? platform) then
  fail subject "platform is required. Fix: set platform = \"x86_64-linux\" (or \"aarch64-linux\")."
else if !(isString args.platform) || match ".+-(linux|darwin)" args.platform == null then
  fail subject "platform = ${builtins.toJSON args.platform} is not a Nix system double. Fix: use \"x86_64-linux\" or \"aarch64-linux\"."
else if match ".+-darwin" args.platform != null then
  fail subject "platform = \"${args.platform}\": Darwin hosts need nix-darwin, which this flake does not take as an input. Fix: build them with darwin.lib.darwinSystem and the fleet's own modules."
else if !(args ? stateVersion) then
  fail subject "stateVersion is required for NixOS hosts. Fix: set stateVersion = \"24.11\" (the release the host was installed with; never bump it casually)."
else if !(isString args.stateVersion) || match "[0-9]{2}\\.[0-9]{2}" args.stateVersion == null then
  fail subject "stateVersion = ${builtins.toJSON args.stateVersion} is not a NixOS release (YY.MM). Fix: e.g. \"24.11\"."
else if !(isAttrs (get "hostSpec" { })) then
  fail subject "hostSpec must be an attribute set (contracts/host-spec.nix)."
else if (get "hostSpec" { }) ? hostName && args.hostSpec.hostName != args.hostName then
  fail subject "hostSpec.hostName = \"${toString args.hostSpec.hostName}\" differs from hostName; mkHost forces hostSpec.hostName = hostName. Fix: remove hostSpec.hostName."
else if !(isList (get "modules" [ ])) then
  fail subject "modules must be a list of NixOS modules."
else if !(isBool (get "isVm" false)) then
  fail subject "isVm must be a boolean."
else if !(isAttrs (get "extraInputs" { })) then
  fail subject "extraInputs must be an attribute set of flake inputs."
else
  {
    inherit (args) hostName platform stateVersion;
    hostSpec = get "hostSpec" { };
    modules = get "modules" [ ];
    isVm = get "isVm" false;
    extraInputs = get "extraInputs" { };
    fleetHealthChecks = get "fleetHealthChecks" null;
  }
