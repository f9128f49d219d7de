"""Translations of the error messages: Vietnamese for each stable error code (English comes from the services)."""

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

VIETNAMESE = {
    "VALIDATION_ERROR": "Dữ liệu không hợp lệ.",
    "MALFORMED_JSON": "Nội dung yêu cầu không phải JSON hợp lệ.",
    "UNAUTHENTICATED": "Bạn cần đăng nhập.",
    "INVALID_TOKEN": "Mã truy cập không hợp lệ hoặc đã hết hạn.",
    "INVALID_CREDENTIALS": "Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản đã bị khóa.",
    "TOO_MANY_SIGN_IN_FAILURES": "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.",
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
    "CONCURRENT_CHANGE": "Một thao tác khác đang thay đổi cùng dữ liệu; chưa có gì thay đổi. Vui lòng thử lại.",
    "RULE_VIOLATION": "Thao tác bị từ chối theo quy tắc nghiệp vụ.",
    "SERVICE_TIMEOUT": "Dịch vụ không phản hồi kịp thời.",
    "SERVICE_UNAVAILABLE": "Dịch vụ hiện không hoạt động.",
    "INTERNAL_ERROR": "Đã xảy ra lỗi hệ thống.",
    # tickets
    "TICKET_TYPE_NOT_FOUND": "Không tìm thấy loại ticket.",
    "TICKET_TYPE_NAME_TAKEN": "Tên loại ticket đã tồn tại.",
    "TICKET_TYPE_OWNED": "Loại ticket này đã thuộc một nhóm hỗ trợ khác.",
    "TICKET_TYPE_WITHOUT_GROUP": "Chưa có nhóm hỗ trợ nào xử lý loại ticket này.",
    "SUPPORT_GROUP_NOT_FOUND": "Không tìm thấy nhóm hỗ trợ.",
    "SUPPORT_GROUP_NAME_TAKEN": "Tên nhóm hỗ trợ đã tồn tại.",
    "MEMBER_NOT_FOUND": "Người này không phải thành viên của nhóm hỗ trợ.",
    "NOT_THE_MEMBER": "Chỉ chính thành viên đó hoặc quản trị viên mới được đổi trạng thái sẵn sàng.",
    "INVALID_MEMBERS": "Thành viên phải là nhân viên đang hoạt động.",
    "TICKET_NOT_FOUND": "Không tìm thấy ticket.",
    "TICKET_NOT_EDITABLE": "Chỉ sửa được ticket khi ticket chưa được phân công.",
    "TICKET_WRONG_STATUS": "Trạng thái hiện tại của ticket không cho phép thao tác này.",
    "ALREADY_ASSIGNEE": "Ticket đã thuộc về người này.",
    "MEMBER_AT_CAPACITY": "Thành viên này đã nhận đủ số ticket tối đa.",
    "NOT_TICKET_HOLDER": "Chỉ người được phân công (hoặc quản trị viên) mới được thực hiện thao tác này.",
    "NOT_GROUP_MEMBER": "Chỉ thành viên nhóm hỗ trợ của ticket mới được nhận ticket.",
    "NOT_TICKET_EDITOR": "Chỉ người tạo ticket hoặc quản trị viên mới được sửa ticket.",
    "CUSTOMER_NOT_CHECKED": "Khách hàng của ticket phải được kiểm tra qua dịch vụ khách hàng.",
    "KPI_NOT_ALLOWED": "Bạn chỉ xem được KPI của mình và của phòng ban mình quản lý.",
    "BRANDNAME_NOT_FOUND": "Không tìm thấy brandname.",
    "BRANDNAME_TAKEN": "Brandname này đã tồn tại.",
    "OPT_OUT_NOT_FOUND": "Địa chỉ này không nằm trong danh sách từ chối nhận tin.",
    "INVALID_ADDRESS": "Số điện thoại hoặc địa chỉ email không hợp lệ.",
    "OUTSIDE_ADVERTISING_HOURS": "Tin nhắn quảng cáo chỉ được gửi trong khung giờ cho phép (mặc định 07:00–22:00, giờ Việt Nam).",
    "NO_RECIPIENTS": "Không khách hàng nào được chọn có địa chỉ để gửi.",
    "INVALID_SIGNATURE": "Chữ ký X-Twilio-Signature bị thiếu hoặc không đúng.",
    # customers
    "CUSTOMER_NOT_FOUND": "Không tìm thấy khách hàng.",
    "SELECTION_TOO_LARGE": "Quá nhiều khách hàng khớp bộ lọc cho một thao tác hàng loạt; hãy thu hẹp bộ lọc.",
    "CUSTOMER_CODE_TAKEN": "Mã khách hàng đã được sử dụng.",
    "CUSTOMER_EDIT_FORBIDDEN": "Bạn chỉ được xem khách hàng này, không được sửa.",
    "CUSTOMER_DELETE_FORBIDDEN": "Chỉ chủ sở hữu, quản lý phòng ban của chủ sở hữu hoặc quản trị viên mới được xóa khách hàng.",
    "GROUP_NOT_FOUND": "Không tìm thấy nhóm khách hàng.",
    "GROUP_NAME_TAKEN": "Tên nhóm khách hàng đã tồn tại.",
    "ACTIVITY_TYPE_NOT_FOUND": "Không tìm thấy loại giao dịch.",
    "ACTIVITY_TYPE_NAME_TAKEN": "Tên loại giao dịch đã tồn tại.",
    "ACTIVITY_NOT_FOUND": "Không tìm thấy giao dịch.",
    "ACTIVITY_EDIT_FORBIDDEN": "Bạn chỉ được xem giao dịch này, không được sửa.",
    "RECORD_NOT_FOUND": "Không tìm thấy hồ sơ.",
    "RECORD_EDIT_FORBIDDEN": "Bạn chỉ được xem hồ sơ này, không được sửa.",
    "AMOUNT_NOT_APPLICABLE": "Tài liệu không có giá trị tiền.",
    "USER_INACTIVE": "Không thể giao khách hàng hoặc hồ sơ cho nhân viên đã bị khóa.",
    "DEPARTMENT_HAS_NO_ACTIVE_MEMBER": "Phòng ban không có nhân viên đang hoạt động để nhận khách hàng.",
    "SPLIT_EVENLY_REQUIRED": "Chuyển cho nhiều người cần chọn chia đều (split_evenly).",
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
