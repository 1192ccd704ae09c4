# Per-host commit pins (Boundary contracts §I.1): most specific wins,
# host > tag > channel.
#
# Owns: `hosts.<h>.pin` of fleet.resolved and the "tag pins disagree"
# invariant. Never: expiry (the release step filters pins past expiresAt).
#
# Builtins only.
let
  inherit (builtins)
    all
    concatMap
    concatStringsSep
    head
    toJSON
    ;

  # The resolved-pin shape: every key present.
  shape = p: {
    inherit (p) commit reason;
    expiresAt = p.expiresAt or null;
  };

  tagPins =
    tags: host:
    concatMap (
      t:
      let
        p = (tags.${t} or { }).pin or null;
      in
      if p == null then
        [ ]
      else
        [
          {
            tag = t;
            pin = shape p;
          }
        ]
    ) host.tags;

  /**
    The pin that applies to a host, or null: the host's own pin, else the
    pin its tags agree on, else its channel's pin. When the host has no pin
    of its own and two of its tags carry different pins, the result is
    `{ conflict = [ { tag, pin } … ]; }` (reported by `errors`).

    Type: resolvePin :: { tags, channels } -> host -> pin | null | { conflict }

    Example: resolvePin { inherit tags channels; } { pin = null; tags = [ "gpu" ]; channel = "stable"; }
      => { commit = "3f2a9c1d"; reason = "driver regression"; expiresAt = null; }
  */
  resolvePin =
    { tags, channels }:
    host:
    if host.pin != null then
      shape host.pin
    else
      let
        fromTags = tagPins tags host;
        first = (head fromTags).pin;
        chan = (channels.${host.channel} or { }).pin or null;
      in
      if fromTags != [ ] then
        (if all (x: x.pin == first) fromTags then first else { conflict = fromTags; })
      else if chan != null then
        shape chan
      else
        null;

  /**
    "Tag pins disagree" errors, one per affected host.

    Type: errors :: { tags, channels } -> attrsOf host -> [ string ]

    Example: errors { inherit tags channels; } { gpu-01 = { pin = null; tags = [ "gpu" "rocm" ]; channel = "stable"; }; }
      => [ "fleet: hosts.gpu-01: the tag pins of this host disagree (…). Fix: …" ]
  */
  errors =
    ctx: hosts:
    concatMap (
      name:
      let
        r = resolvePin ctx hosts.${name};
      in
      if r != null && r ? conflict then
        [
          "fleet: hosts.${name}: the tag pins of this host disagree (${
            concatStringsSep "; " (map (x: "tags.${x.tag}.pin = ${toJSON x.pin}") r.conflict)
          }). Fix: set hosts.${name}.pin to decide (host pins win over tag pins), or make those tag pins equal."
        ]
      else
        [ ]
    ) (builtins.attrNames hosts);
in
{
  inherit resolvePin errors;
}
