"""Demo stores: 40 Qianxian Fresh stores across Hangzhou.

Coordinates are WGS-84 (GPS / OpenStreetMap datum, *not* the GCJ-02 used by
Chinese map apps), placed on land in real neighbourhoods, away from West Lake
and the Qiantang river. Street addresses use real street names with made-up
house numbers; the stores themselves are fictional. Each point gets a
deterministic (hashlib-based) offset of at most ~30 m so coordinates are not
on a round grid.

Business hours: ``hours[weekday]`` (0=Mon .. 6=Sun) is a list of
``("HH:MM", "HH:MM")`` local-time intervals. ``("00:00", "24:00")`` is open all
day; a close earlier than the open (e.g. ``("08:00", "02:00")``) means the
interval ends on the next day.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from demo.chain import partner_for_district

TIMEZONE = "Asia/Shanghai"
DELIVERY_RADIUS_M = 3000

# (min_lon, min_lat, max_lon, max_lat): Hangzhou's built-up core districts.
HANGZHOU_BBOX: tuple[float, float, float, float] = (119.85, 30.05, 120.50, 30.50)

# district key -> (code, Chinese name, English name)
DISTRICTS: dict[str, tuple[str, str, str]] = {
    "xihu": ("XH", "西湖区", "Xihu"),
    "gongshu": ("GS", "拱墅区", "Gongshu"),
    "yuhang": ("YH", "余杭区", "Yuhang"),
    "shangcheng": ("SC", "上城区", "Shangcheng"),
    "binjiang": ("BJ", "滨江区", "Binjiang"),
    "xiaoshan": ("XS", "萧山区", "Xiaoshan"),
    "qiantang": ("QT", "钱塘区", "Qiantang"),
}

Interval = tuple[str, str]
WeeklyHours = dict[int, list[Interval]]


@dataclass(frozen=True)
class DemoStore:
    code: str  # "HZ-XH-001"
    name: str  # Chinese + English
    name_zh: str
    name_en: str
    address: str  # Chinese street address
    district: str  # key of DISTRICTS, e.g. "xihu"
    partner: str  # "west" | "east"
    lon: float  # WGS-84, 6 decimals
    lat: float  # WGS-84, 6 decimals
    timezone: str
    hours: WeeklyHours
    status: str  # "OPEN" | "PAUSED"
    delivery_radius_m: int
    prep_minutes: int

    @property
    def partner_key(self) -> str:
        return f"partner:{self.partner}"

    @property
    def is_24h(self) -> bool:
        return all(v == [("00:00", "24:00")] for v in self.hours.values())


def _every_day(open_: str, close: str) -> WeeklyHours:
    return {d: [(open_, close)] for d in range(7)}


def _weekend_late(open_: str, close: str, late_close: str) -> WeeklyHours:
    h = _every_day(open_, close)
    for d in (4, 5):  # Fri, Sat
        h[d] = [(open_, late_close)]
    return h


_HOURS: dict[str, WeeklyHours] = {
    "std": _every_day("07:00", "22:00"),
    "24h": _every_day("00:00", "24:00"),
    "late": _every_day("08:00", "02:00"),  # closes 02:00 next day
    "late9": _every_day("09:00", "02:00"),  # closes 02:00 next day
    "wkend": _weekend_late("07:00", "22:00", "23:00"),
    "short": _every_day("07:30", "21:30"),
}

# district, name_zh (branch), name_en (branch), address, lon, lat, hours, status, prep_minutes
_ROWS: tuple[tuple[str, str, str, str, float, float, str, str, int], ...] = (
    # --- Xihu (west) ---
    ("xihu", "文二路店", "Wen'er Road", "西湖区文二路188号", 120.137000, 30.283000, "std", "OPEN", 10),
    ("xihu", "黄龙店", "Huanglong", "西湖区曙光路122号", 120.148000, 30.273000, "24h", "OPEN", 12),
    ("xihu", "翠苑店", "Cuiyuan", "西湖区文一路315号", 120.130000, 30.290000, "std", "OPEN", 9),
    ("xihu", "古荡店", "Gudang", "西湖区古墩路83号", 120.116000, 30.296000, "std", "OPEN", 11),
    ("xihu", "西溪路店", "Xixi Road", "西湖区文三西路118号", 120.105000, 30.278000, "std", "OPEN", 10),
    ("xihu", "蒋村店", "Jiangcun", "西湖区紫金港路21号", 120.093000, 30.289000, "wkend", "OPEN", 13),
    ("xihu", "三墩店", "Sandun", "西湖区振华路206号", 120.095000, 30.320000, "std", "OPEN", 14),
    # --- Gongshu (west) ---
    ("gongshu", "武林广场店", "Wulin Square", "拱墅区体育场路288号", 120.166000, 30.276000, "late", "OPEN", 8),
    ("gongshu", "朝晖店", "Chaohui", "拱墅区朝晖路168号", 120.179000, 30.283000, "std", "OPEN", 10),
    ("gongshu", "大关店", "Daguan", "拱墅区大关路100号", 120.162000, 30.302000, "std", "OPEN", 11),
    ("gongshu", "拱宸桥店", "Gongchen Bridge", "拱墅区湖州街58号", 120.150000, 30.320000, "std", "OPEN", 12),
    ("gongshu", "石桥店", "Shiqiao", "拱墅区石桥路279号", 120.188000, 30.332000, "std", "OPEN", 13),
    ("gongshu", "康桥店", "Kangqiao", "拱墅区康桥路18号", 120.165000, 30.350000, "short", "OPEN", 15),
    ("gongshu", "和睦店", "Hemu", "拱墅区和睦路456号", 120.133000, 30.310000, "std", "OPEN", 10),
    # --- Yuhang / Future Sci-Tech City (west) ---
    ("yuhang", "未来科技城店", "Future Sci-Tech City", "余杭区文一西路1188号", 120.005000, 30.288000, "wkend", "OPEN", 9),
    ("yuhang", "海创园店", "Haichuang Park", "余杭区文一西路998号", 120.023000, 30.278000, "std", "OPEN", 10),
    ("yuhang", "仓前店", "Cangqian", "余杭区良睦路1399号", 119.996000, 30.301000, "std", "OPEN", 12),
    ("yuhang", "五常店", "Wuchang", "余杭区五常大道181号", 120.058000, 30.298000, "std", "OPEN", 11),
    ("yuhang", "良渚店", "Liangzhu", "余杭区古墩路1899号", 120.035000, 30.379000, "short", "OPEN", 14),
    # --- Shangcheng (east) ---
    ("shangcheng", "延安路店", "Yan'an Road", "上城区延安路258号", 120.169000, 30.259000, "wkend", "OPEN", 8),
    ("shangcheng", "中山路店", "Zhongshan Road", "上城区中山中路300号", 120.173000, 30.250000, "std", "OPEN", 9),
    ("shangcheng", "城站店", "City Station", "上城区环城东路80号", 120.186000, 30.246000, "24h", "OPEN", 10),
    ("shangcheng", "凯旋店", "Kaixuan", "上城区凯旋路226号", 120.193000, 30.270000, "std", "OPEN", 11),
    ("shangcheng", "四季青店", "Sijiqing", "上城区景昙路18号", 120.200000, 30.258000, "std", "OPEN", 10),
    ("shangcheng", "钱江新城店", "Qianjiang New City", "上城区新业路228号", 120.216000, 30.256000, "24h", "OPEN", 9),
    ("shangcheng", "彭埠店", "Pengbu", "上城区天城路68号", 120.225000, 30.305000, "std", "OPEN", 12),
    ("shangcheng", "九堡店", "Jiubao", "上城区九和路35号", 120.270000, 30.310000, "std", "OPEN", 13),
    ("shangcheng", "丁桥店", "Dingqiao", "上城区大农港路1288号", 120.255000, 30.333000, "short", "OPEN", 15),
    # --- Binjiang (east) ---
    ("binjiang", "星光大道店", "Starlight Avenue", "滨江区江南大道228号", 120.210000, 30.208000, "wkend", "OPEN", 9),
    ("binjiang", "长河店", "Changhe", "滨江区长河路475号", 120.188000, 30.195000, "std", "OPEN", 11),
    ("binjiang", "浦沿店", "Puyan", "滨江区东信大道66号", 120.160000, 30.179000, "std", "OPEN", 12),
    ("binjiang", "西兴店", "Xixing", "滨江区西兴路1966号", 120.225000, 30.199000, "std", "OPEN", 10),
    ("binjiang", "奥体店", "Olympic Center", "滨江区飞虹路1388号", 120.236000, 30.220000, "std", "OPEN", 11),
    # --- Xiaoshan (east) ---
    ("xiaoshan", "人民广场店", "People's Square", "萧山区市心中路819号", 120.268000, 30.168000, "std", "OPEN", 10),
    ("xiaoshan", "北干店", "Beigan", "萧山区金城路438号", 120.256000, 30.184000, "std", "OPEN", 11),
    ("xiaoshan", "宁围店", "Ningwei", "萧山区市心北路1099号", 120.276000, 30.226000, "std", "OPEN", 12),
    ("xiaoshan", "蜀山店", "Shushan", "萧山区蜀山路260号", 120.264000, 30.146000, "short", "PAUSED", 14),
    # --- Qiantang / Xiasha (east) ---
    ("qiantang", "下沙高教园店", "Xiasha University Town", "钱塘区学源街118号", 120.348000, 30.318000, "late9", "OPEN", 10),
    ("qiantang", "高沙店", "Gaosha", "钱塘区文泽路368号", 120.330000, 30.318000, "std", "OPEN", 12),
    ("qiantang", "文海南路店", "Wenhai South Road", "钱塘区文海南路58号", 120.340000, 30.305000, "std", "OPEN", 13),
)


def _jitter(code: str, axis: str) -> float:
    """Deterministic offset in [-0.0003, 0.0003) degrees (~30 m) so points
    don't all sit on a round 0.001 grid. Uses hashlib, never hash()."""
    d = hashlib.sha256(f"store-jitter|{code}|{axis}".encode()).digest()
    return (int.from_bytes(d[:4], "big") / 2**32 - 0.5) * 0.0006


def _build() -> tuple[DemoStore, ...]:
    counters: dict[str, int] = {}
    out: list[DemoStore] = []
    for district, zh, en, address, lon, lat, hours, status, prep in _ROWS:
        dcode = DISTRICTS[district][0]
        counters[dcode] = counters.get(dcode, 0) + 1
        code = f"HZ-{dcode}-{counters[dcode]:03d}"
        name_zh = f"千鲜到家·{zh}"
        name_en = f"Qianxian Fresh {en}"
        out.append(
            DemoStore(
                code=code,
                name=f"{name_zh} {name_en}",
                name_zh=name_zh,
                name_en=name_en,
                address=f"浙江省杭州市{address}",
                district=district,
                partner=partner_for_district(district),
                lon=round(lon + _jitter(code, "lon"), 6),
                lat=round(lat + _jitter(code, "lat"), 6),
                timezone=TIMEZONE,
                # fresh copies so callers can't mutate the shared templates
                hours={d: list(iv) for d, iv in _HOURS[hours].items()},
                status=status,
                delivery_radius_m=DELIVERY_RADIUS_M,
                prep_minutes=prep,
            )
        )
    return tuple(out)


STORES: tuple[DemoStore, ...] = _build()
STORE_BY_CODE: dict[str, DemoStore] = {s.code: s for s in STORES}
