"""hostile.py - answers broken on purpose, for the project's fake servers
(fake-polymarket.py --mutate, fake-llm.py --mutate): mutate(body, rng)
turns a JSON answer into what a hostile or broken server might send.  The
same rng gives the same answer."""
import json

# What --mutate puts in place of a value: other types, numbers past every
# range, a lone surrogate, long and deep (and in one answer of eight,
# what JSON cannot hold: NaN, Infinity, bytes that are not UTF-8).
ODD_VALUES = (None, True, 0, -1, 1.5, 1e308, 10 ** 30, -(10 ** 30), "",
              "x" * 70000, "\ud800", "\x00", "\u00e9\u4e2d\U0001f600",
              [], {}, [None], {"": None},
              "2024-13-45T99:99:99Z", "null", "[\"Yes\"", "-0",
              "1e999")


def deep(n):
    v = None
    for _ in range(n):
        v = [v]
    return v


def mutate(body, rng):
    """A hostile answer made from body (JSON bytes): values replaced by
    ODD_VALUES or deep nesting, keys dropped, and in one answer of eight
    not JSON at all: NaN or Infinity in a value's place, or the bytes
    themselves flipped, cut or padded with invalid UTF-8."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    nodes = []

    def walk(v):
        if isinstance(v, dict):
            for k in list(v):
                nodes.append((v, k))
                walk(v[k])
        elif isinstance(v, list):
            for i in range(len(v)):
                nodes.append((v, i))
                walk(v[i])
    walk(doc)
    for _ in range(min(len(nodes), rng.randint(1, 6))):
        parent, k = rng.choice(nodes)
        try:
            if isinstance(parent, dict) and rng.random() < 0.2:
                del parent[k]
            elif rng.random() < 0.05:
                parent[k] = deep(rng.choice((100, 1100, 5000)))
            else:
                parent[k] = rng.choice(ODD_VALUES)
        except (KeyError, IndexError):
            pass
    try:
        out = json.dumps(doc, separators=(",", ":")).encode()
    except (RecursionError, ValueError):
        out = body
    if rng.random() >= 0.125 or not out:
        return out
    op = rng.randint(0, 3)
    at = rng.randrange(len(out))
    if op == 3 and nodes:
        parent, k = rng.choice(nodes)
        try:
            parent[k] = rng.choice((float("nan"), float("-inf")))
            out = json.dumps(doc, separators=(",", ":")).encode()
        except (KeyError, IndexError, RecursionError, ValueError):
            pass
        return out
    b = bytearray(out)
    if op == 0:
        b[at] ^= 1 << rng.randint(0, 7)
    elif op == 1:
        del b[at:]
    else:
        b[at:at] = rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"))
    return bytes(b)

