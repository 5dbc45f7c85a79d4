"""Compare each file's AST without docstrings to a base git revision: python astcmp.py BASE files..."""
import ast
import subprocess
import sys


def strip(src):
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False)

base, files = sys.argv[1], sys.argv[2:]
bad = 0
for f in files:
    old = subprocess.run(["git", "show", f"{base}:{f}"], capture_output=True, text=True, check=True).stdout
    new = open(f).read()
    same = strip(old) == strip(new)
    bad += not same
    print(("same   " if same else "DIFFERS"), f, len(old.splitlines()), "->", len(new.splitlines()))
sys.exit(bad)
