"""Where the GCJ-02 offset applies: mainland China only.

Why not the usual ``outOfChina`` rectangle (lon 72.004-137.8347, lat 0.8293-55.8271)? It also
covers Hong Kong, Macau and Taiwan, where Amap, Tencent and Google serve plain WGS-84, and
large parts of neighbouring countries. Shifting a Hong Kong address by ~500 m puts it in
the wrong street, so we use the rectangle minus explicit exclusions:

* Hong Kong and Macau: hand-traced polygons (~15 vertices each). The land border with
  Shenzhen (Shenzhen River / Shenzhen Bay) and Zhuhai (Gongbei, Hengqin) is followed to
  within a few hundred metres; points in that strip may be misclassified, which moves them
  by at most one offset (~500 m) -- acceptable for a strip that is mostly river and port.
* Taiwan (main island, Penghu, Kinmen, Matsu): boxes that stay clear of the Fujian coast.
* Neighbours, where a box is cheap and clearly outside China: Korea, Japan, Russia beyond
  the Heilongjiang/Ussuri line, Mongolia's core, mainland South-East Asia, Luzon, and the
  subcontinent south of Tibet. Western borders (Kazakhstan, Kyrgyzstan, ...) are left to the
  rectangle: no delivery store is there and an exact border would need real data.

Everything is a test on (lon, lat) degrees. The offset is ~300-700 m, far smaller than
any of these shapes' margins except the HK/Macau land borders described above.
"""
from __future__ import annotations

# The classic rectangle: a point outside it is certainly not mainland China.
_RECT = (72.004, 0.8293, 137.8347, 55.8271)  # min_lon, min_lat, max_lon, max_lat

# (min_lon, min_lat, max_lon, max_lat) boxes. Taiwan: main island + Green/Orchid islands,
# Penghu, Kinmen, Matsu (Nangan/Beigan, Juguang, Dongyin). The Kinmen box stops at lat
# 24.53, south of Xiamen's Xiang'an district; the main box stops at 25.35, below Pingtan.
_TAIWAN_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (119.95, 21.85, 122.10, 25.35),
    (119.30, 23.15, 119.75, 23.82),
    (118.20, 24.37, 118.50, 24.53),
    (119.90, 26.13, 120.02, 26.26),
    (119.92, 25.94, 119.99, 25.99),
    (120.46, 26.34, 120.53, 26.40),
)

# Neighbouring countries inside the rectangle. Each box was checked against the Chinese
# towns nearest to it (named in the comments), which must stay outside the box.
_FOREIGN_BOXES: tuple[tuple[float, float, float, float], ...] = (
    # Korea: the south, then North Korea below the Yalu/Tumen line (Dandong is ~124.4E).
    (124.60, 33.00, 131.00, 38.70),
    (124.55, 37.50, 130.80, 40.10),
    (126.80, 40.10, 129.90, 41.20),  # Changbai (41.4N) and Linjiang stay outside
    # Japan: Ryukyu chain, then Kyushu/Honshu (south of 38N, so Yanbian is untouched).
    (122.90, 24.00, 131.50, 30.00),
    (129.20, 30.00, 137.84, 38.00),
    # Russian Primorsky: east of Dongning/Suifenhe (~131.15E), south of Lake Khanka.
    (131.35, 38.00, 137.84, 44.80),
    # Everything east of China's easternmost point (Fuyuan, ~134.77E).
    (135.10, 0.80, 137.84, 55.83),
    # North of China's northernmost point (~53.56N, Mohe).
    (72.00, 53.60, 137.84, 55.83),
    # Russia/Mongolia/Kazakhstan north of 49.3N and west of Hulunbuir (Xinjiang tops out
    # at ~49.18N; the China-Mongolia-Russia tripoint is near 116.7E).
    (72.00, 49.30, 116.30, 53.60),
    # Mongolia's core: China reaches ~42.8N between 97E and 110E, ~46.0N at 91.5E.
    (97.00, 43.50, 110.00, 49.30),
    (91.50, 46.80, 115.00, 49.30),
    # Mainland South-East Asia: Yunnan's southern tip is ~21.14N, Hainan starts at ~108.6E.
    (72.00, 0.80, 108.00, 21.00),
    (102.20, 0.80, 107.00, 21.60),  # northern Vietnam incl. Hanoi; Guangxi's border is north of 21.8N here
    (108.00, 0.80, 109.50, 17.00),  # central/south Vietnam coast, south of Sanya
    # Bangladesh, India, Myanmar west of Yunnan (Yingjiang reaches ~97.5E).
    (72.00, 0.80, 97.40, 26.50),
    # Luzon and the Philippine archipelago.
    (119.50, 5.00, 127.00, 18.70),
)

# Hand-traced (lon, lat) rings, WGS-84, following the land border on the China side.
_HONG_KONG: tuple[tuple[float, float], ...] = (
    (113.82, 22.14),
    (113.82, 22.40),
    (113.89, 22.43),  # mouth of Shenzhen Bay / Deep Bay
    (113.95, 22.47),  # south of Shekou (Shenzhen) and the Shenzhen Bay bridge
    (114.02, 22.505),  # Mai Po (HK) vs Futian mangroves (SZ)
    (114.065, 22.512),  # Lok Ma Chau vs Futian checkpoint
    (114.115, 22.530),  # Lo Wu vs Luohu
    (114.13, 22.537),  # Man Kam To
    (114.16, 22.556),  # Heung Yuen Wai
    (114.222, 22.547),  # Sha Tau Kok / Chung Ying Street
    (114.28, 22.55),  # below Yantian port
    (114.44, 22.56),  # around Tung Ping Chau, west of Nan'ao
    (114.45, 22.52),
    (114.50, 22.44),
    (114.50, 22.14),
)
_MACAU: tuple[tuple[float, float], ...] = (
    (113.528, 22.178),
    (113.526, 22.200),  # Inner Harbour, Wanzai (Zhuhai) is west of here
    (113.535, 22.214),  # Qingmao port
    (113.552, 22.218),  # Border Gate vs Gongbei
    (113.570, 22.210),
    (113.610, 22.170),
    (113.610, 22.100),
    (113.550, 22.100),
    (113.535, 22.115),  # Cotai / University of Macau campus vs Hengqin
    (113.535, 22.140),
)


def _bbox(ring: tuple[tuple[float, float], ...]) -> tuple[float, float, float, float]:
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


_NOT_MAINLAND_BOXES = _TAIWAN_BOXES + _FOREIGN_BOXES
_HK_BBOX = _bbox(_HONG_KONG)
_MACAU_BBOX = _bbox(_MACAU)


def _in_box(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _in_ring(lon: float, lat: float, ring: tuple[tuple[float, float], ...]) -> bool:
    # Even-odd ray casting; plain Python because it runs once per conversion and a
    # shapely call would cost more than the whole test for a 15-vertex ring.
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def is_hong_kong_or_macau(lon: float, lat: float) -> bool:
    if _in_box(lon, lat, _HK_BBOX) and _in_ring(lon, lat, _HONG_KONG):
        return True
    return _in_box(lon, lat, _MACAU_BBOX) and _in_ring(lon, lat, _MACAU)


def is_taiwan(lon: float, lat: float) -> bool:
    return any(_in_box(lon, lat, box) for box in _TAIWAN_BOXES)


def is_greater_china(lon: float, lat: float) -> bool:
    """Mainland plus Hong Kong, Macau and Taiwan (Baidu's offset region, see coordinates)."""
    if is_mainland_china(lon, lat):
        return True
    return is_hong_kong_or_macau(lon, lat) or is_taiwan(lon, lat)


def is_mainland_china(lon: float, lat: float) -> bool:
    """True where Chinese map providers apply the GCJ-02 offset (approximate, see module doc)."""
    if not _in_box(lon, lat, _RECT):
        return False
    for box in _NOT_MAINLAND_BOXES:
        if _in_box(lon, lat, box):
            return False
    return not is_hong_kong_or_macau(lon, lat)
