#!/usr/bin/env python3
"""Writes the built-in layout files (grid, speaker, filmstrip, presentation, pip) beside
this script. Run once after changing a geometry; the JSON files are the committed data.
All geometry assumes a 16:9 canvas: a slot with w == h keeps a 16:9 tile."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def num(v):
    v = round(v, 10)
    return repr(int(v)) if v == int(v) else repr(v)


def slot(x, y, w, h, role="any", z=0):
    s = '{"x": %s, "y": %s, "w": %s, "h": %s' % (num(x), num(y), num(w), num(h))
    if z:
        s += ', "z": %d' % z
    if role != "any":
        s += ', "role": "%s"' % role
    return s + "}"


def write(name, variants):
    lines = ['{ "name": "%s",' % name, '  "variants": [']
    for vi, (maxp, slots) in enumerate(variants):
        lines.append('    { "max_participants": %d, "slots": [' % maxp)
        for si, s in enumerate(slots):
            lines.append("        " + s + ("," if si + 1 < len(slots) else ""))
        lines.append("    ] }" + ("," if vi + 1 < len(variants) else ""))
    lines.append("  ] }")
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        f.write("\n".join(lines) + "\n")


def grid_variant(cols, rows, size):
    """cols x rows tiles of size x size, centred on the canvas, row-major."""
    x0 = (1 - cols * size) / 2
    y0 = (1 - rows * size) / 2
    return [slot(x0 + c * size, y0 + r * size, size, size)
            for r in range(rows) for c in range(cols)]


def grid():
    shapes = [(1, 1, 1, 1), (2, 2, 1, 1 / 2), (4, 2, 2, 1 / 2), (6, 3, 2, 1 / 3),
              (9, 3, 3, 1 / 3), (12, 4, 3, 1 / 4), (16, 4, 4, 1 / 4), (25, 5, 5, 1 / 5)]
    write("grid", [(n, grid_variant(c, r, s)) for n, c, r, s in shapes])


def speaker():
    # Speaker 5/6 of the height on top, a centred strip of 1/6 tiles below.
    variants = [(1, [slot(0, 0, 1, 1, "speaker")])]
    for n in range(2, 8):
        k = n - 1
        x0 = (1 - k / 6) / 2
        slots = [slot(1 / 12, 0, 5 / 6, 5 / 6, "speaker")]
        slots += [slot(x0 + i / 6, 5 / 6, 1 / 6, 1 / 6) for i in range(k)]
        variants.append((n, slots))
    write("speaker", variants)


def filmstrip():
    # Main tile 0.8 x 0.8 on the left, a vertically centred column of 0.2 tiles.
    variants = [(1, [slot(0, 0, 1, 1, "speaker")])]
    for n in range(2, 7):
        k = n - 1
        y0 = (1 - k * 0.2) / 2
        slots = [slot(0, 0.1, 0.8, 0.8, "speaker")]
        slots += [slot(0.8, y0 + i * 0.2, 0.2, 0.2) for i in range(k)]
        variants.append((n, slots))
    write("filmstrip", variants)


def presentation():
    # Screen share 3/4 on the left, up to 4 tiles of 1/4 stacked on the right.
    variants = [(1, [slot(0, 0, 1, 1, "screen")])]
    for n in range(2, 6):
        k = n - 1
        y0 = (1 - k * 0.25) / 2
        slots = [slot(0, 0.125, 0.75, 0.75, "screen")]
        slots += [slot(0.75, y0 + i * 0.25, 0.25, 0.25, "speaker" if i == 0 else "any")
                  for i in range(k)]
        variants.append((n, slots))
    write("presentation", variants)


def pip():
    full = slot(0, 0, 1, 1, "speaker")
    write("pip", [(1, [full]), (2, [full, slot(0.73, 0.71, 0.25, 0.25, z=1)])])


if __name__ == "__main__":
    grid()
    speaker()
    filmstrip()
    presentation()
    pip()
