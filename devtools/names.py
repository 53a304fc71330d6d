"""Vietnamese full names for generated applicants, with realistic frequencies.

Family names follow their share of the population (Nguyễn about 38 %, Trần 11 %, Lê 9.5 %,
Phạm 7 %, Hoàng and Huỳnh 5 % together, ...); the middle and given names depend on the sex
(Văn and Thị being the most frequent middle names) and their weights fall off with their rank.
Weights are whole numbers so that both generators pick with exactly the same distribution: the
Python one with `random.choices(cum_weights=...)`, the SQL one (devtools.fastgen) from a table
holding each name as many times as its weight.

Every string is in NFC.
"""

import random
import unicodedata
from itertools import accumulate


def _words(text: str) -> list[str]:
    return text.split()


# Share of the population in hundredths of a percent (10,000 = everyone).
FAMILY = [
    ("Nguyễn", 3840),
    ("Trần", 1100),
    ("Lê", 950),
    ("Phạm", 700),
    ("Hoàng", 300),
    ("Huỳnh", 210),
    ("Phan", 450),
    ("Vũ", 200),
    ("Võ", 190),
    ("Đặng", 210),
    ("Bùi", 200),
    ("Đỗ", 140),
    ("Hồ", 130),
    ("Ngô", 130),
    ("Dương", 100),
    ("Lý", 50),
    ("Đào", 60),
    ("Đoàn", 55),
    ("Đinh", 55),
    ("Trương", 50),
    ("Trịnh", 50),
    ("Lương", 40),
    ("Mai", 40),
    ("Lâm", 35),
    ("Cao", 35),
    ("Hà", 35),
    ("Tạ", 20),
    ("Lưu", 20),
    ("Phùng", 20),
    ("Tô", 18),
    ("Vương", 18),
    ("Châu", 15),
    ("Quách", 12),
    ("Triệu", 12),
    ("Chu", 12),
    ("Thái", 12),
    ("Kiều", 10),
    ("Nông", 10),
    ("Lại", 10),
    ("Tăng", 8),
    ("Khúc", 8),
    ("Thân", 8),
    ("La", 8),
    ("Giang", 8),
    ("Hứa", 8),
    ("Lục", 6),
    ("Bạch", 6),
    ("Doãn", 6),
    ("Văn", 5),
    ("Ninh", 5),
    ("Khổng", 4),
    ("Âu", 4),
    ("Mạc", 4),
    ("Tống", 4),
    ("Ông", 4),
    ("Đàm", 4),
    ("Nghiêm", 4),
    ("Từ", 4),
    ("Tiêu", 4),
    ("Lã", 3),
    ("Hầu", 3),
    ("Kim", 3),
    ("Viên", 3),
    ("Lò", 3),
    ("Bế", 10),
    ("Ma", 10),
    ("Đồng", 10),
    ("Diệp", 10),
    ("Thạch", 10),
    ("Vi", 10),
    ("Trình", 10),
    ("Phí", 10),
    ("Hàn", 8),
    ("Mã", 8),
    ("Quan", 8),
    ("Khuất", 8),
    ("Cù", 8),
    ("Lữ", 8),
    ("Chử", 8),
    ("Tào", 8),
    ("Giáp", 8),
    ("Khương", 8),
    ("Tôn", 8),
    ("Lạc", 6),
    ("Sầm", 6),
    ("Lường", 6),
    ("Kha", 6),
    ("Thiều", 6),
    ("Bạc", 6),
    ("Nhữ", 6),
    ("Phó", 6),
    ("Mông", 6),
    ("Hoa", 6),
    ("Đường", 6),
    ("Vòng", 4),
    ("Ung", 4),
    ("Sái", 4),
    ("Nhan", 4),
]

MIDDLE_MALE = _words(
    "Văn Đức Minh Hữu Quốc Thanh Xuân Công Quang Ngọc Hoàng Trọng Tuấn Mạnh Duy Thế Đình Tiến Anh "
    "Gia Bá Hải Trung Việt Hồng Kim Nhật Phúc Thành Chí Huy Khánh Tấn Đăng Viết Như Thiện Bảo "
    "Hoài Tuệ Phú"
)
MIDDLE_FEMALE = _words(
    "Thị Ngọc Thu Thanh Minh Phương Kim Hồng Thùy Bảo Mai Diệu Hoài Khánh Lan Mỹ Quỳnh Thảo Tuyết "
    "Vân Xuân Hải Hà Hương Bích Cẩm Kiều Như Ánh Tường Hoàng Thúy Lệ Nguyệt Diễm Tú Yến Hạnh"
)
GIVEN_MALE = _words(
    "Hùng Dũng Nam Tuấn Hải Long Sơn Thắng Minh Hiếu Quân Huy Đức Trung Cường Hoàng Phong Tùng "
    "Thành Bình Khánh Toàn Việt Hưng Tú Lâm Vinh Quang Đạt Anh Kiên Hiệp Thịnh Tâm Phúc Lộc Tài "
    "Nghĩa Trí Khoa Tín Thái Chiến Công Hòa Hậu Hào Lợi Mạnh Nhân Phát Quý Sang Tiến Trọng Vũ "
    "Vương Bảo Chính Danh Định Giang Hiển Kha Khải Luân Lực Luật Ninh Phước Quyết Sáng Tân Thạch "
    "Thiện Thông Thuận Toản Triều Trường Tuệ Tường Uy Văn Xuân Yên Ân Bách Cảnh Châu Đăng Điền "
    "Đông Duy Hạnh Hiển Hoan Học Khang Khôi Lành Lượng Mẫn Nguyên Nhật Phú Quốc Tấn Thiên "
    "Tiệp Toại Trưởng Tuyên Vĩnh Doanh Đô"
)
GIVEN_FEMALE = _words(
    "Lan Hương Mai Linh Hà Trang Hằng Huyền Thảo Nga Phương Dung Yến Loan Hạnh Thủy Ngọc Hoa Anh "
    "Hiền Nhung Thúy Vân Oanh Liên Quyên Tâm Thu Uyên Vy Nhi Giang Huệ Diệp Hồng Lệ Ly My Nguyệt "
    "Nhàn Quỳnh Tuyết Xuân Yên Châu Chi Diễm Duyên Gấm Hảo Hậu Hoài Khánh Lam Lành Lụa Ngân Ngần "
    "Nhạn Như Phượng Sen Sương Tiên Trâm Trinh Tú Tuyền Vi Ánh Bích Bình Cúc Đào Điệp Hạ Hân Hiên "
    "Hòa Kiều Lài Liễu Loan Lộc Mận Mơ Mỹ Na Nương Phấn Quế Tươi Thắm Thơ Thoa Thư Thương Thanh "
    "Thùy Trà Tuyến Ước Vui Xoan Ý Yến Khuê Kim Cẩm Ngà Hường Minh Nhài Hồng Bảo Tường"
)


def _nfc(names):
    return [unicodedata.normalize("NFC", name) for name in names]


def _ranked(names, top: int = 300, exponent: float = 0.7):
    """Weights falling off with the rank (Zipf-like); duplicates kept once, at their first rank."""
    unique = list(dict.fromkeys(_nfc(names)))
    return [(name, max(1, round(top / (rank + 1) ** exponent))) for rank, name in enumerate(unique)]


FAMILY = [(unicodedata.normalize("NFC", name), weight) for name, weight in FAMILY]
# Văn and Thị carry about a third of the middle names of their sex.
MIDDLE = {
    "male": [
        (name, weight * 3 if rank == 0 else weight)
        for rank, (name, weight) in enumerate(_ranked(MIDDLE_MALE, top=200, exponent=0.8))
    ],
    "female": [
        (name, weight * 3 if rank == 0 else weight)
        for rank, (name, weight) in enumerate(_ranked(MIDDLE_FEMALE, top=200, exponent=0.8))
    ],
}
GIVEN = {"male": _ranked(GIVEN_MALE), "female": _ranked(GIVEN_FEMALE)}
SEXES = ("male", "female")


class NamePicker:
    """Picks full names for the Python generator: sex, then family, middle and given names."""

    def __init__(self):
        self._family = self._table(FAMILY)
        self._middle = {sex: self._table(MIDDLE[sex]) for sex in SEXES}
        self._given = {sex: self._table(GIVEN[sex]) for sex in SEXES}

    @staticmethod
    def _table(weighted):
        names = [name for name, _ in weighted]
        return names, list(accumulate(weight for _, weight in weighted))

    @staticmethod
    def _pick(rng: random.Random, table) -> str:
        names, cumulative = table
        return rng.choices(names, cum_weights=cumulative)[0]

    def full_name(self, rng: random.Random) -> str:
        sex = SEXES[rng.random() >= 0.5]
        return " ".join(
            (
                self._pick(rng, self._family),
                self._pick(rng, self._middle[sex]),
                self._pick(rng, self._given[sex]),
            )
        )


def slots() -> dict[tuple[str, str], list[str]]:
    """Per (part, sex) — sex is "" for family names — each name repeated `weight` times: a
    uniform draw of a slot picks a name with its weight (how the SQL generator picks)."""

    def expand(weighted):
        return [name for name, weight in weighted for _ in range(weight)]

    return {
        ("family", ""): expand(FAMILY),
        **{("middle", sex): expand(MIDDLE[sex]) for sex in SEXES},
        **{("given", sex): expand(GIVEN[sex]) for sex in SEXES},
    }
