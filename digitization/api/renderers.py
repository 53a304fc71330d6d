"""CSV and XLSX exports of the metrics responses, with Vietnamese column headers.

The headers are the report's Vietnamese wording whatever the request's language: the exports are
filed and compared with the province's Vietnamese reports. A view lists its columns in
`export_columns` and names its file with `export_name`.
"""

import csv
import io

from rest_framework.renderers import BaseRenderer

COLUMN_HEADERS = {
    "rank": "Xếp hạng",
    "value": "Giá trị chỉ số",
    "unit": "Mã đơn vị",
    "unit_name": "Tên đơn vị",
    "block": "Khối",
    "units": "Số đơn vị",
    "period_start": "Từ ngày",
    "period_end": "Đến ngày",
    "received": "Hồ sơ tiếp nhận",
    "received_online": "Tiếp nhận trực tuyến",
    "digitized": "Số hóa đầy đủ",
    "reused": "Có thành phần tái sử dụng",
    "finished": "Đã giải quyết",
    "finished_on_time": "Giải quyết đúng hạn",
    "finished_needing_result": "Giải quyết có cấp kết quả",
    "finished_with_result": "Kết quả được số hóa",
    "overdue_open": "Quá hạn chưa giải quyết (cuối kỳ)",
    "rated": "Lượt đánh giá",
    "not_satisfied": "Không hài lòng hoặc có phản ánh",
    "on_time_rate": "Tỷ lệ đúng hạn (%)",
    "online_rate": "Tỷ lệ trực tuyến (%)",
    "e_result_rate": "Tỷ lệ trả kết quả điện tử (%)",
    "digitization_rate": "Tỷ lệ số hóa (%)",
    "reuse_rate": "Tỷ lệ tái sử dụng (%)",
    "satisfaction": "Mức độ hài lòng (%)",
    "score": "Điểm (0-100)",
    "accepted": "Hồ sơ được tiếp nhận (QĐ 766)",
    "accepted_on_time": "Trước hạn, đúng hạn hoặc còn trong hạn",
    "carried": "Tiếp nhận kỳ trước, đang xử lý",
    "carried_on_time": "Trong đó đúng hạn",
    "accepted_online": "Nộp trực tuyến (3.3)",
    "accepted_direct": "Nộp trực tiếp",
    "accepted_postal": "Nộp qua bưu chính công ích",
    "paper_result": "TTHC có trả kết quả",
    "paper_result_issued": "Đã có kết quả",
    "e_result": "Có kết quả điện tử",
    "digitized_any": "Số hóa (có tệp thành phần)",
    "digitized_all": "Số hóa (đủ thành phần bắt buộc)",
    "accepted_reused": "Sử dụng lại dữ liệu số hóa",
    "disliked": "Không hài lòng hoặc có phản ánh (5.4)",
    "disliked_late": "Trong đó trễ hạn",
    "sync_rate": "Tỷ lệ đồng bộ lên Cổng DVCQG (%)",
    "payment_procedures_rate": "Tỷ lệ TTHC có thanh toán trực tuyến (%)",
    "online_payment_rate": "Tỷ lệ hồ sơ thanh toán trực tuyến (%)",
    "completed": "Hồ sơ đã có kết quả",
    "working_days": "Tổng ngày làm việc",
    "average": "Thời gian giải quyết trung bình (ngày làm việc)",
}
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportRenderer(BaseRenderer):
    extension = ""

    def table(self, data, renderer_context) -> tuple[list[str], list[list]]:
        view = renderer_context["view"]
        columns = view.export_columns
        rows = [[row.get(column) for column in columns] for row in data.get("results", [])]
        response = renderer_context.get("response")
        if response is not None:
            name = view.export_name(data)
            response["Content-Disposition"] = f'attachment; filename="{name}.{self.extension}"'
        return [COLUMN_HEADERS[column] for column in columns], rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # the rates: two decimals, as rounded
        return f"{value:.2f}"
    return str(value)


class CSVRenderer(ExportRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    extension = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return csv_bytes(*self.table(data, renderer_context or {}))


class XLSXRenderer(ExportRenderer):
    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"
    extension = "xlsx"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return xlsx_bytes(*self.table(data, renderer_context or {}))


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_text(value) for value in row])
    # The byte order mark makes spreadsheet programs read the Vietnamese as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(headers: list[str], rows: list[list], title: str = "Chỉ số") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
