"""check_png.py PNG - the screenshot of a report is not blank: it has many
colours, a good share of pixels unlike the background, and the report's
bar blue, anomaly orange and threshold red (with PAGE=monitor in the
environment, the monitoring page's: fewer blue pixels, as its points are
small, and the green of the batch marks).  A small PNG decoder (8-bit
RGB or RGBA, not interlaced) with the standard library only.  Exits 1 on
failure."""
import collections
import os
import struct
import sys
import zlib

BASE = (0x4C, 0x78, 0xA8)       # bars and points
ACCENT = (0xF5, 0x85, 0x18)     # anomalies
THRESHOLD = (0xD6, 0x27, 0x28)  # the threshold line
GREEN = (0x2C, 0xA0, 0x2C)      # the monitoring page's batch marks
MONITOR = os.environ.get('PAGE') == 'monitor'


def read_png(path):
    """Width, height, bytes per pixel and the unfiltered rows of an image."""
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit('%s: not a PNG file' % path)
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        sys.exit('%s: unsupported PNG (depth %d, colour type %d, interlace %d)'
                 % (path, depth, colour_type, interlace))
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b''.join(idat))
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def near(colour, target, tolerance=24):
    """Whether an RGB colour is within tolerance of target in every channel."""
    return all(abs(x - y) <= tolerance for x, y in zip(colour, target))


def main():
    """Decode the screenshot, run the checks, print them, exit 1 on a failure."""
    width, height, bpp, rows = read_png(sys.argv[1])
    counts = collections.Counter()
    for line in rows:
        counts.update(bytes(line[i:i + 3]) for i in range(0, len(line), bpp))
    pixels = width * height
    background, background_pixels = counts.most_common(1)[0]
    drawn = pixels - background_pixels
    shades = {name: sum(n for c, n in counts.items() if near(c, target))
              for name, target in (('bar blue', BASE), ('anomaly orange', ACCENT),
                                   ('threshold red', THRESHOLD), ('mark green', GREEN))}
    checks = [
        ('size %dx%d' % (width, height), width >= 1000 and height >= 1000),
        ('%d distinct colours (>= 50)' % len(counts), len(counts) >= 50),
        ('%.1f%% of pixels unlike the background #%s (>= 5%%)'
         % (100.0 * drawn / pixels, background.hex()), drawn >= 0.05 * pixels),
    ]
    minimum = ({'bar blue': 200, 'anomaly orange': 200, 'threshold red': 50, 'mark green': 100}
               if MONITOR else
               {'bar blue': 2000, 'anomaly orange': 200, 'threshold red': 50})
    for name, n in shades.items():
        if name in minimum:
            checks.append(('%d %s pixels (>= %d)' % (n, name, minimum[name]),
                           n >= minimum[name]))
    failed = 0
    for what, ok in checks:
        print('  %s png: %s' % ('ok  ' if ok else 'FAIL', what))
        failed += not ok
    sys.exit(1 if failed else 0)


main()
