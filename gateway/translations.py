"""What a user reads in an error, in Vietnamese: the message of each stable error code, and a
catalogue of the messages themselves (field messages and detailed top-level ones).

The services write English.  Under ``Accept-Language: vi`` the gateway answers
:func:`translate` (the top-level message) and :func:`translate_fields` (every field message):

- ``MESSAGES`` maps an English message to its Vietnamese: marshmallow's own messages (its fields,
  its schema, its validators) and the project's (``services/core/contracts/``, the use cases).
  An English entry is the template the code formats: ``{}`` (or ``{min}``, ``{:,}``, ``{!r}``)
  stands for a value, and the Vietnamese puts the same value where it belongs (``{0}``,
  ``{min}``); ``{0!t}`` translates a value that is one of our words (``TERMS``: "receipt",
  "phone number"...), ``{0!T}`` the same with a capital.  So "Longer than maximum length 200."
  becomes "Dài hơn độ dài tối đa 200." with its number.
- A top-level message found in ``MESSAGES`` is translated with its details; otherwise the
  message of its code (``VIETNAMESE``) stands in.  A message found in neither stays English.

``tests/unit/test_translations.py`` fails when an error code, or a message the code base writes,
has no Vietnamese.
"""

import functools
import re
import string

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
    "OWN_ADMIN_ACCOUNT": "Bạn không thể tự khóa tài khoản hay tự bỏ quyền quản trị của mình; hãy nhờ một quản trị viên khác.",
    "CONFLICT": "Xung đột với trạng thái hiện tại.",
    "CONCURRENT_CHANGE": "Một thao tác khác đang thay đổi cùng dữ liệu; chưa có gì thay đổi. Vui lòng thử lại.",
    "RULE_VIOLATION": "Thao tác bị từ chối theo quy tắc nghiệp vụ.",
    "SERVICE_TIMEOUT": "Dịch vụ không phản hồi kịp thời.",
    "SERVICE_UNAVAILABLE": "Dịch vụ hiện không hoạt động.",
    "INTERNAL_ERROR": "Đã xảy ra lỗi hệ thống.",
    "INVALID": "Yêu cầu không hợp lệ.",
    "DATABASE_UNAVAILABLE": "Hiện không kết nối được cơ sở dữ liệu; chưa có gì thay đổi. Vui lòng thử lại sau vài giây.",
    "REQUEST_INTERRUPTED": (
        "Dịch vụ bị gián đoạn khi đang xử lý yêu cầu; yêu cầu có thể đã hoặc chưa được thực hiện. "
        "Hãy kiểm tra trước khi gửi lại."
    ),
    "BODY_TOO_LARGE": "Nội dung yêu cầu quá lớn.",
    "BODY_TIMEOUT": "Nội dung yêu cầu không được gửi đến kịp thời.",
    "INVALID_IDEMPOTENCY_KEY": "Idempotency-Key không hợp lệ.",
    "IDEMPOTENCY_KEY_IN_USE": "Một yêu cầu với Idempotency-Key này đang được xử lý.",
    "IDEMPOTENCY_KEY_REUSED": "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
    "WRONG_CURRENT_PASSWORD": "Mật khẩu hiện tại không đúng.",
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
    "CONTACT_NOT_FOUND": "Người liên hệ này không phải người liên hệ của khách hàng của ticket.",
    "TICKET_UNREADABLE": "Không đọc được dữ liệu đã lưu của ticket này; ticket vẫn chờ người vận hành xử lý.",
    "KPI_NOT_ALLOWED": "Bạn chỉ xem được KPI của mình và của phòng ban mình quản lý.",
    "BRANDNAME_NOT_FOUND": "Không tìm thấy brandname.",
    "BRANDNAME_TAKEN": "Brandname này đã tồn tại.",
    "OPT_OUT_NOT_FOUND": "Địa chỉ này không nằm trong danh sách từ chối nhận tin.",
    "INVALID_ADDRESS": "Số điện thoại hoặc địa chỉ email không hợp lệ.",
    "OUTSIDE_ADVERTISING_HOURS": "Tin nhắn quảng cáo chỉ được gửi trong khung giờ cho phép (mặc định 07:00–22:00, giờ Việt Nam).",
    "NO_RECIPIENTS": "Không khách hàng nào được chọn có địa chỉ để gửi.",
    "BATCH_NOT_FOUND": "Không tìm thấy đợt gửi.",
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
    # treasury
    "ACCOUNT_NOT_FOUND": "Không tìm thấy tài khoản.",
    "ACCOUNT_NUMBER_TAKEN": "Đã có tài khoản ngân hàng với ngân hàng và số tài khoản này.",
    "ACCOUNT_HAS_ENTRIES": "Chỉ đổi được số dư đầu kỳ trước phiếu đầu tiên được xác nhận của tài khoản.",
    "ACCOUNT_INACTIVE": "Một tài khoản của phiếu đã ngừng hoạt động từ khi phiếu được lập.",
    "INVALID_ACCOUNTS": "Tài khoản của phiếu không đúng loại cần thiết, trùng nhau hoặc đã ngừng hoạt động.",
    "INVALID_VOUCHER": "Phiếu chưa đủ thông tin hoặc có trường mà loại phiếu này không có.",
    "INVALID_PERSON_IN_CHARGE": "Người phụ trách phải là nhân viên đang hoạt động.",
    "EMPLOYEE_NOT_FOUND": "Không tìm thấy nhân viên.",
    "VOUCHER_NOT_FOUND": "Không tìm thấy phiếu.",
    "VOUCHER_NOT_DRAFT": "Chỉ phiếu nháp mới được sửa, xác nhận hoặc hủy.",
    "VOUCHER_NOT_CONFIRMED": "Chỉ phiếu đã xác nhận mới được đảo.",
    "VOUCHER_ALREADY_REVERSED": "Phiếu này đã được đảo.",
    "VOUCHER_IS_REVERSAL": "Không thể đảo một phiếu đảo; hãy lập phiếu mới.",
    "INSUFFICIENT_FUNDS": "Số dư của tài khoản sẽ bị âm.",
    "BALANCE_TOO_LARGE": "Số dư của tài khoản sẽ vượt quá 10^18 đồng.",
    # inventory
    "WAREHOUSE_NOT_FOUND": "Không tìm thấy kho.",
    "WAREHOUSE_CODE_TAKEN": "Mã kho đã tồn tại.",
    "WAREHOUSE_IN_USE": "Kho còn hàng tồn hoặc có phiếu kho đã ghi sổ nên không xóa được; hãy ngừng hoạt động kho.",
    "WAREHOUSE_INACTIVE": "Kho đã ngừng hoạt động không nhận phiếu kho mới.",
    "INVALID_MANAGERS": "Người quản lý kho phải là nhân viên đang hoạt động.",
    "NOT_WAREHOUSE_MANAGER": "Chỉ người quản lý kho này (hoặc quản trị viên) mới xem được tồn kho hoặc xuất nhập kho.",
    "PRODUCT_NOT_FOUND": "Không tìm thấy sản phẩm.",
    "PRODUCT_SKU_TAKEN": "Mã SKU đã được dùng cho sản phẩm khác.",
    "PRODUCT_INACTIVE": "Sản phẩm ngừng hoạt động không được nhập, xuất, chuyển hay kiểm kê.",
    "NOT_PRODUCT_EDITOR": "Chỉ quản trị viên và người quản lý kho mới được thêm hoặc sửa sản phẩm.",
    "STOCK_MOVE_NOT_FOUND": "Không tìm thấy phiếu kho.",
    "STOCK_MOVE_NOT_DRAFT": "Chỉ phiếu kho nháp mới được sửa, ghi sổ hoặc hủy; phiếu này không còn là nháp.",
    "INSUFFICIENT_STOCK": "Không đủ hàng tồn kho; chưa có gì được ghi sổ.",
}

# English message (a template, as the code formats it) -> Vietnamese
MESSAGES = {
    "You cannot deactivate yourself or take away your own admin role; another admin can.": (
        "Bạn không thể tự khóa tài khoản hay tự bỏ quyền quản trị của mình; hãy nhờ một quản trị viên khác."
    ),
    # -- marshmallow: fields and schemas
    "Missing data for required field.": "Thiếu dữ liệu cho trường bắt buộc.",
    "Field may not be null.": "Trường này không được là null.",
    "Invalid value.": "Giá trị không hợp lệ.",
    "Unknown field.": "Trường không xác định.",
    "Invalid input type.": "Kiểu dữ liệu đầu vào không hợp lệ.",
    "Invalid type.": "Kiểu dữ liệu không hợp lệ.",
    "Not a valid string.": "Không phải chuỗi ký tự hợp lệ.",
    "Not a valid utf-8 string.": "Không phải chuỗi UTF-8 hợp lệ.",
    "Not a valid integer.": "Không phải số nguyên hợp lệ.",
    "Not a valid number.": "Không phải số hợp lệ.",
    "Number too large.": "Số quá lớn.",
    "Special numeric values (nan or infinity) are not permitted.": "Không chấp nhận giá trị số đặc biệt (nan hoặc vô cực).",
    "Not a valid boolean.": "Không phải giá trị đúng/sai (boolean) hợp lệ.",
    "Not a valid list.": "Không phải danh sách hợp lệ.",
    "Not a valid tuple.": "Không phải bộ giá trị (tuple) hợp lệ.",
    "Not a valid mapping type.": "Không phải đối tượng JSON hợp lệ.",
    "Not a valid email address.": "Không phải địa chỉ email hợp lệ.",
    "Not a valid URL.": "Không phải URL hợp lệ.",
    "Not a valid UUID.": "Không phải UUID hợp lệ.",
    "Not a valid period of time.": "Không phải khoảng thời gian hợp lệ.",
    "Not a valid IP address.": "Không phải địa chỉ IP hợp lệ.",
    "Not a valid IPv4 address.": "Không phải địa chỉ IPv4 hợp lệ.",
    "Not a valid IPv6 address.": "Không phải địa chỉ IPv6 hợp lệ.",
    "Not a valid IP interface.": "Không phải giao diện IP hợp lệ.",
    "Not a valid IPv4 interface.": "Không phải giao diện IPv4 hợp lệ.",
    "Not a valid IPv6 interface.": "Không phải giao diện IPv6 hợp lệ.",
    "Not a valid {obj_type}.": "Không phải {obj_type!t} hợp lệ.",
    "Not a valid {awareness} {obj_type}.": "Không phải {obj_type!t} {awareness!t} hợp lệ.",
    '"{input}" cannot be formatted as a {obj_type}.': '"{input}" không thể định dạng thành {obj_type!t}.',
    "{input!r} cannot be formatted as a timedelta.": "{input} không thể định dạng thành khoảng thời gian.",
    "Must be one of: {choices}.": "Phải là một trong: {choices}.",
    # -- marshmallow: validators
    "Shorter than minimum length {min}.": "Ngắn hơn độ dài tối thiểu {min}.",
    "Longer than maximum length {max}.": "Dài hơn độ dài tối đa {max}.",
    "Length must be between {min} and {max}.": "Độ dài phải từ {min} đến {max}.",
    "Length must be {equal}.": "Độ dài phải bằng {equal}.",
    "Must be greater than or equal to {min} and less than or equal to {max}.": (
        "Phải lớn hơn hoặc bằng {min} và nhỏ hơn hoặc bằng {max}."
    ),
    "Must be greater than or equal to {min} and less than {max}.": "Phải lớn hơn hoặc bằng {min} và nhỏ hơn {max}.",
    "Must be greater than {min} and less than or equal to {max}.": "Phải lớn hơn {min} và nhỏ hơn hoặc bằng {max}.",
    "Must be greater than {min} and less than {max}.": "Phải lớn hơn {min} và nhỏ hơn {max}.",
    "Must be greater than or equal to {min}.": "Phải lớn hơn hoặc bằng {min}.",
    "Must be greater than {min}.": "Phải lớn hơn {min}.",
    "Must be less than or equal to {max}.": "Phải nhỏ hơn hoặc bằng {max}.",
    "Must be less than {max}.": "Phải nhỏ hơn {max}.",
    "Must be equal to {other}.": "Phải bằng {other}.",
    "String does not match expected pattern.": "Chuỗi không đúng định dạng.",
    "Invalid input.": "Dữ liệu không hợp lệ.",
    "One or more of the choices you made was not in: {choices}.": "Có lựa chọn không nằm trong: {choices}.",
    "One or more of the choices you made was in: {values}.": "Có lựa chọn thuộc các giá trị không được phép: {values}.",
    # -- the project's field types (services/core/contracts/common.py)
    "Must not contain NUL characters.": "Không được chứa ký tự NUL.",
    "Not valid Unicode (a lone surrogate).": "Không phải Unicode hợp lệ (ký tự surrogate đơn lẻ).",
    "Must be within the signed 64-bit range.": "Phải nằm trong phạm vi số nguyên có dấu 64 bit.",
    "Not a date or date-time (ISO 8601).": "Không phải ngày hoặc ngày giờ (ISO 8601).",
    "Must be in the years {} to {}.": "Phải nằm trong các năm từ {0} đến {1}.",
    "The UTC offset must be within -14:00 and +14:00.": "Độ lệch so với UTC phải trong khoảng -14:00 đến +14:00.",
    # -- contracts of the services (services/core/contracts/)
    "Not a phone number.": "Không phải số điện thoại.",
    "2 to 64 letters, digits, '.', '_' or '-'.": "Từ 2 đến 64 ký tự: chữ cái, chữ số, '.', '_' hoặc '-'.",
    "1 to 50 letters, digits, spaces or . - _ &.": "Từ 1 đến 50 ký tự: chữ cái, chữ số, khoảng trắng hoặc . - _ &.",
    "No spaces at either end.": "Không được có khoảng trắng ở đầu hoặc cuối.",
    "Must not be blank.": "Không được để trống.",
    "Give at least one customer.": "Hãy chọn ít nhất một khách hàng.",
    "At most {} customers per call (got {}).": "Tối đa {0} khách hàng mỗi lần (nhận được {1}).",
    "Every customer id must be a positive integer up to {} (got {!r}).": (
        "Mỗi id khách hàng phải là số nguyên dương không quá {0} (nhận được {1})."
    ),
    "Give either customer_ids or filter.": "Hãy gửi một trong hai: customer_ids hoặc filter.",
    "Choose at least one group to {}.": "Hãy chọn ít nhất một nhóm để {0!t}.",
    "Choose at least one user or department.": "Hãy chọn ít nhất một nhân viên hoặc phòng ban.",
    "The minimums for 1 to 5 stars must be strictly increasing.": "Mức tối thiểu cho 1 đến 5 sao phải tăng dần.",
    "A user can be a member only once.": "Mỗi nhân viên chỉ được là thành viên một lần.",
    "Must be after 'from'.": "Phải sau 'from'.",
    "A product can appear only once in a move.": "Mỗi sản phẩm chỉ được xuất hiện một lần trong một phiếu kho.",
    "Quantities must be at least 1 (only an adjustment counts 0).": (
        "Số lượng phải ít nhất là 1 (chỉ phiếu điều chỉnh mới được ghi 0)."
    ),
    "A transfer needs the warehouse it goes to.": "Phiếu chuyển kho cần có kho đích.",
    "A transfer goes to another warehouse.": "Kho đích phải khác kho xuất.",
    "Only a transfer has a destination warehouse.": "Chỉ phiếu chuyển kho mới có kho đích.",
    "Not a date or a date-time.": "Không phải ngày hoặc ngày giờ.",
    "Not a date (YYYY-MM-DD) or a date-time (ISO 8601 with offset).": (
        "Không phải ngày (YYYY-MM-DD) hoặc ngày giờ (ISO 8601 có độ lệch múi giờ)."
    ),
    "A date-time needs its offset (e.g. +07:00).": "Ngày giờ cần có độ lệch múi giờ (ví dụ +07:00).",
    "Must be an integer number of đồng (no decimals, not a string).": (
        "Phải là một số nguyên đồng (không có phần thập phân, không phải chuỗi)."
    ),
    "Must be between {minimum} and {maximum} đồng.": "Phải từ {minimum} đến {maximum} đồng.",
    "Not a date (YYYY-MM-DD) or an ISO 8601 date-time.": "Không phải ngày (YYYY-MM-DD) hoặc ngày giờ ISO 8601.",
    # -- directory
    "No such department.": "Không tìm thấy phòng ban.",
    "Only to change your own password.": "Chỉ dùng khi đổi mật khẩu của chính bạn.",
    "Only together with a new password.": "Chỉ gửi kèm mật khẩu mới.",
    "Give your current password to change it.": "Hãy nhập mật khẩu hiện tại để đổi mật khẩu.",
    "Wrong password.": "Sai mật khẩu.",
    "No such user: {}.": "Không tìm thấy nhân viên: {0}.",
    # -- customers
    "No such department: {}.": "Không tìm thấy phòng ban: {0}.",
    "Deactivated: {}.": "Đã bị khóa: {0}.",
    "Department {} has no active member.": "Phòng ban {0} không có nhân viên đang hoạt động.",
    "No such group: {}.": "Không tìm thấy nhóm khách hàng: {0}.",
    "Unknown merge field(s): {}; use {}.": "Trường trộn không xác định: {0}; hãy dùng {1}.",
    "{} new owners: set split_evenly.": "{0} chủ sở hữu mới: hãy đặt split_evenly.",
    "A customer keeps a code; give a new one or leave it out.": (
        "Khách hàng luôn có mã; hãy nhập mã mới hoặc bỏ trường này."
    ),
    "Another customer has this code.": "Khách hàng khác đã dùng mã này.",
    "No such activity type.": "Không tìm thấy loại giao dịch.",
    "A document has no amount.": "Tài liệu không có giá trị tiền.",
    "More than {:,} customers match; a bulk action takes at most {:,}.": (
        "Có hơn {0} khách hàng khớp bộ lọc; một thao tác hàng loạt nhận tối đa {1}."
    ),
    "You cannot see any of the selected customers (or they do not exist).": (
        "Bạn không xem được khách hàng nào trong số đã chọn (hoặc họ không tồn tại)."
    ),
    "No customer you can see matches the filter.": "Không có khách hàng nào bạn xem được khớp bộ lọc.",
    "None of the selected customers you can see has {}.": (
        "Không khách hàng nào bạn xem được trong số đã chọn có {0!t}."
    ),
    # -- tickets
    "No such ticket type.": "Không tìm thấy loại ticket.",
    "No such ticket type: {}.": "Không tìm thấy loại ticket: {0}.",
    "No such active user: {}.": "Không có nhân viên đang hoạt động: {0}.",
    "Already in another support group: {}.": "Đã thuộc một nhóm hỗ trợ khác: {0}.",
    "No support group handles this ticket type.": "Chưa có nhóm hỗ trợ nào xử lý loại ticket này.",
    "A contact needs the ticket's customer (customer_id).": "Người liên hệ cần khách hàng của ticket (customer_id).",
    "Not a contact of this customer.": "Không phải người liên hệ của khách hàng này.",
    "Not a member of the ticket's support group.": "Không phải thành viên nhóm hỗ trợ của ticket.",
    # -- notifications
    "A brandname is required for SMS.": "SMS cần có brandname.",
    "An email needs a subject.": "Email cần có tiêu đề.",
    "No such brandname: {}.": "Không tìm thấy brandname: {0}.",
    "Not a valid {}.": "Không phải {0!t} hợp lệ.",
    # -- inventory
    "No such product: {}.": "Không tìm thấy sản phẩm: {0}.",
    "Inactive product: {}.": "Sản phẩm đã ngừng hoạt động: {0}.",
    "No such warehouse: {}.": "Không tìm thấy kho: {0}.",
    "This warehouse is inactive.": "Kho này đã ngừng hoạt động.",
    "Only {} on hand of {} in {}.": "Tồn kho của {1} tại {2} chỉ còn {0}.",
    # -- treasury
    "Required for a bank account.": "Bắt buộc với tài khoản ngân hàng.",
    "A cash book has no {}.": "Sổ quỹ tiền mặt không có {0!t}.",
    "The account already has entries.": "Tài khoản đã có bút toán.",
    "A {} has no {}.": "{0!T} không có {1}.",
    "Required for a {}.": "Bắt buộc với {0!t}.",
    "Required for a transfer.": "Bắt buộc với phiếu chuyển tiền.",
    "Required for a receipt or a payment.": "Bắt buộc với phiếu thu hoặc phiếu chi.",
    "Required for a counterpart of type {}.": "Bắt buộc với đối tượng loại {0!t}.",
    "A counterpart of type {} has no id; name it.": "Đối tượng loại {0!t} không có id; hãy ghi tên.",
    "Must differ from from_account_id.": "Phải khác from_account_id.",
    "Only receipts and payments have this.": "Chỉ phiếu thu và phiếu chi có trường này.",
    "No such account.": "Không tìm thấy tài khoản.",
    "A {} needs {} here.": "{0!T} cần {1!t} ở đây.",
    "This account is inactive.": "Tài khoản này đã ngừng hoạt động.",
    "This account would hold too much.": "Số dư tài khoản này sẽ vượt mức tối đa.",
    "{} holds {} đồng; this voucher takes {} đồng.": "{0} có {1} đồng; phiếu này cần {2} đồng.",
    "Must be an active user.": "Phải là nhân viên đang hoạt động.",
    "No such user.": "Không tìm thấy nhân viên.",
    "No such customer.": "Không tìm thấy khách hàng.",
    "Taken from the customer record; leave it out.": "Lấy từ hồ sơ khách hàng; hãy bỏ trường này.",
    "Taken from the directory; leave it out.": "Lấy từ danh sách nhân viên; hãy bỏ trường này.",
    "Send the whole counterpart: its type with its id or name.": "Hãy gửi đủ đối tượng: loại kèm id hoặc tên.",
    "Must stay in {}, the year of the voucher's number.": "Phải thuộc năm {0}, năm trong số của phiếu.",
    # -- top-level messages with details
    "This account does not exist or is deactivated.": "Tài khoản này không tồn tại hoặc đã bị khóa.",
    "Warehouse {} is inactive: it takes no new stock moves.": "Kho {0} đã ngừng hoạt động: không nhận phiếu kho mới.",
    "Advertising SMS may only be sent {} ({}); next allowed at {}.": (
        "Chỉ được gửi SMS quảng cáo trong khung giờ {0} ({1}); lần gửi tiếp theo được phép lúc {2}."
    ),
    "Batch {} was never opened.": "Đợt gửi {0} chưa từng được mở.",
    "Ticket {} cannot be read (a date out of range); it stays waiting.": (
        "Không đọc được ticket {0} (có ngày nằm ngoài phạm vi); ticket vẫn đang chờ."
    ),
    "Only the member themself or an admin can change their availability.": (
        "Chỉ chính thành viên đó hoặc quản trị viên mới được đổi trạng thái sẵn sàng."
    ),
    "Cannot {} a ticket that is {} (allowed when: {}).": (
        "Không thể {0!v} ticket đang ở trạng thái {1!t} (chỉ được khi ticket {2!t})."
    ),
    "Only the ticket's creator, its assignee or an admin can cancel it.": (
        "Chỉ người tạo ticket, người được phân công hoặc quản trị viên mới được hủy ticket."
    ),
    "The ticket is already held by this user.": "Ticket đã thuộc về người này.",
    "User {} keeps changing department; their customers follow later.": (
        "Nhân viên {0} liên tục đổi phòng ban; khách hàng của họ sẽ được chuyển theo sau."
    ),
    "This action needs the role: {}.": "Thao tác này cần vai trò: {0!t}.",
    "The {} service is not running.": "Dịch vụ {0} hiện không hoạt động.",
    "The {} service did not answer in time.": "Dịch vụ {0} không phản hồi kịp thời.",
    "The {} service failed.": "Dịch vụ {0} gặp lỗi.",
    "The message broker cannot be reached; retry in a few seconds.": (
        "Không kết nối được hệ thống truyền tin; vui lòng thử lại sau vài giây."
    ),
    "No such endpoint: {} {}.": "Không có địa chỉ này: {0} {1}.",
    "The request body nests deeper than {} levels.": "Nội dung yêu cầu lồng nhau sâu hơn {0} cấp.",
    "Too many failed sign-ins; try again in {} seconds.": "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau {0} giây.",
    "The request body is larger than {} bytes.": "Nội dung yêu cầu lớn hơn {0} byte.",
    "The request body did not arrive within {:g} seconds.": "Nội dung yêu cầu không đến đủ trong vòng {0} giây.",
    "{} is not allowed on {}; use {}.": "Không dùng được phương thức {0} cho {1}; hãy dùng {2}.",
    "Idempotency-Key must be 1 to {} characters.": "Idempotency-Key phải dài từ 1 đến {0} ký tự.",
}

# our words that appear as values in the messages above ({0!t})
TERMS = {
    "datetime": "ngày giờ",
    "date": "ngày",
    "time": "giờ",
    "aware": "có múi giờ",
    "naive": "không có múi giờ",
    "phone number": "số điện thoại",
    "email address": "địa chỉ email",
    "a phone number": "số điện thoại",
    "a contact with a phone number": "người liên hệ có số điện thoại",
    "an email address": "địa chỉ email",
    "add": "thêm vào",
    "remove": "gỡ khỏi",
    "receipt": "phiếu thu",
    "payment": "phiếu chi",
    "cash to bank": "phiếu nộp tiền vào ngân hàng",
    "bank to cash": "phiếu rút tiền về quỹ",
    "internal transfer": "phiếu chuyển khoản nội bộ",
    "transfer": "phiếu chuyển tiền",
    "a cash book": "sổ quỹ tiền mặt",
    "a bank account": "tài khoản ngân hàng",
    "bank name": "tên ngân hàng",
    "account number": "số tài khoản",
    "customer": "khách hàng",
    "employee": "nhân viên",
    "supplier": "nhà cung cấp",
    "other": "khác",
    "unassigned": "chưa phân công",
    "assigned": "đã phân công",
    "in_progress": "đang xử lý",
    "on_hold": "tạm dừng",
    "done": "hoàn thành",
    "cancelled": "đã hủy",
    "admin": "quản trị viên",
    "accountant": "kế toán",
    "staff": "nhân viên",
}
# what one does to a ticket ({0!v})
VERBS = {
    "accept": "nhận",
    "start": "bắt đầu",
    "hold": "tạm dừng",
    "complete": "hoàn thành",
    "cancel": "hủy",
    "transfer": "chuyển",
}
_WORDS = {"t": TERMS, "T": TERMS, "v": VERBS}  # conversion -> its words
_SEPARATORS = {", ": ", ", " or ": " hoặc "}

MAX_TRANSLATED_LENGTH = 2000  # a longer message (one echoing a huge value) stays as it is


def _known(value, words):
    """``value``'s words in Vietnamese (``"a cash book or a bank account"``, ``"assigned, on_hold"``:
    each one), or None unless every one is in ``words``."""
    parts = re.split(r"(, | or )", value)
    if not all(part in words for part in parts[::2]):
        return None
    return "".join(_SEPARATORS[part] if index % 2 else words[part] for index, part in enumerate(parts))


def term(value, words=TERMS):
    """``value`` in Vietnamese when it is made of our ``words``; else as it is."""
    return _known(value, words) or value


class _Formatter(string.Formatter):
    def convert_field(self, value, conversion):
        if conversion in _WORDS:
            text = term(value, _WORDS[conversion])
            return text[:1].upper() + text[1:] if conversion == "T" else text
        return super().convert_field(value, conversion)


_FORMATTER = _Formatter()


def _compile(english):
    """``(regex, names)``: the regex matching what ``english`` formats to, the names of its values."""
    pattern, names = [], []
    for literal, name, _spec, _conversion in string.Formatter().parse(english):
        pattern.append(re.escape(literal))
        if name is not None:
            names.append(name or str(sum(1 for known in names if known.isdigit())))
            pattern.append("(.+?)")
    return re.compile("".join(pattern), re.DOTALL), names


def _termed(vietnamese):
    """``{name: words}`` of the values ``vietnamese`` translates as our words (``{0!t}``, ``{1!v}``)."""
    return {
        name: _WORDS[conversion]
        for _, name, _, conversion in string.Formatter().parse(vietnamese)
        if conversion in _WORDS
    }


_EXACT = {english: vietnamese for english, vietnamese in MESSAGES.items() if not _compile(english)[1]}
# the longest fixed text first: "greater than or equal to {min}" before "greater than {min}"
_PATTERNS = [
    (*_compile(english), vietnamese, _termed(vietnamese))
    for english, vietnamese in sorted(
        ((english, vietnamese) for english, vietnamese in MESSAGES.items() if english not in _EXACT),
        key=lambda entry: -len(re.sub(r"\{[^{}]*\}", "", entry[0])),
    )
]


def vietnamese_message(english):
    """The Vietnamese of one English message, with its values in place; None when not catalogued.

    Of the templates that match, the first whose translated values are all our words wins
    ("Not a valid phone number." is ``Not a valid {}.``, not ``Not a valid {awareness} {obj_type}.``).
    """
    if type(english) is not str or len(english) > MAX_TRANSLATED_LENGTH:
        return None
    return _vietnamese(english)


@functools.lru_cache(maxsize=1024)  # a list of 100,000 bad items repeats one message 100,000 times
def _vietnamese(english):
    if english in _EXACT:
        return _EXACT[english]
    fallback = None
    for regex, names, vietnamese, termed in _PATTERNS:
        match = regex.fullmatch(english)
        if match is None:
            continue
        values = dict(zip(names, match.groups()))
        positional = [values[name] for name in names if name.isdigit()]
        named = {name: value for name, value in values.items() if not name.isdigit()}
        translated = _FORMATTER.vformat(vietnamese, positional, named)
        if all(_known(values[name], words) for name, words in termed.items()):
            return translated
        fallback = fallback or translated
    return fallback


def prefers_vietnamese(accept_language):
    """True when ``Accept-Language`` ranks Vietnamese above English."""
    if not accept_language:
        return False
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return accepted.best_match(["en", "vi"], default="en") == "vi"


def translate(code, english, accept_language):
    """The top-level message: its own Vietnamese, else its code's, under ``vi``; else ``english``."""
    if prefers_vietnamese(accept_language):
        return vietnamese_message(english) or VIETNAMESE.get(code, english)
    return english


def translate_fields(fields, accept_language):
    """``{field: [message]}`` with each message in Vietnamese under ``vi`` (English when not catalogued)."""
    if not prefers_vietnamese(accept_language) or not isinstance(fields, dict):
        return fields
    return {
        name: [vietnamese_message(message) or message for message in messages]
        if isinstance(messages, list)
        else vietnamese_message(messages) or messages
        for name, messages in fields.items()
    }
