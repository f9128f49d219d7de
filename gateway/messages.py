"""Vietnamese messages for the stable error codes (English comes from the services)."""
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

VIETNAMESE = {
    "VALIDATION_ERROR": "Dữ liệu không hợp lệ.",
    "MALFORMED_JSON": "Nội dung yêu cầu không phải JSON hợp lệ.",
    "UNAUTHENTICATED": "Bạn cần đăng nhập.",
    "INVALID_TOKEN": "Mã truy cập không hợp lệ hoặc đã hết hạn.",
    "INVALID_CREDENTIALS": "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đã bị khóa.",
    "FORBIDDEN": "Bạn không có quyền thực hiện thao tác này.",
    "ADMIN_REQUIRED": "Chỉ quản trị viên mới được thực hiện thao tác này.",
    "ROLE_REQUIRED": "Bạn không có vai trò cần thiết cho thao tác này.",
    "NOT_FOUND": "Không tìm thấy.",
    "ROUTE_NOT_FOUND": "Không có địa chỉ này.",
    "METHOD_NOT_ALLOWED": "Phương thức không được hỗ trợ cho địa chỉ này.",
    "USER_NOT_FOUND": "Không tìm thấy nhân viên.",
    "DEPARTMENT_NOT_FOUND": "Không tìm thấy phòng ban.",
    "USERNAME_TAKEN": "Tên đăng nhập đã được sử dụng.",
    "DEPARTMENT_NAME_TAKEN": "Tên phòng ban đã tồn tại.",
    "LAST_ADMIN": "Không thể bỏ quyền hoặc khóa quản trị viên cuối cùng.",
    "CONFLICT": "Xung đột với trạng thái hiện tại.",
    "RULE_VIOLATION": "Thao tác bị từ chối theo quy tắc nghiệp vụ.",
    "SERVICE_TIMEOUT": "Dịch vụ không phản hồi kịp thời.",
    "SERVICE_UNAVAILABLE": "Dịch vụ hiện không hoạt động.",
    "INTERNAL_ERROR": "Đã xảy ra lỗi hệ thống.",
}


def prefers_vietnamese(accept_language):
    """True when ``Accept-Language`` ranks Vietnamese above English."""
    if not accept_language:
        return False
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(["en", "vi"], default="en") == "vi"


def translate(code, english, accept_language):
    if prefers_vietnamese(accept_language):
        return VIETNAMESE.get(code, english)
    return english
