"""Demo people: customers, staff accounts and riders.

Mobile numbers use the reserved-looking ``138 0000 xxxx`` (customers),
``137 0000 xxxx`` (staff) and ``139 0000 xxxx`` (riders) series, in E.164
form (``+86...``). All people are fictional.

``DEMO_PASSWORD`` is for the local/demo environment ONLY: every demo staff
account (and customer, if the lead enables password login) uses it. Never
seed it into a production database.
"""

from __future__ import annotations

from dataclasses import dataclass

from demo.stores import STORES

DEMO_PASSWORD = "demo-password-123"  # DEMO ONLY - never use outside local/demo data

ROLES: tuple[str, ...] = ("HQ_ADMIN", "PARTNER_ADMIN", "STORE_MANAGER", "STORE_STAFF")


@dataclass(frozen=True)
class DemoAddress:
    label: str  # "家" / "公司"
    recipient: str
    mobile: str  # E.164
    address: str  # Chinese street address incl. building/unit
    lon: float  # WGS-84
    lat: float  # WGS-84
    is_default: bool


@dataclass(frozen=True)
class DemoCustomer:
    key: str  # stable reference, e.g. "cust-01"
    name: str
    mobile: str  # E.164 "+8613800000001"
    email: str | None
    addresses: tuple[DemoAddress, ...]


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str  # person name, Chinese
    role: str  # one of ROLES
    node: str  # "hq" | "partner:west" | "partner:east" | a store code
    mobile: str  # E.164


@dataclass(frozen=True)
class DemoRider:
    code: str  # "RD-001"
    name: str
    mobile: str  # E.164
    home_store: str  # store code
    vehicle: str  # "E_BIKE"
    capacity_boxes: int


def _mobile(series: str, n: int) -> str:
    """E.164 mobile in the ``<series> 0000 nnnn`` style, e.g. +8613800000001."""
    return f"+86{series}0000{n:04d}"


def _customer(n: int, name: str, email: str | None, *addrs: tuple[str, str, float, float]) -> DemoCustomer:
    mobile = _mobile("138", n)
    return DemoCustomer(
        key=f"cust-{n:02d}",
        name=name,
        mobile=mobile,
        email=email,
        addresses=tuple(
            DemoAddress(label, name, mobile, addr, lon, lat, is_default=(i == 0))
            for i, (label, addr, lon, lat) in enumerate(addrs)
        ),
    )


# Addresses sit within ~1.5 km of a demo store (noted per line), on land.
CUSTOMERS: tuple[DemoCustomer, ...] = (
    _customer(1, "张伟", "zhang.wei@example.com",
              ("家", "浙江省杭州市西湖区文二路骆家庄小区12幢2单元501室", 120.129650, 30.285420),  # near HZ-XH-003
              ("公司", "浙江省杭州市西湖区文三路477号华星科技大厦8楼", 120.130890, 30.277310)),
    _customer(2, "王芳", "wang.fang@example.com",
              ("家", "浙江省杭州市上城区钱江新城春江花月3幢1802室", 120.211850, 30.251960)),  # near HZ-SC-006
    _customer(3, "李娜", None,
              ("家", "浙江省杭州市滨江区江南大道星耀城2期5幢1201室", 120.205460, 30.205880)),  # near HZ-BJ-001
    _customer(4, "刘洋", "liu.yang@example.com",
              ("家", "浙江省杭州市余杭区五常街道西溪诚园7幢3单元902室", 120.052200, 30.293900),  # near HZ-YH-004
              ("公司", "浙江省杭州市余杭区文一西路969号海创园5号楼", 120.020760, 30.280120)),
    _customer(5, "陈静", None,
              ("家", "浙江省杭州市拱墅区朝晖六区18幢4单元302室", 120.174600, 30.285700)),  # near HZ-GS-002
    _customer(6, "杨磊", "yang.lei@example.com",
              ("家", "浙江省杭州市萧山区北干街道金城路万达广场公寓B座1506室", 120.259300, 30.179500)),  # near HZ-XS-002
    _customer(7, "赵敏", None,
              ("宿舍", "浙江省杭州市钱塘区学源街杭州电子科技大学生活区6号楼", 120.343900, 30.314600)),  # near HZ-QT-001
    _customer(8, "周杰", "zhou.jie@example.com",
              ("家", "浙江省杭州市上城区凯旋路南肖埠新村9幢2单元601室", 120.196200, 30.266400)),  # near HZ-SC-004
)


def _staff() -> tuple[DemoStaff, ...]:
    rows: list[tuple[str, str, str, str]] = [
        ("admin", "周明", "HQ_ADMIN", "hq"),
        ("hq.ops", "沈佳怡", "HQ_ADMIN", "hq"),
        ("west.admin", "徐浩", "PARTNER_ADMIN", "partner:west"),
        ("east.admin", "钱丽", "PARTNER_ADMIN", "partner:east"),
    ]
    managers = ("吴强", "郑秀英", "孙涛", "马丽", "朱军", "胡静", "郭鹏")
    # one manager for the first store of each district
    firsts = [s.code for s in STORES if s.code.endswith("-001")]
    for code, person in zip(firsts, managers, strict=True):
        rows.append((f"mgr.{code.lower()}", person, "STORE_MANAGER", code))
    clerks = (("HZ-XH-001", "林晓"), ("HZ-XH-001", "何欢"), ("HZ-SC-001", "高敏"),
              ("HZ-SC-001", "罗斌"), ("HZ-BJ-001", "梁婷"), ("HZ-YH-001", "宋杰"))
    seen: dict[str, int] = {}
    for code, person in clerks:
        seen[code] = seen.get(code, 0) + 1
        rows.append((f"staff{seen[code]}.{code.lower()}", person, "STORE_STAFF", code))
    # Huanglong (HZ-XH-002) is open 24 h, so its manager sees orders at any hour: the staff
    # console's demo account (console/). Last in the list, so earlier accounts keep their mobiles.
    rows.append(("mgr.hz-xh-002", "韩梅", "STORE_MANAGER", "HZ-XH-002"))
    return tuple(
        DemoStaff(username, display, role, node, _mobile("137", i))
        for i, (username, display, role, node) in enumerate(rows, start=1)
    )


STAFF: tuple[DemoStaff, ...] = _staff()

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = ("建国", "志强", "海涛", "小龙", "永军", "春生", "国平", "明辉", "晓东", "宏伟",
          "立新", "文斌", "德胜", "家豪", "俊杰", "学军", "红梅", "秀兰", "玉凤", "桂芳")


def _riders() -> tuple[DemoRider, ...]:
    """Every OPEN store gets one rider; 24h and late-night stores get a second."""
    out: list[DemoRider] = []
    n = 0
    for s in STORES:
        if s.status != "OPEN":
            continue
        late = any(close <= open_ or close == "24:00" for iv in s.hours.values() for open_, close in iv)
        for _ in range(2 if late else 1):
            n += 1
            name = _SURNAMES[(n * 7) % len(_SURNAMES)] + _GIVEN[(n * 3) % len(_GIVEN)]
            out.append(DemoRider(
                code=f"RD-{n:03d}",
                name=name,
                mobile=_mobile("139", n),
                home_store=s.code,
                vehicle="E_BIKE",
                capacity_boxes=6 if n % 3 == 0 else 4,
            ))
    return tuple(out)


RIDERS: tuple[DemoRider, ...] = _riders()
