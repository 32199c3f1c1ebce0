#!/usr/bin/env python3
"""check-layers.py - check the source tree against its layers (layers.conf).

Owns the layer rules of docs/ARCHITECTURE.md as a check:
  include  a quoted #include that reaches a header of a layer not in USES
  symbol   an object calling into (or using data of) a layer not in USES
  cycle    .c files that call each other in a circle (any layers)
  api      json-c / libevent used by a layer marked !json-c / !libevent

Usage: scripts/check-layers.py [--root DIR] [--layers FILE] --objects BUILDDIR
  BUILDDIR holds ROOT/P.c compiled to BUILDDIR/P.o.  Each finding is printed
  as FILE:LINE: KIND: message, then one summary line.  Exit 0 clean,
  1 on findings, 2 on a usage error.  Python 3 stdlib only; needs nm.
"""
import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict, namedtuple

Layer = namedtuple("Layer", "name folder uses apis")
# outside libraries: the headers and symbol prefixes that touch them
APIS = {
    "json-c": (re.compile(r"^(json-c/|(json|json_object|json_tokener)\.h$)"),
               ("json_",)),
    "libevent": (re.compile(r"^(event2/|(event|evhttp|evutil)\.h$)"),
                 ("event_", "evbuffer_", "bufferevent_", "evconnlistener_",
                  "evutil_", "evhttp_")),
}
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^">\n]+)[">]', re.M)
COMMENT_OR_STRING = re.compile(
    r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
UNDEFINED_TYPES = "Uwv"      # nm: undefined, weak undefined


class UsageError(Exception):
    pass


def parse_layers(path):
    """layers.conf -> {name: Layer}, in file order (lowest first)."""
    if not os.path.isfile(path):
        raise UsageError(f"no layers file {path}")
    layers = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) < 2 or words[0] in layers:
                raise UsageError(f"{path}:{n}: want NAME FOLDER [USES...] [!API...]"
                                 f" with a new NAME")
            uses = [w for w in words[2:] if not w.startswith("!")]
            apis = [w[1:] for w in words[2:] if w.startswith("!")]
            unknown = [a for a in apis if a not in APIS]
            if unknown:
                raise UsageError(f"{path}:{n}: unknown library !{unknown[0]} "
                                 f"(known: {', '.join(APIS)})")
            layers[words[0]] = Layer(words[0], os.path.normpath(words[1]), uses, apis)
    for layer in layers.values():
        for used in layer.uses:
            if used not in layers:
                raise UsageError(f"{path}: layer {layer.name} uses unknown layer {used}")
    if not layers:
        raise UsageError(f"{path}: no layers")
    return layers


def layer_of(path, layers):
    """The layer whose folder is the longest prefix of path, or None."""
    holders = [m for m in layers.values() if m.folder == "." or path == m.folder
               or path.startswith(m.folder + "/")]
    return max(holders, key=lambda m: len(m.folder), default=None)


def may_use(layer, other):
    return other is None or other.name == layer.name or other.name in layer.uses


def source_files(root, layers):
    """Every .c/.h file of a layer, as a path relative to root -> its layer."""
    files = {}
    for layer in layers.values():
        if not os.path.isdir(os.path.join(root, layer.folder)):
            print(f"check-layers: warning: layer {layer.name}: no folder "
                  f"{layer.folder}", file=sys.stderr)
        for dirpath, dirnames, names in os.walk(os.path.join(root, layer.folder)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in names:
                if name.endswith((".c", ".h")):
                    rel = os.path.relpath(os.path.join(dirpath, name), root)
                    files[rel] = layer_of(rel, layers)
    return files


def strip_comments(text):
    """Blank out C comments, keeping newlines so line numbers stay right."""
    def blank(m):
        s = m.group(0)
        return s if s[0] in "\"'" else re.sub(r"[^\n]", " ", s) or " "
    return COMMENT_OR_STRING.sub(blank, text)


def includes(root, path):
    """(line, delimiter, name) of each #include of a file."""
    with open(os.path.join(root, path), errors="replace") as f:
        text = strip_comments(f.read())
    for m in INCLUDE.finditer(text):
        yield text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2).strip()


def find_header(root, dirs, name):
    """The first dirs/name that exists, relative to root, or None."""
    for d in dirs:
        path = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(root, path)):
            return path
    return None


def check_include(root, layers, path, layer, name):
    """A quoted include as the compiler resolves it with per-layer -iquote."""
    search = [os.path.dirname(path), layer.folder] + \
        [layers[u].folder for u in layer.uses]
    found = find_header(root, search, name)
    owners = [layer_of(found, layers)] if found else \
        [layer_of(p, layers) for p in
         (find_header(root, [m.folder], name) for m in layers.values()) if p]
    owners = [m for m in owners if not may_use(layer, m)]
    if not owners:
        return None       # allowed, or a system / generated header
    names = " or ".join(sorted({m.name for m in owners}))
    allowed = "only " + ", ".join(layer.uses) if layer.uses else "no other layer"
    return f'"{name}" is layer {names}; layer {layer.name} may use {allowed}'


def check_sources(root, layers, files):
    found = []
    for path, layer in sorted(files.items()):
        for line, delim, name in includes(root, path):
            for api in layer.apis:
                if APIS[api][0].search(name):
                    spelled = f"<{name}>" if delim == "<" else f'"{name}"'
                    found.append((path, line, "api", f"layer {layer.name} may not "
                                  f"use {api}: #include {spelled}"))
            if delim == '"':
                msg = check_include(root, layers, path, layer, name)
                if msg:
                    found.append((path, line, "include", msg))
    return found


def read_symbols(objects):
    """nm -g of the objects -> {object: (defined names, undefined names)}."""
    syms = {o: (set(), set()) for o in objects}
    for i in range(0, len(objects), 200):     # one nm for many objects: fast
        try:
            out = subprocess.run(["nm", "-g", "-P", "-A", *objects[i:i + 200]],
                                 capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise UsageError(f"nm: {getattr(e, 'stderr', None) or e}".strip())
        for line in out.splitlines():
            obj, _, rest = line.partition(": ")
            parts = rest.split()
            if obj in syms and len(parts) >= 2:
                defined, undefined = syms[obj]
                (undefined if parts[1] in UNDEFINED_TYPES else defined).add(parts[0])
    return syms


def load_objects(objdir, files):
    """{source .c: (defined, undefined)}; UsageError when objects are missing."""
    sources = sorted(p for p in files if p.endswith(".c"))
    objects = {p: os.path.join(objdir, p[:-2] + ".o") for p in sources}
    missing = [o for o in objects.values() if not os.path.isfile(o)]
    if sources and len(missing) == len(sources):
        raise UsageError(f"no objects for the layers' .c files in {objdir}")
    if missing:
        raise UsageError(f"{len(missing)} .c files of the layers have no object "
                         f"(the check would be incomplete):\n  " + "\n  ".join(missing))
    syms = read_symbols(list(objects.values()))
    return {p: syms[o] for p, o in objects.items()}


def resolve(definers, src, layer, files):
    """The objects a use links to: those of its own layer if one defines
    the symbol (as the linker prefers, e.g. two main()), else allowed ones."""
    others = [o for o in definers if o != src]
    return [o for o in others if files[o] is layer] or \
        [o for o in others if may_use(layer, files[o])] or others


def check_symbols(layers, files, syms):
    """symbol and api findings, and the call graph {a: {b: {symbols}}}."""
    definer = defaultdict(list)
    for src, (defined, _) in syms.items():
        for name in defined:
            definer[name].append(src)
    found, graph = [], defaultdict(lambda: defaultdict(set))
    for src, (_, undefined) in sorted(syms.items()):
        layer = files[src]
        for name in sorted(undefined):
            for other in resolve(definer.get(name, []), src, layer, files):
                graph[src][other].add(name)
                m = files[other]
                if not may_use(layer, m):
                    found.append((src, 0, "symbol", f"{name} is defined in {other} "
                                  f"(layer {m.name}); layer {layer.name} may not use {m.name}"))
            for api in layer.apis:
                if name.startswith(APIS[api][1]) and name not in definer:
                    found.append((src, 0, "api",
                                  f"layer {layer.name} may not use {api}: calls {name}"))
    return found, graph


def strong_components(graph):
    """Tarjan's algorithm, iterative: the components of the graph."""
    index, low, stack, on_stack, work, comps = {}, {}, [], set(), [], []

    def push(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work.append((node, iter(sorted(graph.get(node, ())))))
    for start in sorted(graph):
        if start not in index:
            push(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while not comp or comp[-1] != node:
                        comp.append(stack.pop())
                        on_stack.discard(comp[-1])
                    comps.append(sorted(comp))
            elif child not in index:
                push(child)
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return comps


def few_names(names, n=3):
    names = sorted(names)
    return ", ".join(names[:n]) + (f" +{len(names) - n} more" if len(names) > n else "")


def check_cycles(graph):
    """One finding per strongly connected component of more than one file."""
    found = []
    for comp in strong_components(graph):
        if len(comp) > 1:
            edges = [f"{a} -> {b} ({few_names(graph[a][b])})"
                     for a in comp for b in comp if b in graph.get(a, {})]
            found.append((comp[0], 0, "cycle", f"{len(comp)} files: " + "; ".join(edges)))
    return sorted(found)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=".")
    ap.add_argument("--layers")
    ap.add_argument("--objects", required=True, metavar="BUILDDIR")
    args = ap.parse_args(argv)
    try:
        layers = parse_layers(args.layers or os.path.join(args.root, "layers.conf"))
        files = source_files(args.root, layers)
        syms = load_objects(args.objects, files)
    except UsageError as e:
        print(f"check-layers: error: {e}", file=sys.stderr)
        return 2
    found = check_sources(args.root, layers, files)
    sym_found, graph = check_symbols(layers, files, syms)
    cycles = check_cycles(graph)
    for path, line, kind, msg in sorted(found + sym_found) + cycles:
        print(f"{path}:{line}: {kind}: {msg}")
    v, c = len(found) + len(sym_found), len(cycles)
    print(f"check-layers: {len(files)} files in {len(layers)} layers, "
          f"{len(syms)} objects: {v} violations, {c} cycles")
    return 1 if v + c else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
