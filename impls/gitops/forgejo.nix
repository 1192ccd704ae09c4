# Forgejo / Gitea source-URL builder (book §10.4): pure data, no module. The
# control plane reads one base URL holding the release layout
# (fleet.resolved.json, rollouts/, revocations.json, bootstrap-nonces.json,
# each with .sig); Forgejo and Gitea serve a branch's files at
# <url>/<owner>/<repo>/raw/branch/<branch>/<path>. Gitea's API is the same,
# so flake.scopes.gitops.gitea is this file too. Builtins only.
let
  inherit (builtins) match replaceStrings;
  trimSlashes = s: let m = match "/*(.*[^/])/*" s; in if m == null then "" else builtins.head m;
  # Path segments may hold anything but '/', '?' and '#' unescaped.
  escape = replaceStrings [ "%" " " "?" "#" ] [ "%25" "%20" "%3F" "%23" ];
  escapePath = p: escape (trimSlashes p);
in
/**
  URLs of a fleet repository's releases directory on a Forgejo or Gitea host.

  Inputs: `url` (the forge, https://…), `owner`, `repo`, `branch` (default
  "main"), `path` (the releases directory in the repository, default
  "releases"), `tokenFile` (a read token for private repositories, or null).

  Output: `baseUrl` (for services.nixfleet-control-plane.releaseSource.url),
  `artifactUrl` / `signatureUrl` (fleet.resolved.json and its .sig, for
  tools that poll one artifact), `tokenFile`.

  Type: forgejo :: { url, owner, repo, branch ? string, path ? string, tokenFile ? string | null } -> { baseUrl, artifactUrl, signatureUrl, tokenFile }

  Example: (forgejo { url = "https://git.example.com"; owner = "ops"; repo = "fleet"; }).baseUrl
    => "https://git.example.com/ops/fleet/raw/branch/main/releases/"
*/
{
  url,
  owner,
  repo,
  branch ? "main",
  path ? "releases",
  tokenFile ? null,
}:
let
  forge = trimSlashes url;
  p = escapePath path;
  baseUrl =
    if match "https?://.+" url == null then
      throw "gitops.forgejo: url = \"${url}\" is not an http(s) URL. Fix: e.g. url = \"https://git.example.com\"."
    else
      "${forge}/${escape owner}/${escape repo}/raw/branch/${escapePath branch}/${if p == "" then "" else "${p}/"}";
in
{
  inherit baseUrl tokenFile;
  artifactUrl = "${baseUrl}fleet.resolved.json";
  signatureUrl = "${baseUrl}fleet.resolved.json.sig";
}
