# Tiny assertion helpers for the `cases.nix` suites: each case is
# `{ ok :: bool; detail :: string; }`; tests/lib/support/run-cases.sh prints
# the failures and the `N passed, N failed` line. Builtins only.
let
  inherit (builtins)
    all
    any
    isList
    isString
    toJSON
    tryEval
    ;
  show = v: toJSON v;
in
rec {
  eq = actual: expected: {
    ok = actual == expected;
    detail = "expected ${show expected}\n      got      ${show actual}";
  };

  # `expr` fails to evaluate (throw/assert). Messages are checked by the
  # shell suites; here only failure is observable.
  throws = expr: {
    ok = !(tryEval (builtins.deepSeq expr expr)).success;
    detail = "expected an evaluation error, got a value";
  };

  # Some string of `strings` contains every fragment of `fragments`.
  mentions = strings: fragments: {
    ok = isList strings && any (s: all (f: hasInfix f s) fragments) strings;
    detail = "expected a message containing ${show fragments}, got ${show strings}";
  };

  none = list: {
    ok = list == [ ];
    detail = "expected none, got ${show list}";
  };

  truthy = b: detail: {
    ok = b == true;
    inherit detail;
  };

  hasInfix =
    infix: s:
    isString s && builtins.match ".*${escapeRegex infix}.*" (builtins.replaceStrings [ "\n" ] [ " " ] s) != null;

  # `]` and `}` stay as they are: unescaped they are literal in POSIX ERE,
  # escaped they are an error for Nix's regex engine.
  escapeRegex = builtins.replaceStrings [ "\\" "." "*" "+" "?" "(" ")" "[" "{" "|" "^" "$" ] [
    "\\\\"
    "\\."
    "\\*"
    "\\+"
    "\\?"
    "\\("
    "\\)"
    "\\["
    "\\{"
    "\\|"
    "\\^"
    "\\$"
  ];

  # Failing assertions' messages.
  failing = assertions: map (a: a.message) (builtins.filter (a: !a.assertion) assertions);
}
