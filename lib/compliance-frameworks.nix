# The compliance frameworks mkFleet knows, by name, with a one-line summary.
# This is the ONE place the list lives: mkFleet's "unknown compliance
# framework" invariant, the docs and the error messages all read it.
#
# Every framework here has at least one control in the catalogue
# (lib/compliance/catalogue/): an enabled framework with nothing to check
# would pass without checking anything.
#
# Adding a framework here only lets fleets name it in
# `channels.<c>.compliance.frameworks` and in the refinements at fleet, tag
# and host scope (RFC-0007 §3.7). The evidence itself is produced on the host
# by the compliance collector (the L1 capability layer, RFC-0007 §3.6).
#
# Builtins only (evaluated without nixpkgs).
{
  "anssi-bp028" = "ANSSI BP-028 configuration recommendations for GNU/Linux systems.";
  "cis-level1" = "CIS Benchmarks, Level 1 profile.";
  "dora" = "DORA (Regulation (EU) 2022/2554), ICT risk-management protection and detection measures.";
  "iso27001" = "ISO/IEC 27001 Annex A technical controls.";
  "nis2-essential" = "NIS2 directive, essential-entity technical measures.";
}
