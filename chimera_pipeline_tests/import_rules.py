"""An import-linter contract type the built-in ones lack: "importing these modules does not load
those packages", counting only the imports that run when a module is imported.

import-linter's ``forbidden`` contract counts every import, including the ones inside
functions. The no-change ``chimera run`` relies on the opposite distinction: the incremental
code may use pyarrow or DuckDB inside the functions that plan a run, but importing it must not
load them (their import alone costs more than the rest of a no-change run's Python work). So
this contract reads each module's own top-level statements (``if TYPE_CHECKING:`` blocks
excluded), follows the project's modules they import (parent packages included: importing
``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``) and reports every chain that reaches a
forbidden package.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache

from importlinter import Contract, ContractCheck, fields, output


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@cache
def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _top_level_imports(module: str) -> list[str]:
    """Modules imported by ``module``'s own top-level statements."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return []
    tree = ast.parse(open(spec.origin, encoding="utf-8").read())  # noqa: SIM115
    package = module if spec.submodule_search_locations else module.rpartition(".")[0]
    found: list[str] = []
    statements = list(tree.body)
    while statements:
        node = statements.pop(0)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            statements[:0] = node.orelse
            continue
        if isinstance(node, ast.If | ast.Try):
            statements[:0] = [*node.body, *getattr(node, "orelse", []),
                              *[s for h in getattr(node, "handlers", []) for s in h.body],
                              *getattr(node, "finalbody", [])]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(sub if _is_module(sub) else base)
    return found


class ModuleLevelForbiddenContract(Contract):
    """Importing ``source_modules`` (and their descendants) must not load
    ``forbidden_modules``; imports inside functions are allowed."""

    type_name = "module_level_forbidden"
    source_modules = fields.ListField(subfield=fields.ModuleField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        forbidden = set(self.forbidden_modules)
        root = self.session_options.get("root_packages") or []
        internal = tuple(root) if isinstance(root, list) else (root,)
        sources = sorted(m for m in graph.modules for s in self.source_modules
                         if m == s.name or m.startswith(s.name + "."))
        chains: list[list[str]] = []
        for source in sources:
            chain = self._reach(source, forbidden, internal)
            if chain:
                chains.append(chain)
        return ContractCheck(kept=not chains, metadata={"chains": chains})

    def _reach(self, source: str, forbidden: set[str], internal: tuple[str, ...]
               ) -> list[str] | None:
        """The first import chain from ``source`` to a forbidden package, breadth first."""
        seen, queue = {source}, [[source]]
        while queue:
            path = queue.pop(0)
            module = path[-1]
            for imported in [*_parents(module), *_top_level_imports(module)]:
                if imported.split(".")[0] in forbidden:
                    return [*path, imported]
                if imported.split(".")[0] in internal and imported not in seen:
                    seen.add(imported)
                    queue.append([*path, imported])
        return None

    def render_broken_contract(self, check: ContractCheck) -> None:
        for chain in check.metadata["chains"]:
            output.print_error(" -> ".join(chain) + " (module level)")
            output.new_line()
