"""A made-up school collection for the demo and the benchmarks: pure Python, no Django.

Every title, name and summary is composed here from small word lists and templates, so the
demo carries no one else's catalogue data. The same count and seed always give the same
books, which lets the benchmarks rebuild a database and know what is in it.

generate_records() yields plain dicts with the fields of services.RecordData plus "copies";
plan_copies() says where each copy stands and how it came to the library, received_on()
when.
"""

from __future__ import annotations

import functools
import itertools
import random
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

# --------------------------------------------------------------------------- word lists


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_W: dict[str, tuple[str, ...]] = {
    "adj": _words(
        "会飞 勇敢 爱哭 淘气 孤单 神奇 快乐 迷路 看不见 会说话 胆小 骄傲 善良 糊涂 聪明 小小 "
        "蓝色 金色 彩色 透明 倔强 爱唱歌 不睡觉 最后 遥远 安静 古老 秘密 失踪 调皮 贪吃 粗心 "
        "害羞 爱笑 勤劳 了不起 奇怪 流浪 温暖 寂寞 绿色 雪白 慢吞吞 急性子 爱读书 会魔法 "
        "长翅膀 好奇 固执 热心 爱做梦 会跳舞 不怕冷 迷糊 机灵 沉默"
    ),
    "animal": _words(
        "小象 小猪 小兔 狐狸 刺猬 松鼠 小熊 企鹅 长颈鹿 蜗牛 萤火虫 小鸭 猫头鹰 鼹鼠 小老鼠 "
        "小狗 小猫 大灰狼 乌龟 青蛙 蚂蚁 蝴蝶 燕子 麻雀 小鹿 熊猫 袋鼠 河马 恐龙 海豚 小马 "
        "山羊 骆驼 蜜蜂 蜻蜓 小螃蟹 小海龟 喜鹊 稻草人 木偶 机器人 雪人 小精灵 小巫婆 巨人 "
        "小王子 小公主 小裁缝 老船长 小邮差 魔术师 守门人 灯塔看守人 小狮子 白鹭 大白鹅 百灵鸟"
    ),
    "thing": _words(
        "书包 雨伞 纸船 风筝 铅笔 钥匙 帽子 口袋 气球 小船 火车 来信 种子 星星 月亮 云朵 "
        "花园 城堡 小屋 大树 彩虹 座钟 镜子 灯笼 魔法书 水晶球 红舞鞋 玻璃瓶 旧皮箱 蒲公英 "
        "向日葵 小木屋 邮筒 秋千 竹蜻蜓 糖果屋 梦 地图 翅膀 围巾 口琴 小提琴 望远镜 手电筒 "
        "蜡笔 日记 纸飞机 萤火灯 石榴树 牵牛花 铃铛 雪花 棉花糖"
    ),
    "place": _words(
        "森林 草原 海边 山谷 小镇 村庄 小岛 月亮 星空 雪山 沙漠 湖边 果园 动物园 图书馆 "
        "学校 胡同 江南 北方 老街 河畔 云端 海底 天空 竹林 渡口 桃花源 运河 古城 高原"
    ),
    "name": _words(
        "豆豆 米米 丁丁 乐乐 淘淘 小雨 阳阳 果果 朵朵 皮皮 贝贝 毛毛 点点 妞妞 嘟嘟 小满 "
        "冬冬 宁宁 亮亮 明明 笑笑 壮壮 小布 阿呆 小树 安安 小禾 跳跳 糖糖 闹闹 多多 可可"
    ),
    "season": _words(
        "春天 夏天 秋天 冬天 夏夜 黄昏 清晨 午后 星期天 暑假 寒假 雨季 童年 那一年 六月 "
        "九月 开学第一天 毕业季 端午 中秋 除夕 元宵"
    ),
    "abstract": _words(
        "远方 岁月 时光 故乡 青春 光阴 心事 梦想 约定 秘密 旅程 归途 风景 回声 河流 灯火 "
        "少年 山河 天涯 星光 晨曦 麦田 月光 草木 乡愁 初心 春风 长路 微光 晴空"
    ),
    "verb": _words(
        "找妈妈 过生日 上学记 搬新家 去旅行 学游泳 种星星 开商店 交朋友 看大海 回家 不怕黑 "
        "想长大 当老师 学画画 去探险 造房子 数星星 寻宝记 去赶集 学本领 送信 开火车 捉迷藏"
    ),
    "dynasty": _words("先秦 秦朝 汉朝 三国 两晋 南北朝 隋朝 唐朝 宋朝 元朝 明朝 清朝"),
    "figure": _words(
        "孔子 孟子 屈原 司马迁 张衡 蔡伦 祖冲之 王羲之 李白 杜甫 白居易 苏轼 李清照 岳飞 "
        "沈括 郑和 李时珍 徐霞客 戚继光 林则徐 詹天佑 华罗庚 竺可桢 茅以升 钱学森 邓稼先 "
        "袁隆平 屠呦呦 居里夫人 爱迪生 牛顿 达尔文 法布尔 伽利略 诺贝尔"
    ),
    "region": _words(
        "北京 上海 天津 重庆 河北 山西 内蒙古 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 "
        "山东 河南 湖北 湖南 广东 广西 海南 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆"
    ),
    "sight": _words(
        "长城 故宫 黄河 长江 泰山 黄山 西湖 丝绸之路 大运河 敦煌 兵马俑 三峡 桂林山水 "
        "布达拉宫 喜马拉雅 青藏高原 珠江 黄土高原 秦岭 苏州园林"
    ),
    "culture": _words(
        "汉字 节日 成语 书法 京剧 瓷器 丝绸 茶 中医 建筑 服饰 美食 礼仪 民俗 神话 "
        "传统节日 二十四节气 四大发明 古代科技 年画 剪纸 皮影"
    ),
    "num": _words("三 五 七 十 十二 二十 三十 五十 一百 三百"),
    "grade_cn": _words("一 二 三 四 五 六"),
    "grade_m": _words("七 八 九"),
}

# Science topics, each with the class number a cataloguer would give a 科普读物 on it.
SCIENCE_TOPICS: tuple[tuple[str, str], ...] = (
    ("宇宙", "P1-49"),
    ("星空", "P1-49"),
    ("太阳系", "P18"),
    ("月球", "P18"),
    ("地球", "P183"),
    ("天气", "P4"),
    ("火山和地震", "P3"),
    ("岩石和矿物", "P5"),
    ("海洋", "P7"),
    ("生命", "Q-49"),
    ("细胞", "Q-49"),
    ("微生物", "Q93"),
    ("植物", "Q94"),
    ("动物", "Q95"),
    ("鸟类", "Q959.7"),
    ("昆虫", "Q96"),
    ("恐龙", "Q915"),
    ("人类的起源", "Q98"),
    ("人体", "R1"),
    ("健康", "R161"),
    ("数学", "O1"),
    ("数字", "O1"),
    ("力和运动", "O3"),
    ("光和声音", "O4"),
    ("电和磁", "O4"),
    ("化学", "O6"),
    ("元素", "O6"),
    ("电脑", "TP3"),
    ("编程", "TP311.1"),
    ("人工智能", "TP18"),
    ("机器人", "TP242"),
    ("汽车", "U46"),
    ("火车", "U2"),
    ("飞机", "V27"),
    ("航天", "V4"),
    ("环境保护", "X24"),
    ("垃圾分类", "X7"),
    ("花卉", "S68"),
    ("科学", "N49"),
    ("发明", "N49"),
)
SCIENCE_FORMS = _words("百科 大揭秘 的秘密 小百科 知识 探索 图鉴 漫游记 十万个为什么 趣谈")

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤"
) + ("欧阳", "司马", "上官", "诸葛")
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力斌宇浩凯晨晓雪梅琳"
    "鹏飞云海波峰岚颖欣怡然子涵轩睿博思远嘉宁心雨诗瑶书晴晗子墨一鸣秋实春生立新国庆卫东"
)
FOREIGN: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    # nationality → (class number of that country's children's literature, given, family)
    "英": (
        "I561.88",
        _words("约翰 玛丽 汤姆 艾米丽 彼得 安娜 路易斯 夏洛特 乔治 爱丽丝 亨利 露西"),
        _words("史密斯 布朗 怀特 格林 泰勒 米勒 卡特 伍德 霍尔 库克 贝克 沃森"),
    ),
    "美": (
        "I712.88",
        _words("杰克 艾玛 迈克尔 莎拉 丹尼尔 凯特 本 朱莉 山姆 莉莉 马克 简"),
        _words("约翰逊 戴维斯 威尔逊 安德森 托马斯 摩尔 杰克逊 马丁 李 哈里斯 克拉克 刘易斯"),
    ),
    "法": (
        "I565.88",
        _words("皮埃尔 苏菲 让 玛丽安 路易 克莱尔 米歇尔 伊莎贝尔"),
        _words("杜邦 马丁 贝尔纳 勒布朗 莫罗 罗兰 福尼耶 杜朗"),
    ),
    "德": (
        "I516.88",
        _words("汉斯 安娜 克劳斯 莉娜 弗里茨 汉娜 米夏埃尔 莉泽"),
        _words("施密特 米勒 施耐德 菲舍尔 韦伯 迈尔 瓦格纳 贝克尔"),
    ),
    "日": (
        "I313.88",
        _words("健太 美纪 由美 翔太 明日香 大辅 惠子 拓也 千寻 阳菜"),
        _words("佐藤 铃木 高桥 田中 渡边 山本 中村 小林 加藤 吉田"),
    ),
}

# name, place, ISBN publisher prefix (after 978-7-). The prefixes are prefix-free, so a
# publisher prefix plus a title number never repeats another publisher's ISBN.
PUBLISHERS: dict[str, tuple[str, str]] = {
    "人民文学出版社": ("北京", "02"),
    "科学出版社": ("北京", "03"),
    "商务印书馆": ("北京", "100"),
    "中华书局": ("北京", "101"),
    "人民美术出版社": ("北京", "102"),
    "人民音乐出版社": ("北京", "103"),
    "人民教育出版社": ("北京", "107"),
    "科学普及出版社": ("北京", "110"),
    "电子工业出版社": ("北京", "121"),
    "清华大学出版社": ("北京", "302"),
    "北京师范大学出版社": ("北京", "303"),
    "中国大百科全书出版社": ("北京", "5000"),
    "天天出版社": ("北京", "5016"),
    "中国地图出版社": ("北京", "5031"),
    "中国少年儿童出版社": ("北京", "5148"),
    "北京少年儿童出版社": ("北京", "5301"),
    "新蕾出版社": ("天津", "5307"),
    "少年儿童出版社": ("上海", "5324"),
    "上海辞书出版社": ("上海", "5326"),
    "明天出版社": ("济南", "5332"),
    "浙江少年儿童出版社": ("杭州", "5342"),
    "江苏凤凰少年儿童出版社": ("南京", "5346"),
    "长江少年儿童出版社": ("武汉", "5353"),
    "湖南少年儿童出版社": ("长沙", "5358"),
    "四川少年儿童出版社": ("成都", "5365"),
    "希望出版社": ("太原", "5379"),
    "二十一世纪出版社": ("南昌", "5391"),
    "安徽少年儿童出版社": ("合肥", "5397"),
    "译林出版社": ("南京", "5447"),
    "接力出版社": ("南宁", "5448"),
    "外语教学与研究出版社": ("北京", "5600"),
    "华东师范大学出版社": ("上海", "5617"),
}
CHILDREN = (
    "少年儿童出版社",
    "二十一世纪出版社",
    "接力出版社",
    "中国少年儿童出版社",
    "浙江少年儿童出版社",
    "长江少年儿童出版社",
    "明天出版社",
    "新蕾出版社",
    "天天出版社",
    "湖南少年儿童出版社",
    "希望出版社",
    "江苏凤凰少年儿童出版社",
    "四川少年儿童出版社",
    "安徽少年儿童出版社",
    "北京少年儿童出版社",
)
LITERATURE = ("人民文学出版社", "译林出版社", "天天出版社", "长江少年儿童出版社", "接力出版社")
SCIENCE = ("科学普及出版社", "科学出版社", "中国少年儿童出版社", "电子工业出版社", "接力出版社")
EDUCATION = ("人民教育出版社", "北京师范大学出版社", "华东师范大学出版社", "清华大学出版社")
HISTORY = ("中华书局", "中国少年儿童出版社", "人民文学出版社", "中国地图出版社", "希望出版社")
REFERENCE = (
    "商务印书馆",
    "上海辞书出版社",
    "中华书局",
    "外语教学与研究出版社",
    "中国大百科全书出版社",
)
ARTS = ("人民美术出版社", "人民音乐出版社", "浙江少年儿童出版社", "明天出版社")

_SCIENCE_SERIES = _words("科学探索者文库 我的第一套百科 萤火虫自然笔记 趣味科学馆")
SERIES: dict[str, tuple[str, ...]] = {
    # by main class: a series of picture books never holds a history of the Tang
    "I": _words(
        "小橘灯丛书 彩虹桥童书馆 少年读经典 名家名作少年版 成长的故事 青草地儿童文学 "
        "星星河桥梁书 大阅读书系 快乐读书吧 新课标必读 小书虫阅读 百年童话精选 "
        "世界儿童文学名著 绘本森林"
    ),
    "K": _words("少年中国史 中华传统文化启蒙 国学小书院 大阅读书系"),
    **dict.fromkeys("NOPQRSTUVX", _SCIENCE_SERIES),
}

# --------------------------------------------------------------------------- genres


@dataclass(frozen=True)
class Genre:
    """A kind of book: how its titles and summaries are made and how it is catalogued.

    A title template may end in "@CLASS" to fix its class number; otherwise a slot named in
    class_by decides it (its value's class, or the "*" entry), else one of classes.
    """

    name: str
    weight: int
    classes: tuple[str, ...]
    titles: tuple[str, ...]
    summaries: tuple[str, ...]
    subjects: tuple[str, ...]
    publishers: tuple[str, ...]
    grades: tuple[tuple[int, int], ...]
    price: tuple[int, int]
    pages: tuple[int, int]
    copies: tuple[int, ...]
    class_by: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    translated: bool = False
    editor: bool = False


# A summary may name only those of these slots that its title names, so that the summary
# of 「蔡伦传」 talks about 蔡伦 and not about someone else.
ANCHORS = frozenset(
    _words(
        "animal thing name name_f region sight dynasty culture figure subject subject_m art sport "
        "dict topic poet poetry aid_en safety"
    )
)

STORY_SUMMARIES = (
    "{animal}一直想{verb}，可是总有意想不到的事情发生。这是一个关于勇气和友谊的温暖故事。",
    "在{place}里，{adj}的{animal}遇见了{name}，从此开始了一段奇妙的旅程。",
    "{name}发现了一个{adj}的{thing}，身边的一切都变得不一样了。",
    "本书收录{num}个短小有趣的故事，语言浅显，适合小学生自主阅读。",
    "{animal}和朋友们在{season}里一起经历了许多事，学会了分享与互相帮助。",
    "一个关于{abstract}的故事：在{place}，孩子们学会了理解和勇敢。",
)
NOVEL_SUMMARIES = (
    "小说讲述了少年在{place}度过的{season}，写出了成长中的迷茫与坚持。",
    "一部关于{abstract}的小说：两代人的故事在{place}交织，平实而动人。",
    "作者以细腻的笔触描写了{place}人家的日常生活和一个少年的心事。",
    "{name}离开{place}去远方求学，在{abstract}与现实之间找到了自己的路。",
)

DYNASTY_CLASSES = {
    "先秦": "K22",
    "秦朝": "K233",
    "汉朝": "K234",
    "三国": "K236",
    "两晋": "K237",
    "南北朝": "K239",
    "隋朝": "K241",
    "唐朝": "K242",
    "宋朝": "K244",
    "元朝": "K247",
    "明朝": "K248",
    "清朝": "K249",
}
CULTURE_CLASSES = {
    "汉字": "H12",
    "节日": "K892.1",
    "传统节日": "K892.1",
    "二十四节气": "K892.18",
    "民俗": "K892",
    "礼仪": "K892",
    "*": "K203",
}
FIGURE_CLASSES = {
    **dict.fromkeys(("孔子", "孟子"), "K825.1"),
    **dict.fromkeys(("屈原", "李白", "杜甫", "白居易", "苏轼", "李清照"), "K825.6"),
    **dict.fromkeys(("司马迁",), "K825.81"),
    **dict.fromkeys(("王羲之",), "K825.72"),
    **dict.fromkeys(("岳飞", "戚继光"), "K825.2"),
    **dict.fromkeys(("徐霞客",), "K825.89"),
    **dict.fromkeys(("郑和", "林则徐"), "K827"),
    **dict.fromkeys(("詹天佑", "茅以升"), "K826.16"),
    **dict.fromkeys(
        ("张衡", "蔡伦", "祖冲之", "沈括", "李时珍", "华罗庚", "竺可桢", "钱学森", "邓稼先")
        + ("袁隆平", "屠呦呦"),
        "K826.1",
    ),
    "*": "K81",  # the foreign scientists
}
PRIMARY_SUBJECT_CLASSES = {
    "语文": "G624",
    "数学": "G623.5",
    "英语": "G623.31",
    "科学": "G623.6",
    "道德与法治": "G623.15",
    "阅读": "G623.23",
    "作文": "G623.24",
}
MIDDLE_SUBJECT_CLASSES = {
    "语文": "G634",
    "数学": "G633.6",
    "英语": "G633.41",
    "道德与法治": "G633.2",
    "历史": "G633.51",
    "地理": "G633.55",
    "物理": "G633.7",
    "化学": "G633.8",
    "生物": "G633.91",
    "阅读": "G633.33",
    "作文": "G633.34",
}
ART_CLASSES = {
    "书法": "J292.1",
    "国画": "J212",
    "素描": "J214",
    "漫画": "J218.2",
    "剪纸": "J528.1",
    "折纸": "J528",
    "手工": "J528",
    "合唱": "J616.2",
    "竹笛": "J632.11",
    "烹饪": "TS972.1",
}
SPORT_CLASSES = {
    "围棋": "G891.3",
    "象棋": "G891.2",
    "国际象棋": "G891.1",
    "足球": "G843",
    "篮球": "G841",
    "跳绳": "G806",
    "游戏": "G898",
}
DICT_CLASSES = {
    **dict.fromkeys(
        ("新华字典", "多功能字典", "古汉语常用字字典", "笔顺规范字典", "汉语大字典"), "H163"
    ),
    **dict.fromkeys(("组词造句词典", "近义词反义词词典"), "H164"),
    **dict.fromkeys(("成语词典", "歇后语词典", "谚语词典"), "H136.3"),
    "英汉词典": "H316",
    "百科全书": "Z227",
}
# Copies of these classes are read in the room only (工具书) or shelved for the teachers.
REFERENCE_CLASSES = frozenset(DICT_CLASSES.values()) | {"K99", "Z32"}
TEACHER_CLASSES = frozenset(("G622", "G632", "G44", "G78", "G252.17", "G635.1", "G451.6"))

GENRES: tuple[Genre, ...] = (
    Genre(
        "童话",
        16,
        ("I287.7",) * 3 + ("I287.5", "I287.45"),
        (
            "{adj}的{animal}",
            "{animal}的{thing}",
            "{name}的{thing}",
            "{animal}和{animal2}",
            "{place}的{animal}",
            "{adj}的{thing}",
            "{animal}{verb}",
            "一只{adj}的{animal}",
            "{adj}的{animal}历险记",
            "{animal}王国",
            "{name}和{adj}的{animal}",
        ),
        STORY_SUMMARIES,
        ("童话－中国－当代", "儿童故事－中国－当代", "寓言－中国－当代"),
        CHILDREN,
        ((1, 3), (1, 4), (2, 4), (3, 6)),
        (15, 35),
        (48, 200),
        (2, 3, 3, 4, 4, 5, 6),
    ),
    Genre(
        "图画书",
        7,
        ("I287.8",),
        (
            "{animal}{verb}",
            "我的{thing}",
            "{adj}的{thing}",
            "晚安，{animal}",
            "{animal}，你好",
            "{name}{verb}",
            "{season}的{thing}",
        ),
        (
            "一本温暖的图画书：{animal}{verb}，小读者跟着它认识了{season}。",
            "图文并茂地讲述{name}和{thing}的故事，适合亲子共读。",
            "画面明快，文字简短，讲的是孩子们熟悉的日常小事，适合亲子共读。",
        ),
        ("图画故事－中国－当代", "儿童故事－图画故事－中国－当代"),
        CHILDREN,
        ((1, 2), (1, 3)),
        (25, 49),
        (32, 48),
        (1, 2, 3, 3),
    ),
    Genre(
        "儿童小说",
        12,
        ("I287.45",) * 3 + ("I287.4", "I287.5"),
        (
            "{name}的{season}",
            "{place}的少年",
            "{adj}的{abstract}",
            "{season}{abstract}",
            "{place}{abstract}",
            "我和{name}的{season}",
            "{name}在{place}",
            "{abstract}的孩子",
        ),
        NOVEL_SUMMARIES + STORY_SUMMARIES[-1:],
        ("儿童小说－长篇小说－中国－当代", "儿童小说－中篇小说－中国－当代"),
        CHILDREN + LITERATURE,
        ((3, 6), (4, 6), (4, 9), (5, 9)),
        (20, 42),
        (120, 320),
        (2, 3, 3, 4, 4, 5),
    ),
    Genre(
        "儿童诗歌",
        3,
        ("I287.2",),
        ("{season}的童谣", "{thing}的诗", "{place}童谣", "给{name}的诗", "{abstract}：童诗选"),
        (
            "收录诗人为孩子写的{num}首短诗，写{season}，写{place}，也写童年的心事。",
            "节奏明快的童谣和儿童诗，适合低年级学生朗读和背诵。",
        ),
        ("儿童诗歌－诗集－中国－当代",),
        CHILDREN,
        ((1, 3), (2, 6)),
        (16, 32),
        (80, 160),
        (1, 2, 2, 3),
    ),
    Genre(
        "儿童散文",
        3,
        ("I287.6",),
        ("{season}散记", "{thing}与{thing2}", "走过{place}", "{place}的{season}", "{abstract}笔记"),
        (
            "一组清新的散文，记下了{place}的{season}和身边的小小美好。",
            "作家写给孩子的散文选，文字优美，可作为写作的范文。",
        ),
        ("儿童文学－散文集－中国－当代",),
        CHILDREN,
        ((3, 6), (4, 9)),
        (16, 32),
        (96, 200),
        (1, 2, 2, 3),
    ),
    Genre(
        "外国儿童文学",
        9,
        (),  # from the author's nationality
        (
            "{adj}的{animal}",
            "{name_f}和{thing}",
            "{place}的{thing}",
            "{animal}的{season}",
            "{adj}的{abstract}",
            "{thing}里的秘密",
        ),
        (
            "一部广受欢迎的外国儿童文学作品，讲述{name_f}在{place}的奇遇。",
            "译文流畅，保留了原作的幽默与温情：{adj}的{animal}最终找到了回家的路。",
            "一部屡获好评的外国儿童文学作品，写出了孩子眼中的{abstract}。",
        ),
        ("儿童小说－长篇小说－外国－现代", "童话－外国－现代"),
        CHILDREN + LITERATURE,
        ((2, 4), (3, 6), (4, 9)),
        (18, 45),
        (96, 300),
        (2, 3, 3, 4, 5),
        translated=True,
    ),
    Genre(
        "当代小说",
        6,
        ("I247.5",) * 4 + ("I247.7",),
        (
            "{place}{abstract}",
            "{abstract}",
            "{season}的{place}",
            "{abstract}与{abstract2}",
            "{place}往事",
            "回到{place}",
        ),
        NOVEL_SUMMARIES,
        ("长篇小说－中国－当代", "短篇小说－小说集－中国－当代"),
        LITERATURE,
        ((7, 9), (7, 12), (8, 12)),
        (28, 59),
        (180, 480),
        (1, 2, 2, 3),
    ),
    Genre(
        "散文诗歌",
        4,
        (),
        (
            "{place}散记@I267",
            "{season}札记@I267",
            "{abstract}集@I267",
            "走过{place}@I266",
            "{thing}与{abstract}@I267",
            "{abstract}：诗选@I227",
            "{season}的诗@I227",
        ),
        (
            "作家的散文选集，写{place}的风物与{abstract}，文字干净，适合初中生品读。",
            "收录诗文{num}篇，分为“{season}”“{abstract}”等几辑。",
        ),
        ("散文集－中国－当代", "诗集－中国－当代"),
        LITERATURE,
        ((6, 9), (7, 12)),
        (22, 48),
        (150, 320),
        (1, 1, 2, 2),
    ),
    Genre(
        "古诗文",
        4,
        (),
        (
            "小学生必背古诗{num}首@I222.7",
            "{poetry}选读@I222",
            "给孩子的{poetry}@I222",
            "{poet}诗文选@I222.7",
            "跟着{poet}去旅行@I207.22",
            "古诗词里的{season}@I207.22",
            "给孩子的古文{num}篇@H194.1",
        ),
        (
            "精选{poetry}名篇，配注释、译文和赏析，帮助学生读懂古诗文。",
            "{poet}的诗文精选，附创作背景和白话译文。",
            "按主题编排古诗文，每篇附注释和朗读提示，适合晨读和背诵。",
        ),
        ("古典诗歌－诗集－中国", "文言文－中小学－课外读物"),
        ("人民文学出版社", "中华书局", "人民教育出版社", "少年儿童出版社"),
        ((1, 6), (3, 6), (7, 9)),
        (18, 45),
        (120, 300),
        (2, 3, 4),
        editor=True,
    ),
    Genre(
        "历史",
        8,
        ("K209",),
        (
            "{dynasty}的故事",
            "写给孩子的{dynasty}史",
            "话说{dynasty}",
            "{dynasty}人的一天",
            "画说{dynasty}",
            "中国{culture}的故事",
            "少年读{culture}",
            "{culture}里的中国",
            "中国历史{num}讲",
        ),
        (
            "用孩子听得懂的语言讲述{dynasty}的历史人物和重大事件，配有地图和年表。",
            "从{culture}说起，带领少年读者走进中华文明的漫长历程。",
            "从远古传说到近代风云，一部写给孩子的中国历史，配有地图和年表。",
        ),
        ("中国历史－少儿读物", "中华文化－少儿读物"),
        HISTORY,
        ((3, 6), (4, 9), (5, 9), (7, 12)),
        (20, 58),
        (120, 360),
        (2, 3, 3, 4, 5),
        class_by={"dynasty": DYNASTY_CLASSES, "culture": CULTURE_CLASSES},
    ),
    Genre(
        "传记",
        4,
        ("K81",),
        ("{figure}传", "{figure}的故事", "少年{figure}", "走近{figure}", "{figure}的一生"),
        (
            "讲述{figure}的生平与成就，展现其少年时代的志向和一生的坚持。",
            "通过一个个小故事，让孩子认识{figure}，学习他们的品格与精神。",
        ),
        ("名人－传记－少儿读物",),
        HISTORY + CHILDREN[:3],
        ((3, 6), (4, 9), (7, 12)),
        (18, 42),
        (100, 260),
        (1, 2, 3),
        class_by={"figure": FIGURE_CLASSES},
    ),
    Genre(
        "地理",
        4,
        ("K92",),
        (
            "{region}地理",
            "中国的{sight}@K928.7",
            "{sight}的故事@K928.7",
            "跟着课本游{region}@K928.9",
            "{region}之旅@K928.9",
        ),
        (
            "介绍{region}的山川、物产和风土人情，图文结合，适合地理课外阅读。",
            "从{sight}出发，讲述它的形成、历史和今天的样子。",
            "图文并茂的地理读物，带孩子认识祖国的大好河山。",
        ),
        ("地理－中国－少儿读物", "名胜古迹－介绍－中国"),
        HISTORY + ("中国地图出版社",),
        ((3, 6), (5, 9), (7, 9)),
        (22, 60),
        (96, 240),
        (1, 2, 3),
    ),
    Genre(
        "科普",
        13,
        (),  # from the topic
        (
            "{topic}{form}",
            "神奇的{topic}",
            "{topic}的秘密",
            "给孩子的{topic}课",
            "我的第一本{topic}书",
            "{topic}原来这么有趣",
            "{num}个{topic}小问题",
            "写给孩子的{topic}简史",
        ),
        (
            "用生动的图画和浅显的语言回答孩子们关于{topic}的各种问题。",
            "从身边的现象说起，带领小读者认识{topic}，动手做一做书中的小实验。",
            "一本关于{topic}的知识读物，配有大量彩图，激发孩子的好奇心。",
        ),
        ("科学知识－少儿读物", "自然科学－普及读物"),
        SCIENCE + CHILDREN[:4],
        ((1, 3), (2, 6), (3, 6), (5, 9), (7, 9)),
        (22, 68),
        (48, 240),
        (2, 3, 3, 4, 5),
    ),
    Genre(
        "小学教辅",
        5,
        ("G624",),
        (
            "{grade_cn}年级{subject}{aid}",
            "小学{subject}{aid}",
            "{subject}{aid}（{grade_cn}年级上册）",
            "{subject}{aid}（{grade_cn}年级下册）",
        ),
        (
            "紧扣课标，按单元编排{subject}练习，附答案与解析。",
            "帮助学生梳理{subject}知识点，适合课后巩固和假期复习。",
        ),
        ("课程－小学－教学参考资料",),
        EDUCATION,
        ((1, 6),),
        (12, 36),
        (64, 200),
        (3, 4, 5, 6),
        class_by={"subject": PRIMARY_SUBJECT_CLASSES},
        editor=True,
    ),
    Genre(
        "初中教辅",
        3,
        ("G634",),
        (
            "{grade_m}年级{subject_m}{aid}",
            "初中{subject_m}{aid}",
            "{subject_m}{aid}（{grade_m}年级上册）",
            "{subject_m}{aid}（{grade_m}年级下册）",
        ),
        (
            "紧扣课标，按单元编排{subject_m}练习，附答案与解析。",
            "帮助学生梳理初中{subject_m}知识点，适合课后巩固和中考复习。",
        ),
        ("课程－初中－教学参考资料",),
        EDUCATION,
        ((7, 9),),
        (15, 42),
        (96, 240),
        (3, 4, 5, 6),
        class_by={"subject_m": MIDDLE_SUBJECT_CLASSES},
        editor=True,
    ),
    Genre(
        "教师用书",
        4,
        tuple(sorted(TEACHER_CLASSES)),
        (
            "{subject}教学{aid_t}",
            "班主任{aid_t}@G635.1",
            "{subject}课堂{aid_t}",
            "给教师的{num}条建议@G451.6",
            "整本书阅读{aid_t}@G252.17",
            "家校共育{aid_t}@G78",
        ),
        (
            "面向中小学教师，结合课例介绍教学的思路与方法。",
            "一线教师的经验总结，收录{num}个真实案例，可供教研活动参考。",
        ),
        ("教学研究－中小学", "班主任工作－中小学"),
        EDUCATION,
        ((1, 9),),
        (28, 68),
        (180, 360),
        (1, 1, 2),
    ),
    Genre(
        "工具书",
        4,
        ("H163",),
        (
            "小学生{dict}",
            "中学生{dict}",
            "新编{dict}",
            "学生实用{dict}",
            "{dict}（双色本）",
            "{region}地图册@K99",
        ),
        (
            "这部{dict}收词丰富，释义准确，例句贴近课本，是中小学生常备的工具书。",
            "{dict}，按音序编排，附部首检字表，查找方便。",
            "{region}分县地图，配有地形、交通和名胜介绍，是学习地理的好帮手。",
        ),
        ("汉语－词典", "工具书－中小学"),
        REFERENCE,
        ((1, 6), (1, 9), (7, 12)),
        (25, 98),
        (400, 1400),
        (1, 2, 2, 3),
        class_by={"dict": DICT_CLASSES},
        editor=True,
    ),
    Genre(
        "外语",
        3,
        ("H319.4", "H319.4", "H319.6", "H313", "H311"),
        (
            "英语{aid_en}",
            "{grade_cn}年级英语{aid_en}",
            "轻松学英语：{thing}@H319.4",
            "英语分级读物：{animal}@H319.4",
        ),
        (
            "围绕日常话题编写的英语{aid_en}，配音频和词汇表，适合课外拓展。",
            "分级英语读物，配音频和词汇表，帮助学生循序渐进地阅读英文。",
        ),
        ("英语－课外读物",),
        ("外语教学与研究出版社", "译林出版社", "清华大学出版社"),
        ((3, 6), (5, 9), (7, 9)),
        (15, 45),
        (48, 160),
        (2, 3, 4),
    ),
    Genre(
        "艺术",
        3,
        ("J2",),
        ("少儿{art}入门", "跟我学{art}", "{art}{num}课", "趣味{art}", "{art}真好玩"),
        (
            "从基本功讲起，一步一步教孩子学{art}，附大量示范图。",
            "适合兴趣小组和课外活动使用的入门读物，图解清楚，一学就会。",
        ),
        ("艺术－少儿读物",),
        ARTS,
        ((1, 6), (3, 9)),
        (20, 48),
        (64, 160),
        (1, 2, 2),
        class_by={"art": ART_CLASSES},
    ),
    Genre(
        "体育",
        2,
        ("G8",),
        ("少儿{sport}入门", "跟我学{sport}", "{sport}{num}课", "一起来玩{sport}", "{sport}真好玩"),
        (
            "从基本动作讲起，图解{sport}的规则和练习方法。",
            "适合体育课和课外活动使用的入门读物，安全要点一目了然。",
        ),
        ("体育运动－少儿读物",),
        ARTS + ("人民教育出版社",),
        ((1, 6), (3, 9)),
        (18, 42),
        (64, 160),
        (1, 2, 2),
        class_by={"sport": SPORT_CLASSES},
    ),
    Genre(
        "综合读物",
        3,
        ("Z228.1",),
        (
            "少年{abstract}@Z228.2",
            "{num}个成长故事@B848.4",
            "做{adj}的自己@B848.4",
            "写给{grade_cn}年级的信@G621",
            "{safety}@G479",
            "小学生{safety}@G479",
            "我的第一本{thing}书",
        ),
        (
            "写给少年的成长读本：关于{abstract}、友谊和学习的方法。",
            "这本{safety}用一个个小故事讲述生活中的安全与健康常识。",
        ),
        ("成长－青少年读物", "知识读物－少儿读物"),
        CHILDREN + EDUCATION,
        ((1, 6), (4, 9), (7, 12)),
        (16, 38),
        (96, 220),
        (1, 2, 3),
    ),
)

_EXTRA: dict[str, tuple[str, ...]] = {
    "subject": tuple(PRIMARY_SUBJECT_CLASSES),
    "subject_m": tuple(MIDDLE_SUBJECT_CLASSES),
    "aid": _words("同步练习 知识清单 课时练 单元测试卷 课堂笔记 基础知识手册 复习指导 练习册"),
    "aid_t": _words("设计与案例 艺术 手记 指导 实践 漫谈 三十讲 评价"),
    "aid_en": _words("同步阅读 分级读物 听力训练 阅读理解 单词速记 语法精练 写作入门 口语练习"),
    "dict": tuple(DICT_CLASSES),
    "art": tuple(ART_CLASSES),
    "sport": tuple(SPORT_CLASSES),
    "poet": _words("李白 杜甫 白居易 苏轼 李清照 王维 陶渊明 辛弃疾 陆游 王安石 孟浩然 杜牧"),
    "poetry": _words("唐诗 宋词 元曲 汉乐府 诗经 楚辞 唐诗三百首"),
    "safety": _words("安全知识读本 安全教育手册 自我保护手册 健康成长手册 交通安全读本"),
}

CLASSICS: tuple[tuple[str, str, str], ...] = (
    ("西游记", "吴承恩", "I242.4"),
    ("水浒传", "施耐庵", "I242.4"),
    ("三国演义", "罗贯中", "I242.4"),
    ("红楼梦", "曹雪芹", "I242.4"),
    ("儒林外史", "吴敬梓", "I242.4"),
    ("聊斋志异", "蒲松龄", "I242.1"),
    ("朝花夕拾", "鲁迅", "I210.4"),
    ("呐喊", "鲁迅", "I210.6"),
    ("故事新编", "鲁迅", "I210.6"),
)
CLASSIC_EDITIONS = ("青少年版", "注音版", "彩图版", "无障碍阅读", "原著", "插图本", "名家导读")

HISTORY_DAYS = 12 * 365  # the demo library has been buying books for twelve years
_DONOR_KINDS = ("家长", "校友", "教师", "家长委员会", "社区图书室", "爱心企业")


# --------------------------------------------------------------------------- generators


class _Slots(dict[str, str]):
    """Template slots filled on first use; name2 draws from name's list but separately."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        words = _W.get(key.rstrip("2")) or _EXTRA[key.rstrip("2")]
        value = self.rng.choice(words)
        if key.endswith("2") and value == self.get(key[:-1]):
            value = self.rng.choice(words)
        self[key] = value
        return value


def person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
    return rng.choice(SURNAMES) + given


def isbn13(body: str) -> str:
    """978 + the 9-digit body + the check digit."""
    digits = "978" + body
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


class _IsbnAllocator:
    """Distinct title numbers per publisher prefix, spread over the range so they look real.

    i ↦ (start + i·stride) mod 10^k visits every number once when stride is coprime to 10.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: dict[str, int] = {}
        self.walk: dict[str, tuple[int, int]] = {}

    def capacity(self, prefix: str) -> int:
        return int(10 ** (8 - len(prefix)))

    def has_room(self, prefix: str) -> bool:
        return self.used.get(prefix, 0) < self.capacity(prefix)

    def next(self, prefix: str) -> str:
        cap = self.capacity(prefix)
        if prefix not in self.walk:
            stride = self.rng.randrange(cap // 3, cap) | 1
            while stride % 5 == 0:
                stride += 2
            self.walk[prefix] = (self.rng.randrange(cap), stride)
        start, stride = self.walk[prefix]
        i = self.used.get(prefix, 0)
        self.used[prefix] = i + 1
        number = (start + i * stride) % cap
        return isbn13("7" + prefix + str(number).zfill(8 - len(prefix)))


def _price(rng: random.Random, low: int, high: int, age: int) -> Decimal:
    # Books got dearer: a book from 30 years ago cost about half of what it costs now.
    yuan = rng.randint(low, high) * (1 - age / 60)
    cents = rng.choice(("00", "00", "00", "80", "50", "90", "60"))
    return Decimal(f"{max(int(yuan), 5)}.{cents}")


def _age(rng: random.Random) -> int:
    # A school collection leans recent: most books are from the last dozen years.
    return min(int(rng.expovariate(1 / 7)), 30)


_CUM_WEIGHTS = list(itertools.accumulate(g.weight for g in GENRES))


def _pick_genre(rng: random.Random) -> Genre:
    return rng.choices(GENRES, cum_weights=_CUM_WEIGHTS)[0]


def _publisher(rng: random.Random, choices: tuple[str, ...], isbns: _IsbnAllocator) -> str:
    name = rng.choice(choices)
    if isbns.has_room(PUBLISHERS[name][1]):
        return name
    # Past a few hundred thousand titles the small prefixes fill up: move to a roomy one.
    return next(n for n, (_, prefix) in PUBLISHERS.items() if isbns.has_room(prefix))


@functools.cache
def _slots_of(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _summary_for(genre: Genre, title_slots: frozenset[str], rng: random.Random) -> str:
    # Prefer a summary about what the title names; fall back to one that names nothing.
    anchored = [s for s in genre.summaries if _slots_of(s) & ANCHORS <= title_slots]
    specific = [s for s in anchored if _slots_of(s) & ANCHORS]
    return rng.choice(specific or anchored or list(genre.summaries))


def _class_for(genre: Genre, template: str, slots: dict[str, str], rng: random.Random) -> str:
    if "@" in template:
        return template.rpartition("@")[2]
    for slot, classes in genre.class_by.items():
        if slot in slots:
            return classes.get(slots[slot]) or classes["*"]
    return rng.choice(genre.classes)


def _grades(genre: Genre, slots: dict[str, str], rng: random.Random) -> tuple[int, int]:
    # A book for 三年级 is for grade 3, whatever the genre usually spans.
    if "grade_cn" in slots:
        grade = _W["grade_cn"].index(slots["grade_cn"]) + 1
        return grade, grade
    if "grade_m" in slots:
        grade = _W["grade_m"].index(slots["grade_m"]) + 7
        return grade, grade
    return rng.choice(genre.grades)


def _series(class_number: str, rng: random.Random) -> str:
    choices = SERIES.get(class_number[0], ())
    return rng.choice(choices) if choices and rng.random() < 0.3 else ""


def _record(rng: random.Random, isbns: _IsbnAllocator, this_year: int) -> dict[str, Any]:
    if rng.random() < 0.025:
        return _classic(rng, isbns, this_year)
    genre = _pick_genre(rng)
    slots = _Slots(rng)
    contributors: list[dict[str, str]] = []
    class_number = ""
    if genre.translated:
        class_number, given, family = FOREIGN[rng.choice(tuple(FOREIGN))]
        slots["name_f"] = rng.choice(given)
        author = f"{rng.choice(given)}·{rng.choice(family)}"
        contributors.append({"name": author, "role": "author"})
        contributors.append({"name": person(rng), "role": "translator"})
    elif genre.name == "科普":
        slots["topic"], class_number = rng.choice(SCIENCE_TOPICS)
        slots["form"] = rng.choice(SCIENCE_FORMS)
        contributors.append({"name": person(rng), "role": "author"})
    else:
        contributors.append({"name": person(rng), "role": "editor" if genre.editor else "author"})
    if not genre.translated and rng.random() < 0.12:
        contributors.append({"name": person(rng), "role": rng.choice(("author", "illustrator"))})
    template = rng.choice(genre.titles)
    title = template.partition("@")[0].format_map(slots)
    title_slots = frozenset(slots)
    class_number = class_number or _class_for(genre, template, slots, rng)
    age = _age(rng)
    publisher = _publisher(rng, genre.publishers, isbns)
    grade_min, grade_max = _grades(genre, slots, rng)
    return {
        "title": title,
        "contributors": contributors,
        "publisher": publisher,
        "place": PUBLISHERS[publisher][0],
        "year": this_year - age,
        "isbn": isbns.next(PUBLISHERS[publisher][1]),
        "price": _price(rng, *genre.price, age),
        "class_number": class_number,
        "pages": f"{rng.randint(*genre.pages) // 8 * 8}页",
        "series": _series(class_number, rng),
        "summary": _summary_for(genre, title_slots, rng).format_map(slots),
        "subjects": rng.sample(genre.subjects, k=min(len(genre.subjects), rng.randint(1, 2))),
        "grade_min": grade_min,
        "grade_max": grade_max,
        "copies": rng.choice(genre.copies),
    }


def _classic(rng: random.Random, isbns: _IsbnAllocator, this_year: int) -> dict[str, Any]:
    # The four classics and 鲁迅 stand in every school library, in many editions and copies.
    title, author, class_number = rng.choice(CLASSICS)
    edition = rng.choice(CLASSIC_EDITIONS)
    publisher = _publisher(rng, LITERATURE + CHILDREN[:4], isbns)
    age = _age(rng)
    return {
        "title": f"{title}（{edition}）",
        "contributors": [{"name": author, "role": "author"}]
        + ([{"name": person(rng), "role": "editor"}] if edition != "原著" else []),
        "publisher": publisher,
        "place": PUBLISHERS[publisher][0],
        "year": this_year - age,
        "isbn": isbns.next(PUBLISHERS[publisher][1]),
        "price": _price(rng, 25, 68, age),
        "class_number": class_number,
        "pages": f"{rng.randint(200, 900) // 8 * 8}页",
        "series": rng.choice(("新课标必读", "快乐读书吧", "少年读经典", "", "")),
        "summary": f"《{title}》{edition}，配有导读和注释，帮助中小学生读懂经典名著。",
        "subjects": ["古典小说－中国" if author != "鲁迅" else "鲁迅著作－作品集"],
        "grade_min": 5,
        "grade_max": 9,
        "copies": rng.choice((3, 4, 5, 6, 8)),
    }


def generate_records(
    count: int, seed: int = 0, *, this_year: int | None = None
) -> Iterator[dict[str, Any]]:
    """count made-up records, the same ones for the same seed; ISBNs all distinct.

    The first n records do not depend on count, and only the years and prices depend on
    this_year (default: the current year), so a benchmark can regenerate what it loaded.
    """
    year = this_year or datetime.now(UTC).year
    rng = random.Random(seed)
    isbns = _IsbnAllocator(random.Random(seed + 1))
    for _ in range(count):
        yield _record(rng, isbns, year)


# --------------------------------------------------------------------------- copies


def location_for(class_number: str) -> str:
    """The code of the default location a copy of this class goes to."""
    if class_number in REFERENCE_CLASSES:
        return "REFERENCE"
    if class_number in TEACHER_CLASSES:
        return "TEACHERS"
    return "STACKS"


def donor(rng: random.Random) -> str:
    kind = rng.choice(_DONOR_KINDS)
    if kind in ("家长", "校友", "教师"):
        return f"{person(rng)}（{kind}）"
    if kind == "爱心企业":
        return f"{rng.choice(_W['region'])}{rng.choice(('书香', '启明', '育才', '春晖'))}公司"
    return kind


def received_on(position: float, today: date) -> date:
    """The day a title at position (0–1) of the collection's history came in.

    Accession numbers grow with the date, as in a real item register (个别登记).
    """
    return today - timedelta(days=int(HISTORY_DAYS * (1 - position)))


def plan_copies(record: dict[str, Any], rng: random.Random) -> list[dict[str, str]]:
    """For each copy: location code, source (purchase or donation) and donor."""
    location = location_for(record["class_number"])
    plans = []
    for _ in range(int(record["copies"])):
        donated = rng.random() < 0.12
        plans.append(
            {
                "location": location,
                "source": "donation" if donated else "purchase",
                "donor": donor(rng) if donated else "",
            }
        )
    return plans
