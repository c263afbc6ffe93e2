#!/usr/bin/env python3
"""Makes the apps' embedded font: Noto Sans SC (SIL Open Font License 1.1) cut down to
ASCII, Latin-1, common punctuation and the 6,763 Chinese characters of GB 2312, so the
screens render Chinese the same on every machine without shipping 30 MB of font.

Run once when the character set should change (needs `pip install fonttools` and the
Debian package fonts-noto-cjk); the output files are committed.
"""
from fontTools import subset
from fontTools.ttLib import TTCollection

chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
chars |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
chars |= {0x2190, 0x2192, 0x2212, 0x25CF, 0x2605, 0x2713}
for hi in range(0xB0, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(ord(bytes([hi, lo]).decode("gb2312")))
        except UnicodeDecodeError:
            pass
src = "/usr/share/fonts/opentype/noto/NotoSansCJK-{}.ttc"
for weight in ["Regular", "Bold"]:
    coll = TTCollection(src.format(weight))
    font = next(f for f in coll.fonts if "SC" in f["name"].getDebugName(1))
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=chars)
    sub.subset(font)
    font.save(f"SalonSans-{weight}.otf")
    print(weight, "done")
