"""Demo catalog: 10 categories and ~200 products for a Hangzhou fresh-grocery chain.

All money is integer fen (1 CNY = 100 fen); never floats.

* ``sold_by == "UNIT"``: ``price_fen`` is the price of one unit (``unit_label``
  e.g. 盒 / 瓶 / 袋); ``step_g`` and ``min_g`` are ``None``.
* ``sold_by == "WEIGHT"``: ``price_fen`` is the price per 500 g (一斤),
  ``unit_label`` is ``"斤"``; customers order in multiples of ``step_g`` grams,
  at least ``min_g`` grams (a multiple of ``step_g``).

Barcodes are valid EAN-13 strings: packaged goods use a fictional GS1-China
prefix (``6975432`` + 5-digit item + check digit); weight-priced fresh goods
use the in-store variable-measure range (``21`` + 5-digit PLU + ``00000`` +
check digit), as Chinese supermarkets' scales do. Brand names are real
products a Hangzhou shop would stock; prices are plausible 2026 shelf prices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT = "UNIT"
WEIGHT = "WEIGHT"
WEIGHT_UNIT_LABEL = "斤"  # price basis for WEIGHT items = 500 g
GRAMS_PER_JIN = 500


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    name: str  # Chinese + English
    name_zh: str
    name_en: str
    sku_prefix: str  # e.g. "FRU"
    position: int  # display order, 1-based


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    sku: str  # "SKU-FRU-0001"
    barcode: str  # 13-digit EAN-13
    name: str  # Chinese display name (with spec for packaged goods)
    name_en: str
    category: str  # DemoCategory.slug
    description: str  # short, Chinese
    sold_by: str  # "UNIT" | "WEIGHT"
    price_fen: int  # UNIT: per unit; WEIGHT: per 500 g
    unit_label: str  # UNIT: 盒/瓶/袋/个...; WEIGHT: "斤"
    step_g: int | None  # WEIGHT only: order increment in grams
    min_g: int | None  # WEIGHT only: minimum order in grams


CATEGORIES: tuple[DemoCategory, ...] = tuple(
    DemoCategory(slug, f"{zh} {en}", zh, en, prefix, i)
    for i, (slug, zh, en, prefix) in enumerate(
        (
            ("fruit", "新鲜水果", "Fruit", "FRU"),
            ("vegetables", "时令蔬菜", "Vegetables", "VEG"),
            ("meat-poultry", "肉禽", "Meat & Poultry", "MEA"),
            ("seafood", "水产海鲜", "Seafood", "SEA"),
            ("dairy-eggs", "乳品蛋类", "Dairy & Eggs", "DAI"),
            ("bakery", "烘焙面点", "Bakery", "BAK"),
            ("drinks", "酒水饮料", "Drinks", "DRI"),
            ("snacks", "休闲零食", "Snacks", "SNA"),
            ("grain-oil", "粮油调味", "Grain, Oil & Seasoning", "GRA"),
            ("household", "日用百货", "Household", "HOU"),
        ),
        start=1,
    )
)
CATEGORY_BY_SLUG: dict[str, DemoCategory] = {c.slug: c for c in CATEGORIES}


# Compact rows. W = weight-priced (price per 500 g), U = unit-priced.
def W(zh: str, en: str, per_jin_fen: int, step_g: int, desc: str, min_g: int | None = None) -> tuple:
    return (WEIGHT, zh, en, per_jin_fen, step_g, min_g if min_g is not None else step_g, desc)


def U(zh: str, en: str, price_fen: int, unit: str, desc: str) -> tuple:
    return (UNIT, zh, en, price_fen, unit, None, desc)


_TABLE: dict[str, tuple[tuple, ...]] = {
    "fruit": (
        W("赣南脐橙", "Gannan navel orange", 699, 500, "江西赣州产区，果肉脆甜多汁"),
        W("烟台红富士苹果", "Yantai Fuji apple", 798, 500, "山东烟台，脆甜爽口"),
        W("阿克苏冰糖心苹果", "Aksu rock-sugar apple", 998, 500, "新疆阿克苏，果核透糖"),
        W("库尔勒香梨", "Korla fragrant pear", 898, 500, "新疆库尔勒，皮薄汁多"),
        W("砀山酥梨", "Dangshan crisp pear", 498, 500, "安徽砀山，清甜化渣"),
        W("海南香蕉", "Hainan banana", 398, 500, "自然熟，软糯香甜"),
        W("麒麟西瓜", "Qilin watermelon", 298, 500, "皮薄沙瓤，整只称重", 2000),
        W("8424西瓜", "8424 watermelon", 358, 500, "上海南汇8424，脆甜多汁", 2500),
        W("巨峰葡萄", "Kyoho grape", 998, 500, "颗粒饱满，酸甜适中"),
        W("阳光玫瑰葡萄", "Shine Muscat grape", 1980, 500, "玫瑰香味，脆嫩无籽"),
        W("夏黑葡萄", "Summer Black grape", 1280, 500, "无籽夏黑，浓甜"),
        W("丹东草莓", "Dandong strawberry", 2980, 250, "辽宁丹东99草莓，香甜多汁"),
        W("奉化水蜜桃", "Fenghua juicy peach", 1580, 500, "宁波奉化，入口即化"),
        W("海南金煌芒", "Hainan Jinhuang mango", 798, 500, "大果金煌，香甜少纤维"),
        W("广西沙糖桔", "Guangxi shatangju mandarin", 698, 500, "小果易剥，清甜"),
        W("四川耙耙柑", "Sichuan Ponkan mandarin", 998, 500, "蒲江耙耙柑，软糯爆汁"),
        W("红心火龙果", "Red dragon fruit", 898, 500, "红肉火龙果，清甜"),
        W("智利车厘子 JJ级", "Chilean cherries JJ", 5980, 250, "空运到港，果径28-30mm"),
        W("仙居东魁杨梅", "Xianju Dongkui bayberry", 2580, 500, "浙江仙居，当季鲜采"),
        W("黄岩蜜桔", "Huangyan tangerine", 598, 500, "浙江台州黄岩，皮薄多汁"),
        W("新疆哈密瓜", "Hami melon", 598, 500, "西州蜜25号，脆甜", 1500),
        W("泰国金枕榴莲", "Thai Monthong durian", 3680, 500, "整只称重，果肉金黄", 2000),
        U("云南蓝莓 125g", "Yunnan blueberries 125g", 1990, "盒", "大果蓝莓，酸甜可口"),
        U("海南椰青", "Hainan young coconut", 990, "个", "已开口包装，现开即饮"),
        U("墨西哥牛油果 2个装", "Mexican avocado 2-pack", 1290, "盒", "可即食，适合沙拉"),
        U("佳沛阳光金果 4个装", "Zespri SunGold kiwifruit 4-pack", 2990, "盒", "新西兰进口，高维C"),
        U("鲜切西瓜盒 400g", "Fresh-cut watermelon 400g", 1290, "盒", "门店现切，冷藏保鲜"),
        U("鲜切果拼 350g", "Fresh-cut fruit platter 350g", 1990, "盒", "多种时令水果现切"),
    ),
    "vegetables": (
        W("本地青菜", "Local bok choy", 298, 250, "杭州本地小青菜，当日采摘"),
        W("大白菜", "Napa cabbage", 158, 500, "整棵称重，包心紧实", 1000),
        W("西红柿", "Tomato", 458, 500, "沙瓤番茄，酸甜适口"),
        W("黄瓜", "Cucumber", 398, 500, "带刺鲜黄瓜，清脆"),
        W("土豆", "Potato", 228, 500, "黄心土豆，炖炒皆宜"),
        W("胡萝卜", "Carrot", 248, 500, "脆甜胡萝卜"),
        W("洋葱", "Onion", 258, 500, "紫皮洋葱"),
        W("西兰花", "Broccoli", 698, 250, "花球紧实，翠绿"),
        W("长茄子", "Chinese eggplant", 498, 500, "紫皮长茄，肉质细嫩"),
        W("青椒", "Green bell pepper", 458, 250, "薄皮青椒"),
        W("杭椒", "Hangzhou pepper", 798, 250, "微辣杭椒，适合小炒"),
        W("莴笋", "Celtuce", 398, 500, "脆嫩莴笋"),
        W("冬瓜", "Winter melon", 158, 500, "切块称重，煲汤佳品", 1000),
        W("贝贝南瓜", "Beibei kabocha", 498, 500, "粉糯香甜"),
        W("铁棍山药", "Iron-stick yam", 998, 500, "河南焦作，粉糯"),
        W("九孔莲藕", "Lotus root", 598, 500, "九孔粉藕，适合煲汤"),
        W("生姜", "Ginger", 798, 250, "老姜，辛香浓郁"),
        W("大蒜", "Garlic", 898, 250, "紫皮独瓣大蒜"),
        W("菠菜", "Spinach", 598, 250, "鲜嫩菠菜，去根"),
        W("空心菜", "Water spinach", 498, 250, "嫩梢空心菜"),
        W("鲜香菇", "Fresh shiitake", 998, 250, "肉厚香浓"),
        W("杭州春笋", "Hangzhou spring bamboo shoot", 1280, 500, "带壳称重，时令鲜笋"),
        W("茭白", "Water bamboo", 698, 500, "白嫩茭白"),
        W("毛豆荚", "Edamame", 798, 250, "鲜毛豆，颗粒饱满"),
        W("西芹", "Celery", 458, 500, "西芹，脆嫩多汁"),
        W("油麦菜", "Indian lettuce", 498, 250, "鲜嫩油麦菜"),
        U("金针菇 300g", "Enoki mushroom 300g", 390, "袋", "鲜金针菇，涮锅必备"),
        U("嫩豆腐 400g", "Silken tofu 400g", 350, "盒", "内酯豆腐，细嫩"),
        U("香葱 100g", "Spring onion 100g", 290, "把", "本地小香葱"),
        U("黄豆芽 300g", "Soybean sprouts 300g", 290, "袋", "当日发制"),
    ),
    "meat-poultry": (
        W("精品五花肉", "Pork belly", 2280, 250, "三层五花，适合红烧东坡肉"),
        W("猪前腿肉", "Pork shoulder", 1780, 250, "肥瘦相间，适合做馅"),
        W("猪后腿肉", "Pork leg", 1680, 250, "瘦肉多，适合炒肉丝"),
        W("猪肋排", "Pork spare ribs", 3280, 250, "精修肋排，可代剁"),
        W("猪里脊", "Pork tenderloin", 2180, 250, "细嫩里脊，糖醋首选"),
        W("猪筒骨", "Pork leg bone", 1280, 500, "煲汤用筒骨，可代砍"),
        W("猪蹄", "Pork trotter", 1980, 500, "前蹄，已燎毛"),
        W("梅花肉", "Pork collar", 2680, 250, "雪花纹理，煎烤皆宜"),
        W("牛腩", "Beef brisket", 4980, 250, "带筋牛腩，炖煮软烂"),
        W("牛腱子", "Beef shank", 5680, 250, "卤牛肉首选"),
        W("三黄鸡", "Three-yellow chicken", 1580, 500, "整只称重，已处理", 1000),
        W("鸡翅中", "Chicken mid-wings", 2980, 250, "冰鲜翅中，适合可乐鸡翅"),
        W("琵琶腿", "Chicken drumsticks", 1480, 250, "冰鲜鸡腿"),
        W("土老母鸡", "Free-range old hen", 2680, 500, "散养土鸡，整只称重，适合煲汤", 1500),
        W("麻鸭", "Shelduck", 1980, 500, "老鸭煲用鸭，整只称重", 1500),
        U("雪花肥牛卷 250g", "Marbled beef rolls 250g", 3980, "盒", "火锅涮肉"),
        U("羔羊肉卷 300g", "Lamb rolls 300g", 3990, "盒", "内蒙古羔羊，涮锅"),
        U("鸡胸肉 500g", "Chicken breast 500g", 1590, "盒", "低脂高蛋白"),
        U("猪肉末 300g", "Minced pork 300g", 1290, "盒", "三七肥瘦，包饺子"),
        U("金华火腿切片 150g", "Jinhua ham slices 150g", 2980, "盒", "金华特产，蒸煮提鲜"),
    ),
    "seafood": (
        W("鲜活基围虾", "Live greasyback shrimp", 4980, 250, "鲜活现捞，白灼最佳"),
        W("南美白虾", "Whiteleg shrimp", 3980, 250, "冰鲜大虾"),
        W("鲜活小龙虾", "Live crayfish", 2980, 500, "盱眙小龙虾，4-6钱"),
        W("舟山带鱼", "Zhoushan hairtail", 2980, 500, "东海带鱼，中段宽"),
        W("宁德大黄鱼", "Ningde large yellow croaker", 2980, 500, "冰鲜整条，清蒸红烧皆宜"),
        W("小黄鱼", "Small yellow croaker", 1980, 250, "东海小黄鱼，椒盐香煎"),
        W("鲜活鲈鱼", "Live sea bass", 2480, 500, "现杀现称，清蒸", 500),
        W("鲜活草鱼", "Live grass carp", 1280, 500, "西湖醋鱼用鱼，可代杀", 1000),
        W("鲜活鲫鱼", "Live crucian carp", 1480, 500, "炖汤奶白"),
        W("鲜活鳊鱼", "Live bream", 1580, 500, "千岛湖鳊鱼"),
        W("鲜活黑鱼", "Live snakehead", 2280, 500, "可代切片", 1000),
        W("花蛤", "Manila clam", 998, 500, "已吐沙，爆炒鲜甜"),
        W("蛏子", "Razor clam", 1980, 250, "鲜活蛏子"),
        W("鲜鱿鱼", "Fresh squid", 2580, 500, "冰鲜鱿鱼"),
        U("阳澄湖大闸蟹 公4两", "Yangcheng Lake hairy crab (male, 200g)", 6800, "只", "鲜活大闸蟹，膏满黄肥"),
        U("冻虾仁 250g", "Frozen peeled shrimp 250g", 3590, "盒", "去虾线，即解即烹"),
        U("三文鱼刺身 200g", "Salmon sashimi 200g", 6990, "盒", "挪威三文鱼，冷链到店"),
        U("鲜扇贝肉 250g", "Scallop meat 250g", 2990, "盒", "蒜蓉粉丝蒸"),
    ),
    "dairy-eggs": (
        U("光明优倍鲜牛奶 950ml", "Bright Dairy Youbei fresh milk 950ml", 1690, "瓶", "巴氏杀菌鲜奶，需冷藏"),
        U("光明鲜牛奶 950ml", "Bright Dairy fresh milk 950ml", 1390, "瓶", "冷藏鲜牛奶"),
        U("一鸣真鲜奶 900ml", "Yiming fresh milk 900ml", 1490, "瓶", "浙江本地鲜奶"),
        U("每日鲜语鲜牛奶 720ml", "Shiny Meadow fresh milk 720ml", 2190, "瓶", "高品质鲜牛奶"),
        U("特仑苏纯牛奶 250ml×12", "Telunsu whole milk 250ml x12", 6490, "箱", "常温纯牛奶"),
        U("伊利金典纯牛奶 250ml×12", "Yili Satine whole milk 250ml x12", 5990, "箱", "有机奶源"),
        U("安慕希原味酸奶 205g×10", "Ambrosial yogurt 205g x10", 5590, "箱", "希腊风味常温酸奶"),
        U("简爱原味裸酸奶 135g×6", "Simplelove plain yogurt 135g x6", 2490, "组", "只含生牛乳和菌种"),
        U("卡士鲜酪乳 100g×3", "CLASSY.KISS yogurt 100g x3", 1190, "组", "低温活菌酸奶"),
        U("光明莫斯利安 200g×12", "Bright Mosilian yogurt 200g x12", 5990, "箱", "常温酸牛奶"),
        U("鲜鸡蛋 30枚", "Fresh eggs 30 pcs", 2490, "盒", "当周产鲜蛋"),
        U("散养土鸡蛋 10枚", "Free-range eggs 10 pcs", 1590, "盒", "林下散养土鸡蛋"),
        U("黄天鹅可生食鸡蛋 10枚", "Huangtiane raw-edible eggs 10 pcs", 2990, "盒", "可生食标准鲜蛋"),
        U("高邮咸鸭蛋 6枚", "Gaoyou salted duck eggs 6 pcs", 1690, "盒", "红心流油"),
        U("鹌鹑蛋 20枚", "Quail eggs 20 pcs", 990, "盒", "鲜鹌鹑蛋"),
        U("安佳无盐黄油 227g", "Anchor unsalted butter 227g", 2990, "块", "新西兰进口"),
        U("妙可蓝多奶酪棒 10支", "Milkground cheese sticks x10", 3290, "袋", "儿童零食奶酪"),
        U("蒙牛纯甄酸奶 200g×10", "Mengniu JustYoghurt 200g x10", 4990, "箱", "常温风味酸奶"),
        U("维他奶原味豆奶 250ml×6", "Vitasoy soy milk 250ml x6", 1890, "组", "植物蛋白饮品"),
    ),
    "bakery": (
        U("原味厚切吐司 400g", "Thick-cut white toast 400g", 1290, "袋", "当日烘焙，松软拉丝"),
        U("全麦吐司 400g", "Whole-wheat toast 400g", 1490, "袋", "高纤全麦"),
        U("黄油牛角可颂 4个装", "Butter croissants 4-pack", 1690, "盒", "法式起酥"),
        U("肉松小贝 4个装", "Pork floss cakes 4-pack", 2290, "盒", "沙拉酱肉松夹心"),
        U("奶油泡芙 6个装", "Cream puffs 6-pack", 1590, "盒", "冷藏奶油泡芙"),
        U("法式长棍", "French baguette", 990, "根", "外脆内软"),
        U("葱油花卷 6个", "Scallion steamed rolls x6", 890, "袋", "速热即食"),
        U("蛋黄酥 6枚", "Egg-yolk pastry x6", 2990, "盒", "咸蛋黄莲蓉馅"),
        U("杭州定胜糕 6个", "Hangzhou Dingsheng cake x6", 1290, "盒", "杭州传统糕点，豆沙馅"),
        U("核桃桃酥 300g", "Walnut cookies 300g", 990, "袋", "酥松香脆"),
        U("提拉米苏 1块", "Tiramisu slice", 2690, "盒", "冷藏甜品"),
        U("芝士蛋糕 1块", "Cheesecake slice", 1890, "盒", "重芝士"),
        U("手撕面包 500g", "Hand-torn bread 500g", 1190, "袋", "早餐面包"),
        U("燕麦欧包", "Oat sourdough loaf", 1290, "个", "低糖欧包"),
        U("艾草豆沙青团 6个", "Mugwort bean-paste qingtuan x6", 1990, "盒", "清明时令江南点心"),
    ),
    "drinks": (
        U("农夫山泉饮用天然水 550ml", "Nongfu Spring water 550ml", 200, "瓶", "饮用天然水"),
        U("农夫山泉饮用天然水 4L", "Nongfu Spring water 4L", 990, "桶", "家庭装"),
        U("怡宝纯净水 555ml", "C'estbon purified water 555ml", 200, "瓶", "纯净水"),
        U("可口可乐 330ml×6", "Coca-Cola 330ml x6", 1490, "组", "罐装汽水"),
        U("可口可乐 2L", "Coca-Cola 2L", 750, "瓶", "大瓶装"),
        U("元气森林白桃气泡水 480ml", "Genki Forest white-peach sparkling water 480ml", 550, "瓶", "0糖0脂0卡"),
        U("东方树叶茉莉花茶 500ml", "Oriental Leaf jasmine tea 500ml", 600, "瓶", "无糖茶饮"),
        U("三得利乌龙茶 500ml", "Suntory oolong tea 500ml", 550, "瓶", "无糖乌龙"),
        U("统一冰红茶 500ml", "Uni-President iced black tea 500ml", 350, "瓶", "柠檬味红茶"),
        U("维他柠檬茶 250ml×6", "Vita lemon tea 250ml x6", 1490, "组", "港式柠檬茶"),
        U("味全每日C橙汁 900ml", "Weichuan Daily C orange juice 900ml", 1390, "瓶", "冷藏果汁"),
        U("农夫山泉NFC橙汁 300ml", "Nongfu NFC orange juice 300ml", 790, "瓶", "非浓缩还原"),
        U("红牛维生素功能饮料 250ml", "Red Bull 250ml", 650, "罐", "功能饮料"),
        U("椰树椰汁 1L", "Coconut Palm coconut milk 1L", 1090, "盒", "海南椰汁"),
        U("王老吉凉茶 310ml×6", "Wanglaoji herbal tea 310ml x6", 1990, "组", "怕上火喝王老吉"),
        U("外星人电解质水 500ml", "Alienergy electrolyte water 500ml", 600, "瓶", "运动补水"),
        U("青岛啤酒经典 500ml×12", "Tsingtao Classic beer 500ml x12", 6490, "箱", "听装啤酒"),
        U("雪花啤酒勇闯天涯 500ml×12", "Snow Brave the World beer 500ml x12", 5290, "箱", "听装啤酒"),
        U("古越龙山三年陈绍兴黄酒 500ml", "Guyuelongshan Shaoxing wine 3yr 500ml", 1890, "瓶", "绍兴花雕"),
        U("西湖龙井茶 明前 100g", "West Lake Longjing tea (pre-Qingming) 100g", 16800, "罐", "杭州西湖产区绿茶"),
        U("雀巢咖啡1+2原味 15条", "Nescafe 1+2 original x15", 2990, "盒", "速溶咖啡"),
        U("星巴克星选咖啡 270ml", "Starbucks Selection coffee 270ml", 1290, "瓶", "即饮咖啡"),
    ),
    "snacks": (
        U("乐事原味薯片 70g", "Lay's classic chips 70g", 690, "袋", "经典原味"),
        U("品客洋葱味薯片 110g", "Pringles sour cream & onion 110g", 1290, "罐", "罐装薯片"),
        U("奥利奥原味夹心饼干 97g", "Oreo original 97g", 590, "盒", "经典夹心饼干"),
        U("旺旺雪饼 84g", "Want Want rice crackers 84g", 690, "袋", "米果零食"),
        U("三只松鼠每日坚果 25g×7", "Three Squirrels daily nuts 25g x7", 3590, "盒", "混合坚果"),
        U("良品铺子猪肉脯 200g", "Bestore pork jerky 200g", 2990, "袋", "靖江风味"),
        U("卫龙大面筋 102g", "Weilong spicy gluten 102g", 450, "袋", "辣条"),
        U("德芙丝滑牛奶巧克力 80g", "Dove milk chocolate 80g", 1290, "块", "丝滑牛奶巧克力"),
        U("好丽友巧克力派 6枚", "Orion Choco Pie x6", 1190, "盒", "夹心蛋糕"),
        U("洽洽香瓜子 308g", "ChaCheer sunflower seeds 308g", 1290, "袋", "五香瓜子"),
        U("临安手剥山核桃 250g", "Lin'an hand-peeled hickory nuts 250g", 5980, "罐", "杭州临安特产，椒盐味"),
        U("大白兔奶糖 227g", "White Rabbit milk candy 227g", 1990, "袋", "经典奶糖"),
        U("益达木糖醇口香糖 40粒", "Extra xylitol gum 40 pcs", 1290, "瓶", "无糖口香糖"),
        U("波力海苔 4.5g×3", "Poli seaweed snack 4.5g x3", 990, "袋", "原味海苔"),
        U("上好佳鲜虾片 40g", "Oishi prawn crackers 40g", 450, "袋", "膨化零食"),
        U("溜溜梅 160g", "Liuliu plums 160g", 1290, "袋", "青梅蜜饯"),
        U("杭式话梅 150g", "Hangzhou-style dried plum 150g", 990, "袋", "杭州传统蜜饯"),
        U("知味观猫耳朵饼干 200g", "Zhiweiguan cat-ear biscuits 200g", 1590, "袋", "杭州老字号"),
        U("百草味夏威夷果 200g", "Be&Cheery macadamia 200g", 2990, "袋", "奶油味"),
        U("康师傅红烧牛肉面 5连包", "Master Kong braised beef noodles x5", 1290, "袋", "经典方便面"),
    ),
    "grain-oil": (
        U("五常稻花香大米 5kg", "Wuchang Daohuaxiang rice 5kg", 6990, "袋", "黑龙江五常原产"),
        U("东北珍珠米 5kg", "Northeast pearl rice 5kg", 3990, "袋", "软糯香甜"),
        U("泰国茉莉香米 5kg", "Thai jasmine rice 5kg", 5490, "袋", "原装进口"),
        U("金龙鱼1:1:1调和油 5L", "Arawana 1:1:1 blended oil 5L", 6990, "桶", "食用调和油"),
        U("鲁花5S压榨一级花生油 5L", "Luhua 5S peanut oil 5L", 13990, "桶", "物理压榨"),
        U("金龙鱼菜籽油 5L", "Arawana rapeseed oil 5L", 7590, "桶", "纯香菜籽油"),
        U("香雪高筋小麦粉 2.5kg", "Xiangxue bread flour 2.5kg", 1990, "袋", "面包饺子通用"),
        U("陈克明鸡蛋挂面 1kg", "Chenkeming egg noodles 1kg", 1190, "袋", "爽滑筋道"),
        U("海天金标生抽 1.28L", "Haday Gold Label light soy sauce 1.28L", 1690, "瓶", "酿造酱油"),
        U("海天上等蚝油 700g", "Haday oyster sauce 700g", 1290, "瓶", "鲜味蚝油"),
        U("恒顺镇江香醋 500ml", "Hengshun Zhenjiang vinegar 500ml", 890, "瓶", "糖醋排骨必备"),
        U("太太乐鸡精 200g", "Totole chicken bouillon 200g", 1190, "袋", "提鲜调味"),
        U("中盐加碘精制盐 400g", "China Salt iodized salt 400g", 250, "袋", "加碘食用盐"),
        U("老恒和料酒 500ml", "Laohenghe cooking wine 500ml", 990, "瓶", "湖州老字号，去腥提香"),
        U("桂格即食燕麦片 1kg", "Quaker instant oats 1kg", 2990, "袋", "早餐燕麦"),
        U("天目山笋干 250g", "Tianmu Mountain dried bamboo shoots 250g", 3990, "袋", "临安特产，笋干老鸭煲"),
    ),
    "household": (
        U("维达超韧抽纸 3层100抽×6包", "Vinda facial tissue 3-ply 100 x6", 1990, "提", "柔韧亲肤"),
        U("清风卷纸 4层 10卷", "Breeze toilet roll 4-ply x10", 2990, "提", "家庭装卷纸"),
        U("心相印湿巾 80抽", "Hearttex wet wipes 80 pcs", 990, "包", "温和无酒精"),
        U("蓝月亮深层洁净洗衣液 3kg", "Bluemoon laundry detergent 3kg", 5990, "瓶", "深层洁净"),
        U("立白洗洁精 1.5kg", "Liby dish soap 1.5kg", 1590, "瓶", "去油不伤手"),
        U("奥妙洗衣凝珠 30颗", "OMO laundry pods x30", 4990, "盒", "三合一凝珠"),
        U("妙洁保鲜袋 中号 100只", "Miaojie food bags medium x100", 1290, "盒", "食品级保鲜袋"),
        U("妙洁保鲜膜 30m", "Miaojie cling film 30m", 1490, "卷", "可微波"),
        U("加厚垃圾袋 45×50cm 100只", "Heavy-duty trash bags 45x50cm x100", 990, "卷", "点断式"),
        U("舒肤佳纯白香皂 3块", "Safeguard white soap x3", 1590, "组", "抑菌香皂"),
        U("高露洁全面防蛀牙膏 140g", "Colgate cavity protection toothpaste 140g", 1290, "支", "含氟牙膏"),
        U("威露士健康洗手液 525ml", "Walch hand wash 525ml", 2490, "瓶", "抑菌洗手液"),
        U("84消毒液 1.2kg", "84 disinfectant 1.2kg", 990, "瓶", "家居消毒"),
        U("南孚5号碱性电池 4粒", "Nanfu AA alkaline batteries x4", 1990, "卡", "聚能环"),
    ),
}


def ean13_check_digit(first12: str) -> str:
    """EAN-13 check digit for a 12-digit string."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError(first12)
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def is_valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == code[12]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "").replace("&", " and ")).strip("-")


_GS1_PREFIX = "6975432"  # fictional company prefix in GS1 China's 690-699 range


def _build() -> tuple[DemoProduct, ...]:
    out: list[DemoProduct] = []
    serial = 0
    for cat in CATEGORIES:
        for n, (sold_by, zh, en, price, unit_or_step, min_g, desc) in enumerate(_TABLE[cat.slug], start=1):
            serial += 1
            if sold_by == WEIGHT:
                first12 = f"21{serial:05d}00000"  # in-store variable-measure PLU
                unit_label, step_g = WEIGHT_UNIT_LABEL, unit_or_step
            else:
                first12 = f"{_GS1_PREFIX}{serial:05d}"
                unit_label, step_g = unit_or_step, None
            out.append(
                DemoProduct(
                    slug=slugify(en),
                    sku=f"SKU-{cat.sku_prefix}-{n:04d}",
                    barcode=first12 + ean13_check_digit(first12),
                    name=zh,
                    name_en=en,
                    category=cat.slug,
                    description=desc,
                    sold_by=sold_by,
                    price_fen=price,
                    unit_label=unit_label,
                    step_g=step_g,
                    min_g=min_g,
                )
            )
    return tuple(out)


PRODUCTS: tuple[DemoProduct, ...] = _build()
PRODUCT_BY_SKU: dict[str, DemoProduct] = {p.sku: p for p in PRODUCTS}
PRODUCT_BY_SLUG: dict[str, DemoProduct] = {p.slug: p for p in PRODUCTS}
