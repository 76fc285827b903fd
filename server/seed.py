"""Demo data for an empty database: a supplier's after-sales desk in Jiangxi after six months of work.

Everything but the ids and the password comes from ``random.Random(rng_seed)`` and ``now``, so a demo
can be rebuilt identically. The data is meant to look like the real thing to a service manager:
county water bureaus as customers, pump stations, dikes and flood-supply warehouses as sites, the
equipment of a flood-control procurement, and ~400 service forms with their tap timelines, some of
them late, some still open.

The caller commits; nothing is written if the ``users`` or ``jobs`` table already has rows.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import LOG_COUNTER, Change, log_changes
from server.customers.seed import seed_customers
from server.db.models import (
    ChecklistResult,
    ChecklistTemplate,
    Counter,
    Customer,
    Equipment,
    Job,
    JobAssignment,
    JobEvent,
    Part,
    Site,
    SlaPolicy,
    User,
)
from server.inspections.seed import seed_inspections
from server.security import hash_password
from server.stock.seed import seed_stock
from shared.enums import (
    BillableReason,
    ChecklistItemKind,
    CheckResult,
    EquipmentCategory,
    JobEventType,
    JobKind,
    JobStatus,
    Role,
    Severity,
)
from shared.ids import uuid7
from shared.models import ChecklistItemDef, ChecklistTemplateCreate
from shared.sla import SlaLimits, deadlines_for

__all__ = ["JOB_NUMBER_COUNTER", "DemoLogin", "SeedError", "SeedResult", "format_logins", "seed_demo"]

#: Counter row that numbers jobs; the seed leaves it at the number of jobs it made.
JOB_NUMBER_COUNTER = "job_number"
#: Local time of the demo customers (Asia/Shanghai has no DST, so a fixed offset is exact).
CST = timezone(timedelta(hours=8), "CST")
#: How far back the demo jobs go.
HISTORY_DAYS = 182

Cat = EquipmentCategory


class SeedError(ValueError):
    """The database cannot take demo data (it is not empty, or an argument is unusable)."""


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    display_name: str


@dataclass
class SeedResult:
    logins: list[DemoLogin]
    counts: dict[str, int]


# --- reference data ------------------------------------------------------------------------------

ROLE_LABELS: dict[str, str] = {
    Role.ENGINEER: "服务工程师",
    Role.DISPATCHER: "客服调度",
    Role.MANAGER: "售后经理",
    Role.QA: "质管审核",
    Role.WAREHOUSE: "仓管",
    Role.ADMIN: "系统管理员",
}

ENGINEER_NAMES = ("张伟", "李强", "王磊", "刘洋", "陈军", "杨帆", "赵勇", "黄海涛")
OFFICE_USERS: tuple[tuple[str, str, Role], ...] = (
    ("dispatcher", "周敏", Role.DISPATCHER),
    ("manager", "吴建国", Role.MANAGER),
    ("qa", "徐静", Role.QA),
    ("warehouse", "孙立新", Role.WAREHOUSE),
    ("admin", "马超", Role.ADMIN),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭罗梁宋郑谢韩唐冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
GIVEN_NAMES = (
    "建华",
    "国平",
    "志强",
    "小军",
    "红梅",
    "海燕",
    "春生",
    "永明",
    "卫东",
    "金水",
    "满堂",
    "桂英",
    "文斌",
    "秋生",
    "德胜",
    "丽萍",
    "晓东",
    "根发",
    "水生",
    "建平",
    "新民",
    "玉兰",
    "平",
    "勇",
    "敏",
    "斌",
    "涛",
    "华",
)


@dataclass(frozen=True)
class _CustomerDef:
    name: str
    contract_no: str
    address: str
    area_code: str
    warranty_years: int
    lat: float
    lon: float
    recent_delivery: bool  # a batch arrived just before the demo history starts (installation jobs)


@dataclass(frozen=True)
class _SiteDef:
    name: str
    kind: str  # warehouse | depot | pump_station | dike
    address: str
    dlat: float
    dlon: float


CUSTOMERS: tuple[tuple[_CustomerDef, tuple[_SiteDef, ...]], ...] = (
    (
        _CustomerDef(
            "临川区水利局",
            "FX-2025-017",
            "江西省抚州市临川区赣东大道 1068 号",
            "0794",
            3,
            27.949,
            116.358,
            True,
        ),
        (
            _SiteDef(
                "区防汛物资仓库", "warehouse", "江西省抚州市临川区钟岭街道物资仓储园 3 号库", 0.021, -0.034
            ),
            _SiteDef("抚河城区段堤防", "dike", "江西省抚州市临川区抚河东岸文昌桥至玉茗大桥段", 0.004, 0.012),
            _SiteDef(
                "城东排涝泵站", "pump_station", "江西省抚州市临川区上顿渡镇城东路与抚河交汇处", 0.016, 0.051
            ),
            _SiteDef("唱凯堤罗针段", "dike", "江西省抚州市临川区罗针镇唱凯堤桩号 12+300", 0.072, 0.105),
            _SiteDef("上顿渡排涝站", "pump_station", "江西省抚州市临川区上顿渡镇沿河路 8 号", -0.022, 0.031),
        ),
    ),
    (
        _CustomerDef(
            "南丰县防汛抗旱指挥部办公室",
            "FX-2024-032",
            "江西省抚州市南丰县琴城镇府前路 2 号",
            "0794",
            2,
            27.218,
            116.532,
            False,
        ),
        (
            _SiteDef(
                "县防汛物资仓库", "warehouse", "江西省抚州市南丰县琴城镇工业园区纬一路 16 号", -0.011, 0.018
            ),
            _SiteDef("盱江城区段堤防", "dike", "江西省抚州市南丰县盱江西岸滨江大道段", 0.006, -0.007),
            _SiteDef("琴城排涝泵站", "pump_station", "江西省抚州市南丰县琴城镇东门排涝站", 0.013, 0.022),
            _SiteDef("白舍镇防汛物资储备点", "depot", "江西省抚州市南丰县白舍镇政府院内", -0.083, 0.061),
        ),
    ),
    (
        _CustomerDef(
            "崇仁县水利局",
            "FX-2024-045",
            "江西省抚州市崇仁县巴山镇崇仁大道 99 号",
            "0794",
            2,
            27.764,
            116.061,
            False,
        ),
        (
            _SiteDef("县防汛物资仓库", "warehouse", "江西省抚州市崇仁县巴山镇城北工业园 7 号", 0.018, -0.012),
            _SiteDef("崇仁河城区段堤防", "dike", "江西省抚州市崇仁县宝水大桥至相山大桥段", 0.002, 0.009),
            _SiteDef("城北排涝泵站", "pump_station", "江西省抚州市崇仁县巴山镇北门排涝站", 0.024, 0.004),
            _SiteDef("孙坊镇防汛物资储备点", "depot", "江西省抚州市崇仁县孙坊镇水管站", -0.095, -0.074),
        ),
    ),
    (
        _CustomerDef(
            "进贤县水利局",
            "FX-2025-008",
            "江西省南昌市进贤县民和镇胜利北路 201 号",
            "0791",
            3,
            28.377,
            116.241,
            True,
        ),
        (
            _SiteDef("县防汛物资仓库", "warehouse", "江西省南昌市进贤县民和镇城西物资仓库", 0.009, -0.021),
            _SiteDef("军山湖圩堤", "dike", "江西省南昌市进贤县三里乡军山湖大堤桩号 5+800", 0.118, -0.064),
            _SiteDef("三阳集排涝泵站", "pump_station", "江西省南昌市进贤县三阳集乡排涝站", 0.085, 0.043),
            _SiteDef("抚河进贤段堤防", "dike", "江西省南昌市进贤县温圳镇抚河右岸", -0.112, -0.096),
        ),
    ),
    (
        _CustomerDef(
            "余干县防汛抗旱指挥部办公室",
            "FX-2024-051",
            "江西省上饶市余干县玉亭镇中山路 88 号",
            "0793",
            2,
            28.702,
            116.695,
            False,
        ),
        (
            _SiteDef(
                "县防汛物资仓库", "warehouse", "江西省上饶市余干县玉亭镇城东仓储区 2 号库", 0.012, 0.016
            ),
            _SiteDef("康山大堤", "dike", "江西省上饶市余干县康山乡康山大堤桩号 18+500", 0.176, -0.229),
            _SiteDef("信丰联圩排涝站", "pump_station", "江西省上饶市余干县瑞洪镇信丰联圩", 0.105, -0.141),
            _SiteDef("瑞洪镇防汛物资储备点", "depot", "江西省上饶市余干县瑞洪镇水利站院内", 0.093, -0.162),
        ),
    ),
    (
        _CustomerDef(
            "丰城市水利局",
            "FX-2025-023",
            "江西省宜春市丰城市剑光街道新城大道 555 号",
            "0795",
            3,
            28.159,
            115.771,
            False,
        ),
        (
            _SiteDef(
                "市防汛物资仓库", "warehouse", "江西省宜春市丰城市剑光街道物流园 12 号库", -0.014, 0.025
            ),
            _SiteDef("赣江丰城段堤防", "dike", "江西省宜春市丰城市赣江右岸剑邑大桥段", 0.021, -0.018),
            _SiteDef("小港口排涝泵站", "pump_station", "江西省宜春市丰城市小港镇小港口排涝站", 0.047, 0.068),
            _SiteDef("清丰山溪圩堤", "dike", "江西省宜春市丰城市同田乡清丰山溪左岸", -0.061, 0.112),
        ),
    ),
)

#: Which customers each engineer mainly serves (indexes into ENGINEER_NAMES).
PRIMARY_ENGINEERS: tuple[tuple[int, ...], ...] = ((0, 1, 3), (2,), (3,), (4, 7), (5, 7), (6,))

#: (category, how many, [(model, serial prefix, weight)])
EQUIPMENT_MODELS: tuple[tuple[Cat, int, tuple[tuple[str, str, int], ...]], ...] = (
    (
        Cat.DRAINAGE_PUMP,
        80,
        (
            ("QSZ-1500 潜水排涝泵", "QSZ15", 4),
            ("350QZB-70 潜水轴流泵", "QZB35", 3),
            ("WQ300-15-22 潜水排污泵", "WQ300", 2),
            ("500QH-100 潜水混流泵", "QH500", 1),
        ),
    ),
    (
        Cat.PUMP_TRUCK,
        14,
        (
            ("DLX5160TPS 3000m³/h 排水抢险车", "TPS30", 2),
            ("QXZ-1000 龙吸水移动泵车", "QXZ10", 1),
        ),
    ),
    (
        Cat.GENERATOR_SET,
        45,
        (
            ("Cummins 200kW 柴油发电机组", "CU200", 2),
            ("玉柴 YC100GF 100kW 柴油发电机组", "YC100", 3),
            ("潍柴 WP4D66 50kW 移动电站", "WP050", 2),
            ("本田 EU70is 7kW 汽油发电机", "EU070", 2),
        ),
    ),
    (
        Cat.LIGHTING_TOWER,
        40,
        (
            ("SFW6000 全方位自动泛光工作灯", "SFW60", 3),
            ("SFW6121 移动照明灯塔（4×400W LED）", "SFW61", 2),
            ("FW6128 便携式升降工作灯", "FW612", 2),
        ),
    ),
    (
        Cat.ASSAULT_BOAT,
        36,
        (
            ("7.2m 玻璃钢冲锋舟", "CFZ72", 3),
            ("5.8m 铝合金冲锋舟", "LHJ58", 2),
            ("6.2m 玻璃钢冲锋舟（配 40HP 舷外机）", "CFZ62", 2),
        ),
    ),
    (
        Cat.LIFE_JACKET,
        60,
        (
            ("HY-100N 船用工作救生衣", "HY100", 3),
            ("DFY-I 型发泡救生衣", "DFY01", 2),
            ("150N 自动充气式救生衣", "QZ150", 2),
        ),
    ),
    (
        Cat.SANDBAG_MACHINE,
        25,
        (
            ("ZDJ-1200 自动装袋机", "ZDJ12", 2),
            ("SDZ-600 移动式沙袋装填机", "SDZ06", 1),
        ),
    ),
)

#: Which categories each kind of site keeps, with a weight for how much of it.
SITE_STOCK: dict[str, dict[Cat, float]] = {
    "warehouse": {
        Cat.DRAINAGE_PUMP: 3,
        Cat.PUMP_TRUCK: 1,
        Cat.GENERATOR_SET: 3,
        Cat.LIGHTING_TOWER: 3,
        Cat.ASSAULT_BOAT: 3,
        Cat.LIFE_JACKET: 3,
        Cat.SANDBAG_MACHINE: 3,
    },
    "depot": {
        Cat.DRAINAGE_PUMP: 1,
        Cat.GENERATOR_SET: 1,
        Cat.LIGHTING_TOWER: 1,
        Cat.ASSAULT_BOAT: 2,
        Cat.LIFE_JACKET: 2,
        Cat.SANDBAG_MACHINE: 1,
    },
    "pump_station": {Cat.DRAINAGE_PUMP: 3, Cat.GENERATOR_SET: 2, Cat.LIGHTING_TOWER: 1},
    "dike": {
        Cat.DRAINAGE_PUMP: 2,
        Cat.GENERATOR_SET: 1,
        Cat.LIGHTING_TOWER: 2,
        Cat.ASSAULT_BOAT: 1,
        Cat.SANDBAG_MACHINE: 1,
    },
}

#: (respond, onsite, fix, backup) minutes
DEFAULT_SLA: dict[Severity, tuple[int, int, int, int]] = {
    Severity.GENERAL: (30, 240, 1440, 480),
    Severity.MAJOR: (15, 120, 480, 480),
}
#: Stricter contracts, by customer index.
CONTRACT_SLA: dict[int, dict[Severity, tuple[int, int, int, int]]] = {
    0: {Severity.GENERAL: (20, 120, 720, 480), Severity.MAJOR: (10, 60, 360, 240)},
    4: {Severity.MAJOR: (10, 90, 360, 360)},
}

# (code, name, unit, unit price, categories)
PARTS: tuple[tuple[str, str, str, float, tuple[Cat, ...]], ...] = (
    ("P-DP-001", "机械密封（潜水泵用）", "套", 380.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-002", "叶轮", "个", 1650.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-003", "电机轴承（上下各一）", "套", 460.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-004", "电缆防水接头密封套件", "套", 120.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-005", "油室润滑油", "升", 45.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-006", "交流接触器 CJX2-9511", "只", 260.0, (Cat.DRAINAGE_PUMP, Cat.GENERATOR_SET)),
    ("P-DP-007", "软启动器 90kW", "台", 3800.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-008", "进水滤网", "个", 320.0, (Cat.DRAINAGE_PUMP,)),
    ("P-DP-009", "浮球液位开关", "个", 150.0, (Cat.DRAINAGE_PUMP,)),
    ("P-PT-001", "液压油滤芯", "个", 280.0, (Cat.PUMP_TRUCK,)),
    ("P-PT-002", "抗磨液压油 46#", "升", 38.0, (Cat.PUMP_TRUCK,)),
    ("P-PT-003", "高压液压油管总成", "根", 520.0, (Cat.PUMP_TRUCK,)),
    ("P-PT-004", "水带卷盘链条", "条", 190.0, (Cat.PUMP_TRUCK,)),
    ("P-PT-005", "DN200 水带快速接头", "个", 680.0, (Cat.PUMP_TRUCK,)),
    ("P-GS-001", "启动电瓶 12V 120Ah", "只", 860.0, (Cat.GENERATOR_SET, Cat.PUMP_TRUCK, Cat.LIGHTING_TOWER)),
    ("P-GS-002", "空气滤清器滤芯", "个", 210.0, (Cat.GENERATOR_SET, Cat.PUMP_TRUCK)),
    ("P-GS-003", "机油滤清器", "个", 95.0, (Cat.GENERATOR_SET, Cat.PUMP_TRUCK)),
    ("P-GS-004", "柴油滤清器", "个", 110.0, (Cat.GENERATOR_SET, Cat.PUMP_TRUCK, Cat.SANDBAG_MACHINE)),
    ("P-GS-005", "节温器", "个", 180.0, (Cat.GENERATOR_SET,)),
    ("P-GS-006", "长效冷却液 -35℃", "升", 28.0, (Cat.GENERATOR_SET, Cat.PUMP_TRUCK)),
    ("P-GS-007", "AVR 自动调压板", "块", 1200.0, (Cat.GENERATOR_SET,)),
    (
        "P-GS-008",
        "柴油机机油 CI-4 15W-40",
        "升",
        42.0,
        (Cat.GENERATOR_SET, Cat.PUMP_TRUCK, Cat.SANDBAG_MACHINE),
    ),
    ("P-GS-009", "火花塞", "只", 35.0, (Cat.GENERATOR_SET, Cat.LIGHTING_TOWER, Cat.ASSAULT_BOAT)),
    ("P-LT-001", "LED 驱动电源 400W", "个", 650.0, (Cat.LIGHTING_TOWER,)),
    ("P-LT-002", "LED 灯头 400W", "个", 1800.0, (Cat.LIGHTING_TOWER,)),
    ("P-LT-003", "升降杆充气泵", "台", 980.0, (Cat.LIGHTING_TOWER,)),
    ("P-LT-004", "升降杆密封圈", "套", 150.0, (Cat.LIGHTING_TOWER,)),
    ("P-LT-005", "灯头云台电机", "个", 720.0, (Cat.LIGHTING_TOWER,)),
    ("P-AB-001", "舷外机水泵叶轮", "个", 160.0, (Cat.ASSAULT_BOAT,)),
    ("P-AB-002", "铝合金螺旋桨", "个", 980.0, (Cat.ASSAULT_BOAT,)),
    ("P-AB-003", "玻璃钢修补材料", "套", 260.0, (Cat.ASSAULT_BOAT,)),
    ("P-AB-004", "化油器修理包", "套", 180.0, (Cat.ASSAULT_BOAT, Cat.LIGHTING_TOWER)),
    ("P-AB-005", "舷外机燃油管总成", "根", 150.0, (Cat.ASSAULT_BOAT,)),
    ("P-LJ-001", "自动充气复装件（气瓶+水敏元件）", "套", 98.0, (Cat.LIFE_JACKET,)),
    ("P-LJ-002", "救生衣快插扣", "个", 12.0, (Cat.LIFE_JACKET,)),
    ("P-LJ-003", "救生哨", "只", 8.0, (Cat.LIFE_JACKET,)),
    ("P-SM-001", "装袋机输送带", "条", 1350.0, (Cat.SANDBAG_MACHINE,)),
    ("P-SM-002", "缝包机针（10 支装）", "包", 25.0, (Cat.SANDBAG_MACHINE,)),
    ("P-SM-003", "料斗振动电机", "台", 1150.0, (Cat.SANDBAG_MACHINE,)),
    ("P-SM-004", "缝包线", "卷", 18.0, (Cat.SANDBAG_MACHINE,)),
)


@dataclass(frozen=True)
class _Fault:
    symptom: str
    cause: str
    fix: str
    only_model: str = ""  # the fault only happens on models whose name contains this


FAULTS: dict[Cat, tuple[_Fault, ...]] = {
    Cat.DRAINAGE_PUMP: (
        _Fault(
            "水泵启动后出水量明显不足",
            "进水滤网被杂草堵塞，叶轮边缘磨损",
            "清理进水滤网，更换叶轮（P-DP-002），试机出水量恢复正常",
        ),
        _Fault(
            "水泵运行时振动大、有异常噪声",
            "电机轴承磨损，转子轻微偏心",
            "更换电机上下轴承（P-DP-003），重新校正，试运行 30 分钟振动正常",
        ),
        _Fault(
            "控制箱泄漏报警，水泵无法启动",
            "机械密封损坏导致油室进水",
            "更换机械密封（P-DP-001）及油室润滑油（P-DP-005），绝缘测试合格",
        ),
        _Fault(
            "水泵一启动即跳闸",
            "电缆接头进水，电机绝缘电阻降至 0.2MΩ",
            "重新制作电缆防水接头（P-DP-004），电机烘干处理，绝缘恢复至 50MΩ 以上",
        ),
        _Fault(
            "电机过热保护频繁动作",
            "控制箱交流接触器触点烧蚀，缺相运行",
            "更换交流接触器（P-DP-006），检查三相电压平衡，运行正常",
        ),
        _Fault("水泵不能自动启停", "浮球液位开关卡死失灵", "更换浮球液位开关（P-DP-009），调试自动启停正常"),
        _Fault(
            "水泵启动困难，启动电流大",
            "软启动器晶闸管损坏",
            "更换软启动器（P-DP-007），重新设定启动参数，启动平稳",
            "QSZ",
        ),
    ),
    Cat.PUMP_TRUCK: (
        _Fault(
            "排水抢险车液压泵站压力不足，水泵转速偏低",
            "液压油滤芯堵塞，液压油乳化",
            "更换液压油（P-PT-002）及滤芯（P-PT-001），系统排气后压力正常",
        ),
        _Fault(
            "车载发电机组无法启动", "启动电瓶亏电，桩头氧化", "更换启动电瓶（P-GS-001），清理桩头，启动正常"
        ),
        _Fault(
            "吊臂无法展开，液压管路渗油",
            "高压油管接头老化渗漏",
            "更换高压液压油管总成（P-PT-003），保压试验无渗漏",
        ),
        _Fault("水带卷盘转动卡滞", "卷盘链条锈蚀卡死", "清洗卷盘，更换链条（P-PT-004）并润滑"),
    ),
    Cat.GENERATOR_SET: (
        _Fault(
            "发电机组无法启动，启动马达无反应",
            "启动电瓶亏电，电瓶桩头氧化",
            "更换启动电瓶（P-GS-001），清理桩头，连续启动 3 次正常",
        ),
        _Fault(
            "机组运行中冒黑烟，带载能力下降",
            "空气滤清器严重堵塞",
            "更换空气滤清器滤芯（P-GS-002），带载试验正常",
        ),
        _Fault(
            "机组高水温报警停机",
            "节温器失效，冷却液不足",
            "更换节温器（P-GS-005），补充冷却液（P-GS-006），带载 1 小时水温正常",
        ),
        _Fault(
            "输出电压不稳，照明灯光闪烁",
            "AVR 自动调压板故障",
            "更换 AVR 自动调压板（P-GS-007），输出电压稳定在 400V",
        ),
        _Fault(
            "机组低油压报警",
            "机油滤清器堵塞，机油不足",
            "更换机油（P-GS-008）及机油滤清器（P-GS-003），油压恢复正常",
        ),
        _Fault(
            "汽油发电机拉不着火",
            "火花塞积碳，化油器油路不畅",
            "更换火花塞（P-GS-009），清洗化油器，启动正常",
            "汽油",
        ),
    ),
    Cat.LIGHTING_TOWER: (
        _Fault("灯头部分不亮", "LED 驱动电源损坏", "更换 LED 驱动电源（P-LT-001），全部灯头点亮"),
        _Fault("升降杆无法升起", "升降杆密封圈老化漏气", "更换升降杆密封圈（P-LT-004），升降正常"),
        _Fault("照明灯塔汽油机无法启动", "火花塞积碳", "更换火花塞（P-GS-009），清洗空气滤清器，启动正常"),
        _Fault("灯头不能遥控旋转", "灯头云台电机损坏", "更换灯头云台电机（P-LT-005），遥控旋转正常"),
        _Fault(
            "气泵工作但升降杆升起缓慢",
            "升降杆充气泵磨损，排气量不足",
            "更换升降杆充气泵（P-LT-003），升杆时间恢复至 40 秒以内",
        ),
    ),
    Cat.ASSAULT_BOAT: (
        _Fault(
            "舷外机启动困难，怠速不稳",
            "化油器脏堵，火花塞积碳",
            "清洗化油器并更换修理包（P-AB-004），更换火花塞（P-GS-009），试航正常",
        ),
        _Fault(
            "冲锋舟船底渗水", "玻璃钢船底划伤破损", "船底玻璃钢修补（P-AB-003），打磨涂装，浸水试验无渗漏"
        ),
        _Fault(
            "舷外机冷却水出水孔不出水", "舷外机水泵叶轮磨损", "更换舷外机水泵叶轮（P-AB-001），冷却水出水正常"
        ),
        _Fault("航行中舷外机振动大、航速下降", "螺旋桨叶片打坏变形", "更换螺旋桨（P-AB-002），试航正常"),
        _Fault("舷外机运行中熄火", "燃油管老化开裂进气", "更换燃油管总成（P-AB-005），试航 20 分钟正常"),
    ),
    Cat.LIFE_JACKET: (
        _Fault(
            "充气式救生衣落水后未自动充气",
            "自动充气阀水敏元件失效",
            "更换自动充气复装件（P-LJ-001），手动及自动充气试验正常",
            "充气",
        ),
        _Fault("救生衣快插扣断裂", "长期存放老化", "更换快插扣（P-LJ-002），检查其余扣带完好"),
        _Fault("救生衣救生哨缺失、反光带脱落", "存放及搬运中磨损", "补配救生哨（P-LJ-003），重新缝补反光带"),
    ),
    Cat.SANDBAG_MACHINE: (
        _Fault(
            "装袋机输送带跑偏",
            "输送带张紧不均，边缘磨损",
            "更换输送带（P-SM-001），调整张紧装置，空载及带载运行正常",
        ),
        _Fault(
            "缝包机断线、跳针",
            "机针磨损，缝包线质量差",
            "更换机针（P-SM-002）及缝包线（P-SM-004），调整压脚，缝包正常",
        ),
        _Fault("料斗振动电机不工作，下料不畅", "振动电机绕组烧毁", "更换料斗振动电机（P-SM-003），下料正常"),
        _Fault("装袋机柴油机动力不足", "柴油滤清器堵塞", "更换柴油滤清器（P-GS-004），动力恢复正常"),
    ),
}

#: Why a repair inside warranty is still paid (三包 exclusions): (reason, cause prefix).
EXCLUSIONS: tuple[tuple[BillableReason, str], ...] = (
    (BillableReason.MAN_MADE, "现场吊装搬运时碰撞造成损坏（人为损坏）；"),
    (BillableReason.MISUSE, "未按说明书操作，超负荷或无水干转运行（违规使用）；"),
    (BillableReason.MODIFICATION, "用户自行拆改接线或更换非原厂配件（私自改装、拆卸）；"),
    (BillableReason.FORCE_MAJEURE, "雷击及洪水浸泡造成损坏（不可抗力）；"),
)

INSPECTION_NOTES = ("月度巡检", "季度巡检", "半年度巡检", "主动跟踪巡检")
#: What an inspection in each month of the year is called besides the routine names.
SEASON_INSPECTION = (
    "冬季保养巡检",
    "汛前设备全面检查",
    "汛前设备全面检查",
    "汛前设备全面检查",
    "汛前设备全面检查",
    "汛期设备巡查",
    "汛期设备巡查",
    "汛期设备巡查",
    "汛期设备巡查",
    "汛后设备检查保养",
    "汛后设备检查保养",
    "冬季保养巡检",
)
#: The engineer's maintenance advice (维护建议) on a finished inspection, by the season it falls in
#: (winter, before the flood season, in it, after it); chosen by month, so the random draws stay as they were.
SEASON_ADVICE = (
    "建议冬季停用期间每月空载试运行一次，蓄电池保持充电",
    "建议汛前更换老化密封圈，复测绝缘电阻并补充润滑油",
    "建议汛期每次抢险后清理叶轮及进水口格栅，检查电缆有无破损",
    "建议汛后全面清洗保养，更换机油及滤芯后入库存放",
)
ADVICE_SEASON = (0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 0)
TRAINING_NOTES: dict[Cat, str] = {
    Cat.DRAINAGE_PUMP: "潜水排涝泵安装、操作与日常维护培训",
    Cat.PUMP_TRUCK: "排水抢险车操作与应急排涝演练培训",
    Cat.GENERATOR_SET: "发电机组操作、并机与保养培训",
    Cat.LIGHTING_TOWER: "照明灯塔操作与故障判断培训",
    Cat.ASSAULT_BOAT: "冲锋舟驾驶与舷外机保养培训",
    Cat.LIFE_JACKET: "救生衣正确穿戴与充气装置检查培训",
    Cat.SANDBAG_MACHINE: "装袋机操作与安全培训",
}
ACCEPTANCE: dict[JobKind, tuple[str, ...]] = {
    JobKind.REPAIR: (
        "设备已恢复正常运行，同意验收",
        "故障已排除，试运行正常，同意验收",
        "维修完成，设备运行正常，同意验收",
    ),
    JobKind.INSPECTION: ("巡检完成，设备状态良好，同意验收", "已完成巡检并讲解保养要点，同意验收"),
    JobKind.INSTALLATION: ("设备安装调试完毕，运行正常，同意验收",),
    JobKind.TRAINING: ("培训内容实用，参训人员已掌握操作要点",),
    JobKind.RETURN_VISIT: ("对售后服务满意，无其他意见",),
}
PRAISE = (
    "响应及时，服务态度好",
    "工程师技术过硬，讲解细致",
    "汛期随叫随到，值得肯定",
    "希望汛前增加巡检频次",
)
LATE_COMMENTS = ("到场稍慢，但维修质量好", "希望汛期缩短到场时间")
HOLD_REASONS = (
    "等待厂家寄送原厂配件，预计 3 天到货",
    "用户要求汛期过后再停机维修",
    "需返厂维修，等待用户确认维修报价",
)
CANCEL_REASONS = ("用户来电取消：现场人员复位后设备已恢复正常", "重复报修，已合并到前一工单")


def _items(*rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Checklist items from compact rows: (code, zh, en) or (code, zh, en, unit, min, max)."""
    out = []
    for row in rows:
        if len(row) == 3:
            item = ChecklistItemDef(code=row[0], label_zh=row[1], label_en=row[2])
        else:
            item = ChecklistItemDef(
                code=row[0],
                label_zh=row[1],
                label_en=row[2],
                kind=ChecklistItemKind.MEASURE,
                unit=row[3],
                min_value=row[4],
                max_value=row[5],
            )
        out.append(item.model_dump(mode="json"))
    return out


INSULATION = ("insulation", "电机绝缘电阻", "Motor insulation resistance", "MΩ", 0.5, None)
CHECKLISTS: tuple[tuple[Cat, JobKind, str, list[dict[str, Any]]], ...] = (
    (
        Cat.DRAINAGE_PUMP,
        JobKind.INSPECTION,
        "潜水排涝泵巡检表",
        _items(
            INSULATION,
            ("oil_chamber", "油室油位及油质", "Oil chamber level and condition"),
            ("impeller", "叶轮磨损及缠绕物", "Impeller wear and debris"),
            ("seals", "机械密封及泄漏报警", "Mechanical seal and leak alarm"),
            ("cable", "电缆及防水接头外观", "Cable and waterproof gland"),
            ("run_current", "试运行电流", "Trial-run current", "A", 20, 180),
            ("vibration", "运行振动速度", "Vibration velocity", "mm/s", None, 4.5),
            ("control_box", "控制箱接触器及保护装置", "Control box contactor and protection"),
        ),
    ),
    (
        Cat.DRAINAGE_PUMP,
        JobKind.REPAIR,
        "潜水排涝泵维修检测表",
        _items(
            ("fault_confirmed", "故障现象确认", "Fault confirmed on site"),
            INSULATION,
            ("oil_chamber_test", "油室气密试验", "Oil chamber pressure test"),
            ("run_current", "修复后运行电流", "Running current after repair", "A", 20, 180),
            ("trial_run", "修复后试运行 30 分钟", "30-minute trial run after repair"),
        ),
    ),
    (
        Cat.PUMP_TRUCK,
        JobKind.INSPECTION,
        "排水抢险车巡检表",
        _items(
            ("engine_oil", "发动机机油油位", "Engine oil level"),
            ("hydraulic_oil", "液压油油位及油质", "Hydraulic oil level and condition"),
            ("hydraulic_pressure", "液压系统工作压力", "Hydraulic working pressure", "MPa", 16, 25),
            ("battery_voltage", "启动电瓶电压", "Starter battery voltage", "V", 24, 28.8),
            ("hoses", "水带及快速接头", "Hoses and couplings"),
            ("reel", "水带卷盘及链条", "Hose reel and chain"),
            ("boom", "吊臂展开收回", "Boom deploy and stow"),
            ("tyre_pressure", "轮胎气压", "Tyre pressure", "kPa", 750, 900),
        ),
    ),
    (
        Cat.GENERATOR_SET,
        JobKind.INSPECTION,
        "发电机组巡检表",
        _items(
            ("battery_voltage", "启动电瓶电压", "Starter battery voltage", "V", 24, 28.8),
            ("engine_oil", "机油油位", "Engine oil level"),
            ("coolant", "冷却液液位", "Coolant level"),
            ("air_filter", "空气滤清器", "Air filter"),
            ("fuel", "燃油量及油路渗漏", "Fuel level and leaks"),
            ("output_voltage", "空载输出线电压", "No-load line voltage", "V", 380, 420),
            ("frequency", "输出频率", "Output frequency", "Hz", 49.5, 50.5),
            ("insulation", "发电机绝缘电阻", "Alternator insulation resistance", "MΩ", 0.5, None),
            ("load_test", "带载试运行 30 分钟", "30-minute load test"),
        ),
    ),
    (
        Cat.LIGHTING_TOWER,
        JobKind.INSPECTION,
        "照明灯塔巡检表",
        _items(
            ("light_output", "灯头全部点亮、亮度正常", "All lamps lit at full output"),
            ("mast_lift", "升降杆升降", "Mast raise and lower"),
            ("rotation", "灯头旋转及俯仰", "Lamp rotation and tilt"),
            ("engine_start", "汽油机启动", "Engine start"),
            ("battery_voltage", "蓄电池电压", "Battery voltage", "V", 12, 14.4),
            ("insulation", "灯具绝缘电阻", "Luminaire insulation resistance", "MΩ", 0.5, None),
        ),
    ),
    (
        Cat.ASSAULT_BOAT,
        JobKind.INSPECTION,
        "冲锋舟巡检表",
        _items(
            ("hull", "船体外观无裂纹、渗漏", "Hull free of cracks and leaks"),
            ("buoyancy", "浮力舱密封及浮力", "Buoyancy chambers sealed"),
            ("outboard_start", "舷外机启动及怠速", "Outboard start and idle"),
            ("cooling_water", "舷外机冷却水出水", "Outboard cooling water flow"),
            ("propeller", "螺旋桨及安全销", "Propeller and shear pin"),
            ("fuel_line", "燃油箱及油管", "Fuel tank and line"),
            ("safety_kit", "随船救生圈、船桨、缆绳齐全", "Lifebuoy, oars and ropes on board"),
        ),
    ),
    (
        Cat.LIFE_JACKET,
        JobKind.INSPECTION,
        "救生衣抽检表",
        _items(
            ("appearance", "面料及缝线完好", "Fabric and stitching intact"),
            ("buoyancy", "浮力材料无破损、浸水", "Buoyancy foam undamaged"),
            ("buckles", "扣带及快插扣", "Straps and buckles"),
            ("reflective", "反光带", "Retro-reflective tape"),
            ("whistle", "救生哨", "Whistle"),
            ("cylinder_mass", "充气气瓶质量（充气式）", "Gas cylinder mass (inflatable)", "g", 33, 40),
        ),
    ),
    (
        Cat.SANDBAG_MACHINE,
        JobKind.INSPECTION,
        "装袋机巡检表",
        _items(
            ("engine", "柴油机启动及运行", "Diesel engine start and run"),
            ("conveyor", "输送带张紧及跑偏", "Conveyor tension and tracking"),
            ("sewing", "缝包机针线", "Sewing head needle and thread"),
            ("vibrator", "料斗振动电机", "Hopper vibrator motor"),
            ("hopper", "料斗闸板", "Hopper gate"),
            ("battery_voltage", "蓄电池电压", "Battery voltage", "V", 12, 14.4),
            ("bagging_rate", "装袋效率", "Bagging rate", "袋/h", 600, None),
        ),
    ),
)

#: The engineer's taps, in order; ``closed`` is QA's, not a tap.
STEPS = ("acknowledged", "departed", "arrived", "started", "resolved", "signed_off", "closed")
#: Which steps a job in each status has reached.
REACHED: dict[JobStatus, int] = {
    JobStatus.NEW: 0,
    JobStatus.ASSIGNED: 0,
    JobStatus.ACKNOWLEDGED: 1,
    JobStatus.DEPARTED: 2,
    JobStatus.ARRIVED: 3,
    JobStatus.STARTED: 4,
    JobStatus.ON_HOLD: 4,
    JobStatus.RESOLVED: 5,
    JobStatus.SIGNED_OFF: 6,
    JobStatus.CLOSED: 7,
    JobStatus.CANCELLED: 1,
}
#: How many jobs of each status the demo has (400 in all).
STATUS_PLAN: tuple[tuple[JobStatus, int], ...] = (
    (JobStatus.CLOSED, 295),
    (JobStatus.SIGNED_OFF, 56),
    (JobStatus.RESOLVED, 6),
    (JobStatus.CANCELLED, 3),
    (JobStatus.ON_HOLD, 2),
    (JobStatus.STARTED, 14),
    (JobStatus.ARRIVED, 6),
    (JobStatus.DEPARTED, 4),
    (JobStatus.ACKNOWLEDGED, 6),
    (JobStatus.ASSIGNED, 4),
    (JobStatus.NEW, 4),
)
#: Calls per month of the year: Jiangxi's flood season is April to July.
CALL_SEASON = (0.5, 0.5, 0.8, 1.2, 1.6, 2.0, 2.0, 1.5, 1.0, 0.8, 0.6, 0.5)
#: Inspections peak before the flood season and after it.
INSPECTION_SEASON = (0.6, 0.8, 1.6, 1.8, 1.4, 1.0, 0.8, 0.8, 1.0, 1.4, 1.0, 0.7)
#: Calls per local hour of day (7x24 service, mostly daytime).
CALL_HOURS = (
    0.3,
    0.2,
    0.2,
    0.2,
    0.3,
    0.5,
    0.8,
    1.2,
    1.6,
    1.7,
    1.6,
    1.3,
    1.0,
    1.4,
    1.6,
    1.5,
    1.4,
    1.2,
    1.0,
    0.9,
    0.7,
    0.6,
    0.5,
    0.4,
)
#: Share of repairs by category (life jackets rarely need a technician).
REPAIR_WEIGHT: dict[Cat, float] = {
    Cat.DRAINAGE_PUMP: 5,
    Cat.PUMP_TRUCK: 4,
    Cat.GENERATOR_SET: 4,
    Cat.LIGHTING_TOWER: 3,
    Cat.ASSAULT_BOAT: 3,
    Cat.LIFE_JACKET: 0.2,
    Cat.SANDBAG_MACHINE: 2,
}


# --- helpers -------------------------------------------------------------------------------------


def _new_password() -> str:
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1/o/0 to misread at a demo
    return "levee-" + "".join(secrets.choice(alphabet) for _ in range(6))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _minutes(t: datetime, m: float) -> datetime:
    return t + timedelta(seconds=round(m * 60))


@dataclass
class _Eq:
    row: Equipment
    customer_index: int
    site: Site


class _Builder:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.users: list[User] = []
        self.engineers: list[User] = []
        self.dispatcher: User | None = None
        self.customers: list[Customer] = []
        self.sites: list[tuple[int, _SiteDef, Site]] = []
        self.equipment: list[_Eq] = []
        self.policies: dict[tuple[int | None, Severity], SlaLimits] = {}
        self.jobs: list[Job] = []
        self.assignments: list[JobAssignment] = []
        self.events: list[JobEvent] = []
        self.clock_skew: dict[uuid.UUID, int] = {}

    # people --------------------------------------------------------------------------------------

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def mobile(self) -> str:
        prefix = self.rng.choice(
            (
                "133",
                "135",
                "136",
                "137",
                "138",
                "139",
                "150",
                "152",
                "158",
                "159",
                "177",
                "180",
                "182",
                "187",
                "189",
                "199",
            )
        )
        return prefix + f"{self.rng.randrange(10**8):08d}"

    def landline(self, area: str) -> str:
        return f"{area}-{self.rng.randrange(2, 9)}{self.rng.randrange(10**6):06d}"

    def build_users(self, password_hash: str) -> None:
        for i, name in enumerate(ENGINEER_NAMES, start=1):
            user = User(
                id=uuid7(),
                username=f"eng{i:02d}",
                display_name=name,
                role=Role.ENGINEER.value,
                phone=self.mobile(),
                password_hash=password_hash,
                active=True,
            )
            self.engineers.append(user)
            self.clock_skew[user.id] = self.rng.randint(-1500, 1500)
        self.users.extend(self.engineers)
        for username, name, role in OFFICE_USERS:
            user = User(
                id=uuid7(),
                username=username,
                display_name=name,
                role=role.value,
                phone=self.mobile(),
                password_hash=password_hash,
                active=True,
            )
            self.users.append(user)
            if role is Role.DISPATCHER:
                self.dispatcher = user

    # customers, sites, equipment -----------------------------------------------------------------

    def build_places(self) -> None:
        for ci, (cdef, site_defs) in enumerate(CUSTOMERS):
            customer = Customer(
                id=uuid7(),
                name=cdef.name,
                contract_no=cdef.contract_no,
                contact_name=self.person(),
                contact_phone=self.landline(cdef.area_code),
                address=cdef.address,
                warranty_years=cdef.warranty_years,
            )
            self.customers.append(customer)
            for sdef in site_defs:
                site = Site(
                    id=uuid7(),
                    customer_id=customer.id,
                    name=sdef.name,
                    address=sdef.address,
                    contact_name=self.person(),
                    contact_phone=self.mobile(),
                    latitude=round(min(29.0, max(27.0, cdef.lat + sdef.dlat)), 5),
                    longitude=round(min(117.0, max(115.0, cdef.lon + sdef.dlon)), 5),
                )
                self.sites.append((ci, sdef, site))

    def build_equipment(self) -> None:
        today = self.now.astimezone(CST).date()
        # Each contract was delivered in two batches; two customers got their second batch just before
        # the history window, which is where the installation jobs come from.
        batches: list[tuple[int, int]] = []
        for cdef, _ in CUSTOMERS:
            # Two-year contracts are the older ones (2024): some of that equipment is out of warranty.
            first = self.rng.randint(760, 890) if cdef.warranty_years == 2 else self.rng.randint(430, 520)
            second = (
                self.rng.randint(HISTORY_DAYS + 3, HISTORY_DAYS + 12)
                if cdef.recent_delivery
                else (self.rng.randint(200, 400))
            )
            batches.append((first, second))
        for cat, count, models in EQUIPMENT_MODELS:
            homes = [(ci, sdef, site) for ci, sdef, site in self.sites if cat in SITE_STOCK[sdef.kind]]
            weights = [SITE_STOCK[sdef.kind][cat] for _, sdef, _ in homes]
            for n in range(1, count + 1):
                ci, _, site = self.rng.choices(homes, weights)[0]
                model, prefix, _ = self.rng.choices(models, [w for _, _, w in models])[0]
                days_ago = self.rng.choice(batches[ci]) + self.rng.randint(-3, 3)
                days_ago = min(30 * 30, max(HISTORY_DAYS + 1, days_ago))
                delivered = today - timedelta(days=days_ago)
                row = Equipment(
                    id=uuid7(),
                    site_id=site.id,
                    category=cat.value,
                    model=model,
                    serial_no=f"{prefix}{delivered:%y%m}{n:04d}",
                    delivered_on=delivered,
                    warranty_end=_add_years(delivered, CUSTOMERS[ci][0].warranty_years),
                )
                self.equipment.append(_Eq(row, ci, site))

    def build_policies(self) -> list[SlaPolicy]:
        rows = []
        for sev, (r, o, f, b) in DEFAULT_SLA.items():
            rows.append(
                SlaPolicy(
                    customer_id=None,
                    severity=sev.value,
                    respond_minutes=r,
                    onsite_minutes=o,
                    fix_minutes=f,
                    backup_minutes=b,
                )
            )
            self.policies[(None, sev)] = SlaLimits(r, o, f, b)
        for ci, by_sev in CONTRACT_SLA.items():
            for sev, (r, o, f, b) in by_sev.items():
                rows.append(
                    SlaPolicy(
                        customer_id=self.customers[ci].id,
                        severity=sev.value,
                        respond_minutes=r,
                        onsite_minutes=o,
                        fix_minutes=f,
                        backup_minutes=b,
                    )
                )
                self.policies[(ci, sev)] = SlaLimits(r, o, f, b)
        for p in rows:
            assert p.respond_minutes <= p.onsite_minutes <= p.fix_minutes
        return rows

    def limits(self, ci: int, sev: Severity) -> SlaLimits:
        return self.policies.get((ci, sev)) or self.policies[(None, sev)]

    # jobs ----------------------------------------------------------------------------------------

    def call_time(self, lo_days: float, hi_days: float, season: Sequence[float], planned: bool) -> datetime:
        """A call ``lo_days``..``hi_days`` ago, weighted by season and (local) hour of day."""
        rng = self.rng
        top = max(season)
        while True:
            day = (self.now - timedelta(days=rng.uniform(lo_days, hi_days))).astimezone(CST)
            if rng.random() * top <= season[day.month - 1]:
                break
        if planned:
            minute = rng.randint(8 * 60, 15 * 60)
        else:
            minute = rng.choices(range(24), CALL_HOURS)[0] * 60 + rng.randrange(60)
        local = day.replace(hour=minute // 60, minute=minute % 60, second=rng.randrange(60), microsecond=0)
        t = local.astimezone(UTC)
        return min(t, self.now - timedelta(days=lo_days))

    def oldest_call(self, eq: _Eq | None, days: float) -> float:
        """How many days back a call about ``eq`` can be: not before two weeks after its delivery."""
        if eq is None or eq.row.delivered_on is None:
            return days
        in_service = (self.now.astimezone(CST).date() - eq.row.delivered_on).days - 14
        return max(20.0, min(days, in_service))

    def offsets(self, kind: JobKind, sev: Severity, lim: SlaLimits, late: str | None) -> dict[str, float]:
        """Minutes from the call to each step of a full timeline; ``late`` names the promise to break."""
        rng = self.rng
        r, o, f = lim.respond_minutes, lim.onsite_minutes, lim.fix_minutes
        ack = r + rng.uniform(5, 90) if late == "respond" else rng.uniform(1, r * 0.85)
        assigned = rng.uniform(0.2, ack * 0.5)
        depart = ack + rng.uniform(4, 30)
        arrive = depart + rng.uniform(20, 110)
        if late == "onsite":
            arrive = max(arrive, o + rng.uniform(10, 150))
        elif late is None and arrive > o - 3:
            budget = max(6.0, o - 3 - ack)
            depart = ack + budget * rng.uniform(0.1, 0.3)
            arrive = depart + (ack + budget - depart) * rng.uniform(0.6, 1.0)
        start = arrive + rng.uniform(3, 20)
        if kind is JobKind.REPAIR:
            if sev is Severity.MAJOR:
                work = rng.choices((rng.uniform(60, 240), rng.uniform(240, 460)), (0.5, 0.5))[0]
            else:
                work = rng.choices(
                    (rng.uniform(40, 150), rng.uniform(150, 420), rng.uniform(420, 1200)), (0.5, 0.35, 0.15)
                )[0]
        else:
            lo_hi = {
                JobKind.INSPECTION: (30, 150),
                JobKind.INSTALLATION: (120, 360),
                JobKind.TRAINING: (90, 240),
                JobKind.RETURN_VISIT: (20, 60),
            }[kind]
            work = rng.uniform(*lo_hi)
        resolved = start + work
        if late == "fix":
            resolved = max(resolved, f + rng.uniform(30, 1800))
        elif late is None and resolved > f - 5 and f - 5 - start > 10:
            resolved = start + (f - 5 - start) * rng.uniform(0.5, 0.95)
        signed = resolved + rng.uniform(3, 30)
        return {
            "assigned": assigned,
            "acknowledged": ack,
            "departed": depart,
            "arrived": arrive,
            "started": start,
            "resolved": resolved,
            "signed_off": signed,
            "closed": signed + rng.uniform(240, 7200),
        }

    def pick_engineer(self, ci: int) -> User:
        if self.rng.random() < 0.8:
            return self.engineers[self.rng.choice(PRIMARY_ENGINEERS[ci])]
        return self.rng.choice(self.engineers)

    def build_jobs(self) -> None:
        rng = self.rng
        plan = [status for status, n in STATUS_PLAN for _ in range(n)]
        rng.shuffle(plan)
        repair_pool = self.equipment
        repair_weights = [REPAIR_WEIGHT[Cat(e.row.category)] for e in repair_pool]
        recent = [
            e
            for e in self.equipment
            if e.row.delivered_on
            and (self.now.astimezone(CST).date() - e.row.delivered_on).days <= HISTORY_DAYS + 15
        ]
        rng.shuffle(recent)
        installations = min(8, len(recent))
        busy: set[uuid.UUID] = set()  # equipment with an open job: one open job each
        for status in plan:
            open_job = status not in (JobStatus.CLOSED, JobStatus.SIGNED_OFF, JobStatus.CANCELLED)
            if open_job:
                kind = JobKind.REPAIR if rng.random() < 0.8 else JobKind.INSPECTION
            elif status is JobStatus.CLOSED and installations:
                kind = JobKind.INSTALLATION
                installations -= 1
            else:
                kind = rng.choices(
                    (JobKind.REPAIR, JobKind.INSPECTION, JobKind.TRAINING, JobKind.RETURN_VISIT),
                    (0.6, 0.35, 0.025, 0.025),
                )[0]
            eq: _Eq | None = None
            if kind is JobKind.INSTALLATION:
                eq = recent.pop()
            elif kind in (JobKind.REPAIR, JobKind.INSPECTION):
                for _ in range(50):
                    if kind is JobKind.REPAIR:
                        eq = rng.choices(repair_pool, repair_weights)[0]
                    else:
                        eq = rng.choice(self.equipment)
                    if not open_job or eq.row.id not in busy:
                        break
                if open_job and eq is not None:
                    busy.add(eq.row.id)
            elif kind is JobKind.TRAINING:
                eq = rng.choice(self.equipment)
            if eq is not None:
                ci, site = eq.customer_index, eq.site
            else:
                ci, _, site = rng.choice(self.sites)
            self.build_job(status, kind, ci, site, eq)

    def build_job(self, status: JobStatus, kind: JobKind, ci: int, site: Site, eq: _Eq | None) -> None:
        rng = self.rng
        customer = self.customers[ci]
        sev = Severity.MAJOR if kind is JobKind.REPAIR and rng.random() < 0.33 else Severity.GENERAL
        lim = self.limits(ci, sev)
        late: str | None = None
        if rng.random() < 0.11:
            late = rng.choices(("respond", "onsite", "fix"), (0.3, 0.45, 0.25))[0]
            if late == "fix" and kind is not JobKind.REPAIR:
                late = "onsite"
        off = self.offsets(kind, sev, lim, late)
        reached = REACHED[status]
        planned = kind is not JobKind.REPAIR

        # When the call came in.
        if status is JobStatus.CLOSED:
            if kind is JobKind.INSTALLATION and eq is not None and eq.row.delivered_on is not None:
                day = eq.row.delivered_on + timedelta(days=rng.randint(2, 12))
                local = datetime(
                    day.year,
                    day.month,
                    day.day,
                    rng.randint(8, 10),
                    rng.randrange(60),
                    rng.randrange(60),
                    tzinfo=CST,
                )
                earliest = self.now - timedelta(days=HISTORY_DAYS - rng.uniform(0, 2))
                t0 = max(local.astimezone(UTC), earliest.replace(microsecond=0))
            else:
                season = INSPECTION_SEASON if kind is JobKind.INSPECTION else CALL_SEASON
                t0 = self.call_time(9, self.oldest_call(eq, HISTORY_DAYS), season, planned)
        elif status is JobStatus.SIGNED_OFF:
            t0 = self.call_time(1, 20, CALL_SEASON, planned)
        elif status is JobStatus.CANCELLED:
            t0 = self.call_time(10, self.oldest_call(eq, HISTORY_DAYS - 5), CALL_SEASON, planned)
        else:
            # Open work: the last tap (or the call) was a little while ago.
            gap_minutes = {
                JobStatus.NEW: (2, 75),
                JobStatus.ASSIGNED: (2, 50),
                JobStatus.ACKNOWLEDGED: (5, 240),
                JobStatus.DEPARTED: (5, 60),
                JobStatus.ARRIVED: (5, 90),
                JobStatus.STARTED: (10, 1800),
                JobStatus.ON_HOLD: (2 * 1440, 9 * 1440),
                JobStatus.RESOLVED: (60, 2880),
            }[status]
            last = (
                off["assigned"]
                if status is JobStatus.ASSIGNED
                else (off[STEPS[reached - 1]] if reached else 0.0)
            )
            t0 = _minutes(self.now, -(last + rng.uniform(*gap_minutes))).replace(microsecond=0)
        if status is JobStatus.SIGNED_OFF and _minutes(t0, off["signed_off"]) > self.now:
            t0 = _minutes(self.now, -(off["signed_off"] + rng.uniform(30, 600))).replace(microsecond=0)

        times = {step: _minutes(t0, off[step]) for step in STEPS[:reached]}
        if times.get("closed", t0) > self.now:  # QA has not got to it yet
            del times["closed"]
            status = JobStatus.SIGNED_OFF
        # Each kind its own promise (shared/sla.py): training and installation are booked for a day
        # after the call (the engineer's arrival, when there is one), a return visit promises nothing.
        scheduled = (
            times.get("arrived", _minutes(t0, 1440))
            if kind in (JobKind.TRAINING, JobKind.INSTALLATION)
            else None
        )
        due = deadlines_for(kind, t0, lim, scheduled)

        engineer = None if status is JobStatus.NEW else self.pick_engineer(ci)
        if status is JobStatus.CANCELLED and rng.random() < 0.5:
            engineer, times = None, {}
        caller_name, caller_phone = rng.choice(
            (
                (site.contact_name, site.contact_phone),
                (site.contact_name, site.contact_phone),
                (customer.contact_name, customer.contact_phone),
                (self.person(), self.mobile()),
            )
        )
        job = Job(
            id=uuid7(_ms(t0)),
            number="",
            kind=kind.value,
            severity=sev.value,
            status=status.value,
            customer_id=customer.id,
            site_id=site.id,
            equipment_id=eq.row.id if eq else None,
            assigned_engineer_id=engineer.id if engineer else None,
            caller_name=caller_name,
            caller_phone=caller_phone,
            call_received_at=t0,
            respond_due_at=due.respond_due_at,
            onsite_due_at=due.onsite_due_at,
            fix_due_at=due.fix_due_at,
            backup_due_at=due.backup_due_at,
            scheduled_at=scheduled,
            version=1,
            field_versions={},
            created_at=t0,
            updated_at=max(times.values(), default=t0),
            times_flagged=False,
            backup_lent=False,
            **{f"{step}_at": t for step, t in times.items()},
        )
        self.describe(job, kind, status, eq, t0, off, lim, late, times)
        self.jobs.append(job)
        if engineer is not None:
            self.assign(job, engineer, t0, off["assigned"], ci)
            self.tap_events(job, engineer, times)

    def describe(
        self,
        job: Job,
        kind: JobKind,
        status: JobStatus,
        eq: _Eq | None,
        t0: datetime,
        off: dict[str, float],
        lim: SlaLimits,
        late: str | None,
        times: dict[str, datetime],
    ) -> None:
        """Fill in what the form says: symptom, cause, fix, billing, backup, acceptance."""
        rng = self.rng
        cat = Cat(eq.row.category) if eq else None
        resolved = "resolved" in times
        if kind is JobKind.REPAIR and eq is not None and cat is not None:
            faults = [f for f in FAULTS[cat] if f.only_model in eq.row.model]
            fault = rng.choice(faults)
            job.symptom = fault.symptom
            if resolved:
                in_warranty = (
                    eq.row.warranty_end is not None and t0.astimezone(CST).date() <= eq.row.warranty_end
                )
                job.cause, job.fix = fault.cause, fault.fix
                if in_warranty and rng.random() < 0.12:
                    reason, why = rng.choice(EXCLUSIONS)
                    job.cause = why + fault.cause
                    job.fix = fault.fix + "。属三包除外情形，按收费维修处理，已向用户说明"
                    job.billable, job.billable_reason = True, reason.value
                elif in_warranty:
                    job.billable, job.billable_reason = False, BillableReason.IN_WARRANTY.value
                else:
                    job.billable, job.billable_reason = True, BillableReason.OUT_OF_WARRANTY.value
            # Backup equipment: promised when a fix takes longer than the backup limit.
            fix_minutes = off["resolved"] if resolved else (self.now - t0).total_seconds() / 60
            if "arrived" in times and fix_minutes > lim.backup_minutes and rng.random() < 0.85:
                job.backup_lent = True
                job.backup_note = f"修复期间借用备用{eq.row.model}一台，修复后收回"
        else:
            if kind is JobKind.INSPECTION:
                month = t0.astimezone(CST).month
                job.notes = (
                    SEASON_INSPECTION[month - 1] if rng.random() < 0.5 else rng.choice(INSPECTION_NOTES)
                )
                if resolved:
                    job.fix = rng.choice(
                        (
                            "按巡检表完成各项检查，设备状态良好",
                            "按巡检表完成检查，清洁保养一次，各项指标正常",
                            "完成巡检，发现空气滤清器积尘已清理，其余正常",
                        )
                    )
                    job.advice = SEASON_ADVICE[ADVICE_SEASON[month - 1]]
            elif kind is JobKind.INSTALLATION:
                job.notes = "新到货设备现场安装调试及交付验收"
                if resolved:
                    job.fix = "完成安装调试，试运行正常，已向用户交付操作手册"
            elif kind is JobKind.TRAINING:
                job.notes = f"{TRAINING_NOTES[cat or Cat.DRAINAGE_PUMP]}，参训 {rng.randint(8, 30)} 人"
                if resolved:
                    job.fix = "完成理论讲解和实操演示，参训人员已签到"
            else:
                job.notes = "上门回访，了解设备使用情况和服务满意度"
                if resolved:
                    job.fix = "已完成回访，用户反馈设备运行正常"
            if resolved:
                job.billable, job.billable_reason = False, BillableReason.NOT_A_REPAIR.value
        if "signed_off" in times:
            job.acceptance_opinion = rng.choice(ACCEPTANCE[kind])
            sat_weights = (0.2, 0.45, 0.35) if late else (0.06, 0.3, 0.64)
            job.satisfaction = rng.choices((3, 4, 5), sat_weights)[0]
            if rng.random() < 0.3:
                job.acceptance_comment = rng.choice(LATE_COMMENTS if late else PRAISE)
        if status is JobStatus.ON_HOLD:
            job.office_reason = rng.choice(HOLD_REASONS)
            if kind is JobKind.REPAIR and not job.backup_lent and eq is not None:
                job.backup_lent = True
                job.backup_note = f"已借用备用{eq.row.model}一台"
        elif status is JobStatus.CANCELLED:
            job.office_reason = rng.choice(CANCEL_REASONS)

    def assign(self, job: Job, engineer: User, t0: datetime, at_minutes: float, ci: int) -> None:
        assert self.dispatcher is not None
        at = _minutes(t0, at_minutes)
        if self.rng.random() < 0.04:
            # First given to someone else, moved before they acknowledged.
            other = self.rng.choice([e for e in self.engineers if e is not engineer])
            first_at = _minutes(t0, at_minutes * 0.4)
            self.assignments.append(
                JobAssignment(
                    id=uuid7(_ms(first_at)),
                    job_id=job.id,
                    engineer_id=other.id,
                    assigned_by=self.dispatcher.id,
                    assigned_at=first_at,
                    unassigned_at=at,
                )
            )
        self.assignments.append(
            JobAssignment(
                id=uuid7(_ms(at)),
                job_id=job.id,
                engineer_id=engineer.id,
                assigned_by=self.dispatcher.id,
                assigned_at=at,
                unassigned_at=None,
            )
        )

    def tap_events(self, job: Job, engineer: User, times: dict[str, datetime]) -> None:
        rng = self.rng
        synced_late = rng.random() < 0.06  # worked offline (dikes have poor coverage), synced later
        skewed = rng.random() < 0.01  # a tablet whose clock had drifted
        for step in STEPS[:6]:
            device_time = times.get(step)
            if device_time is None:
                continue
            delay = rng.uniform(1, 20)
            if synced_late and step in ("arrived", "started", "resolved", "signed_off"):
                delay = rng.uniform(5 * 60, 3 * 86400)
            received = min(self.now, device_time + timedelta(seconds=delay))
            offset = self.clock_skew[engineer.id] + rng.randint(-200, 200)
            event = JobEvent(
                id=uuid7(_ms(device_time)),
                job_id=job.id,
                type=JobEventType(step).value,
                device_time=device_time,
                received_at=received,
                clock_offset_ms=offset,
                user_id=engineer.id,
                flagged=False,
                flag_reason="",
                hlc="",
            )
            if skewed:
                event.clock_offset_ms = offset - 9 * 60_000
                event.flagged, event.flag_reason = True, "设备时钟偏差超过 5 分钟"
                job.times_flagged = True
            self.events.append(event)

    def build_answers(self) -> list[ChecklistResult]:
        """The signature of every signed job, and the answered checklist of every form waiting for QA
        (resolved or signed off), so each can be approved (approval refuses a form that lacks them).

        Drawn from a generator of their own, so the rest of the demo data stays what it was."""
        rng = random.Random(f"answers-{len(self.jobs)}-{self.now.isoformat()}")
        categories = {e.row.id: e.row.category for e in self.equipment}
        checklists = {(cat.value, kind.value): items for cat, kind, _, items in CHECKLISTS}
        out: list[ChecklistResult] = []
        for job in self.jobs:
            if job.signed_off_at is not None:
                points = " L ".join(f"{30 + 40 * i} {rng.randint(20, 90)}" for i in range(1, 6))
                job.signature = f"M 30 {rng.randint(20, 90)} L {points}"
            if job.status not in (JobStatus.RESOLVED.value, JobStatus.SIGNED_OFF.value):
                continue
            category = categories.get(job.equipment_id) if job.equipment_id else None
            items = checklists.get((category or "", job.kind), [])
            at = job.resolved_at or job.updated_at
            for item in items:
                value: float | None = None
                result: str | None = CheckResult.OK.value
                if item.get("kind") == ChecklistItemKind.MEASURE.value:
                    low, high = item.get("min_value"), item.get("max_value")
                    low = low if low is not None else 0.0
                    high = high if high is not None else low * 4 + 10
                    value, result = round(rng.uniform(low, high), 1), None
                out.append(
                    ChecklistResult(
                        id=uuid7(_ms(at)),
                        job_id=job.id,
                        item_code=item["code"],
                        result=result,
                        value=value,
                        answered_at=at,
                        version=1,
                        written_by="office",
                    )
                )
        return out

    def number_jobs(self) -> None:
        self.jobs.sort(key=lambda j: j.call_received_at)
        for n, job in enumerate(self.jobs, start=1):
            # Same format as server.jobs.service, so numbers taken later continue this series.
            job.number = f"WO-{job.call_received_at.astimezone(UTC):%Y%m}-{n:05d}"


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def seed_demo(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    rng_seed: int = 20260601,
    password: str | None = None,
) -> SeedResult:
    """Fill an empty database with demo data; the caller commits.

    All demo users share one password: ``password`` or, when it is None, a random readable one made
    for this run and returned in ``SeedResult.logins``.
    """
    for model, table in ((User, "users"), (Job, "jobs")):
        if n := await _count(session, model):
            raise SeedError(
                f"数据库不是空的：{table} 表已有 {n} 行。演示数据只能写入新建的空数据库。"
                f" (the database is not empty: table {table} has {n} rows)"
            )
    if password is None:
        password = _new_password()
    elif len(password) < 8:
        raise SeedError("演示密码至少 8 个字符 (the demo password needs at least 8 characters)")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise SeedError("now must carry a time zone")
    now = now.astimezone(UTC)

    b = _Builder(random.Random(rng_seed), now)
    b.build_users(hash_password(password))
    b.build_places()
    b.build_equipment()
    policies = b.build_policies()
    templates = []
    for cat, job_kind, name, items in CHECKLISTS:
        ChecklistTemplateCreate.model_validate(
            {"category": cat, "job_kind": job_kind, "name": name, "items": items}
        )
        templates.append(
            ChecklistTemplate(category=cat.value, job_kind=job_kind.value, name=name, items=items)
        )
    parts = [
        Part(code=code, name=name, unit=unit, unit_price=price, categories=[c.value for c in cats])
        for code, name, unit, price, cats in PARTS
    ]
    b.build_jobs()
    b.number_jobs()
    answers = b.build_answers()

    groups: dict[str, Sequence[Any]] = {
        "users": b.users,
        "customers": b.customers,
        "sites": [site for _, _, site in b.sites],
        "equipment": [e.row for e in b.equipment],
        "sla_policies": policies,
        "checklist_templates": templates,
        "parts": parts,
        "jobs": b.jobs,
        "job_assignments": b.assignments,
        "job_events": b.events,
        "checklist_results": answers,
    }
    existing_counters = set(await session.scalars(select(Counter.name)))
    counter = await session.get(Counter, JOB_NUMBER_COUNTER)
    if counter is None:
        session.add(Counter(name=JOB_NUMBER_COUNTER, value=len(b.jobs)))
    else:  # the migration may have created the row already
        counter.value = len(b.jobs)
    # The models have no relationship() to order inserts by, and PostgreSQL checks foreign keys on
    # each statement: flush table by table, parents first.
    for rows in groups.values():
        session.add_all(rows)
        await session.flush()
    # Devices learn about things from the change log, like after any other write.
    changes = [
        Change(entity, row.id, "put", None)
        for entity, table in (
            ("customer", "customers"),
            ("site", "sites"),
            ("equipment", "equipment"),
            ("checklist_template", "checklist_templates"),
            ("part", "parts"),
        )
        for row in groups[table]
    ]
    changes += [Change("job", j.id, "put", j.assigned_engineer_id) for j in b.jobs if j.assigned_engineer_id]
    await log_changes(session, changes)

    counts = {table: len(rows) for table, rows in groups.items()}
    counts["change_log"] = len(changes)
    counts["counters"] = len({JOB_NUMBER_COUNTER, LOG_COUNTER} - existing_counters)
    counts.update(await seed_stock(session, now=now, rng_seed=rng_seed))  # stores, lots, vans stocked
    counts.update(await seed_inspections(session, now=now, rng_seed=rng_seed, counts=counts))
    counts.update(
        await seed_customers(session, now=now, rng_seed=rng_seed, counts=counts)
    )  # visits, training
    logins = [DemoLogin(u.username, password, u.role, u.display_name) for u in b.users]
    return SeedResult(logins=logins, counts=counts)


# --- terminal output -----------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_logins(result: SeedResult) -> str:
    """The demo logins as a small table for the terminal (CJK characters count as two columns)."""
    header = ("用户名 username", "角色 role", "姓名 name", "密码 password")
    rows = [
        (x.username, f"{ROLE_LABELS.get(x.role, x.role)} {x.role}", x.display_name, x.password)
        for x in result.logins
    ]
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True)).rstrip(), line]
    out += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)
