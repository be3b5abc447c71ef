#!/usr/bin/python3
# make_faces.py — make the persona face photos in faces/ from two
# public-domain portraits shipped by Debian packages (see README.md).
# Crops a passport-like 3:4 head-and-shoulders box, scales it to 240x320 and
# writes a baseline JPEG under 20 KB. Needs python3-pil.
#   /usr/bin/python3 devices/data/make_faces.py
import os
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = [
    # (output, source file, crop box left, top, right, bottom)
    ("astronaut.jpg",
     "/usr/lib/python3/dist-packages/skimage/data/astronaut.png",
     (105, 0, 345, 320)),
    ("grace_hopper.jpg",
     "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg",
     (82, 0, 442, 480)),
]

for name, src, box in SOURCES:
    img = Image.open(src).convert("RGB").crop(box).resize((240, 320), Image.LANCZOS)
    out = os.path.join(HERE, "faces", name)
    img.save(out, "JPEG", quality=80, optimize=True)
    print(out, os.path.getsize(out), "bytes")
