"""The grammar of the client-certificate subset, for Lark's LALR parser (built once per process).

Sources: https://developers.cloudflare.com/ruleset-engine/rules-language/operators/ (comparison operators in
English and C-like notation, logical operators and their precedence: not, and, xor, or; grouping),
.../rules-language/values/ (quoted strings with ``\\"`` ``\\\\`` escapes, raw strings ``r#"..."#``, inline sets
``{"a" "b"}`` separated by spaces, Boolean fields used bare), .../rules-language/functions/.

Where Cloudflare's engine (wirefilter) reads a keyword without a word boundary (``notcf.tls...``,
``"a"andhttp.host``), so does this grammar: the keyword terminals take priority over names. A few forms
that are valid Cloudflare syntax but outside the subset are parsed so they can be reported as "cannot
evaluate" rather than as errors: other comparison operators, byte-string literals ``41:42``, a field on the
right of a comparison, list references ``$name``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lark import Lark

__all__ = ["GRAMMAR", "parser"]

GRAMMAR = r"""
?start: or_expr

?or_expr: xor_expr (OR xor_expr)*
?xor_expr: and_expr (XOR and_expr)*
?and_expr: unary (AND unary)*

?unary: NOT unary                         -> negation
      | "(" or_expr ")"
      | simple

simple: operand                           -> bare
      | operand COMPARE value             -> comparison
      | operand MATCHES string            -> match
      | operand IN "{" set_item* "}"      -> membership
      | operand IN LIST_REF               -> list_membership
      | operand OTHER_OPERATOR value      -> other_comparison

?operand: NAME                            -> field
        | NAME "(" [argument ("," argument)*] ")"   -> call

?argument: operand | string | INT -> integer

?value: string | INT -> integer | BYTES -> bytes | operand

?set_item: string | INT -> integer | BYTES -> bytes

string: STRING | RAW_STRING

NOT.3: /not|!/
AND.3: /and|&&/
OR.3: /or|\|\|/
XOR.3: /xor|\^\^/
COMPARE.3: /eq|ne|contains|==|!=/
MATCHES.3: /matches|~/
IN.3: "in"
OTHER_OPERATOR.3: /lt|le|gt|ge|<=|>=|<|>|wildcard|strict\s+wildcard/
BYTES.2: /[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+/
NAME: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/
INT: /-?[0-9]+/
STRING.4: /"(?:[^"\\]|\\.)*"/s
RAW_STRING.4: /r(?P<hashes>#*)"(?s:.*?)"(?P=hashes)/
LIST_REF: /\$[a-z0-9_]+/

%ignore /\s+/
"""


@cache
def parser() -> Lark:
    from lark import Lark

    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True, maybe_placeholders=False)
