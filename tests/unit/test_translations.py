"""The Vietnamese of what a user reads in an error (gateway/translations.py).

Two scans of the code base keep the catalogue complete: every error code it raises, and every
message it writes (field messages of the contracts and of the use cases, detailed top-level
messages), must have a Vietnamese; a new one without it fails here.
"""

import ast
import inspect
import json
import pathlib
import string

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from gateway.errors import STATUS_BY_KIND, ApiError, error_response
from gateway.translations import MESSAGES, VIETNAMESE, translate, translate_fields, vietnamese_message
from services.core import errors

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _sources():
    for folder in ("services", "gateway"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def error_codes():
    """Every stable code: ``code = "X"`` of an error class, ``code="X"``, ``ApiError("kind", "X", ...)``."""
    codes = set()
    for _, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == [
                        "code"
                    ]:
                        codes.add(_string(statement.value))
            if isinstance(node, ast.Call):
                codes.update(_string(keyword.value) for keyword in node.keywords if keyword.arg == "code")
                if len(node.args) >= 2 and _string(node.args[0]) in STATUS_BY_KIND:
                    codes.add(_string(node.args[1]))
    codes.discard(None)
    return codes


ERROR_KINDS = {"ValidationError", "DomainError"} | {
    cls.__name__ for cls in vars(errors).values() if isinstance(cls, type)
}


def _template(node):
    """The English template of a message: a literal, or the literal of ``"...".format(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return _string(node.func.value)
    return _string(node)


def written_messages():
    """``{template: where}`` of every message the code writes for a user to read: the argument of a
    ``ValidationError``, a validator's ``error=``, a field's ``default_error_messages``, the items of
    ``fields={name: [...]}`` and of ``errors[name] = [...]`` / ``fields[name] = [...]``, what a
    ``*_errors`` function returns, and the message a domain error is raised with (``Forbidden("...")``,
    ``exceptions.BatchNotFound("...")``).  The gateway's own messages (``ApiError``) are answered by
    their code's Vietnamese."""
    found = {}

    def add(node, path):
        template = _template(node)
        if template is not None:
            found.setdefault(template, "{}:{}".format(path.relative_to(ROOT), node.lineno))

    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in ERROR_KINDS and node.args:
                    add(node.args[0], path)
                if name[:1].isupper() and node.args and "exceptions" in ast.unparse(node.func):
                    add(node.args[0], path)
                for keyword in node.keywords:
                    if keyword.arg == "error":
                        add(keyword.value, path)
                    if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                        for value in keyword.value.values:
                            for item in value.elts if isinstance(value, ast.List) else []:
                                add(item, path)
            elif isinstance(node, ast.Assign):
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id == "default_error_messages":
                    for value in node.value.values:
                        add(value, path)
                if (
                    isinstance(target, ast.Subscript)
                    and getattr(target.value, "id", None) in ("errors", "fields")
                    and isinstance(node.value, ast.List)
                ):
                    for item in node.value.elts:
                        add(item, path)
            elif isinstance(node, ast.FunctionDef) and node.name.endswith("_errors"):
                for returned in ast.walk(node):
                    if isinstance(returned, ast.Return) and isinstance(returned.value, ast.List):
                        for item in returned.value.elts:
                            add(item, path)
    return found


def sample(template, value="7"):
    """``template`` formatted with ``value`` for each of its values."""
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(value)
    return "".join(parts)


# -- completeness ---------------------------------------------------------------


def test_the_scans_find_what_they_look_for():
    codes, messages = error_codes(), written_messages()
    assert {
        "VALIDATION_ERROR",
        "INSUFFICIENT_FUNDS",
        "INSUFFICIENT_STOCK",
        "WAREHOUSE_IN_USE",
        "BODY_TOO_LARGE",
    } <= codes
    assert {
        "Must not contain NUL characters.",  # default_error_messages (common.py)
        "Must be in the years {} to {}.",  # ValidationError(...format)
        "Not a phone number.",  # error=
        "No such user: {}.",  # fields={...}
        "Required for a bank account.",  # errors[name] = [...]
        "No such account.",  # account_errors()
        "None of the selected customers you can see has {}.",  # RuleViolation(...)
        "This action needs the role: {}.",  # Forbidden(...)
        "Batch {} was never opened.",  # exceptions.BatchNotFound(...)
    } <= set(messages)


def test_every_error_code_has_a_vietnamese_message():
    missing = sorted(code for code in error_codes() if not VIETNAMESE.get(code))
    assert missing == [], "add these codes to gateway/translations.py VIETNAMESE: {}".format(missing)


def test_every_message_the_code_writes_has_a_vietnamese():
    missing = {
        template: where
        for template, where in written_messages().items()
        if template.strip() and vietnamese_message(sample(template)) is None
    }
    assert missing == {}, "add these messages to gateway/translations.py MESSAGES: {}".format(missing)


def _marshmallow_field_messages():
    for _, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            for key, template in cls.default_error_messages.items():
                yield "{}.{}".format(cls.__name__, key), template
    for key, template in Schema._default_error_messages.items():
        yield "Schema." + key, template


@pytest.mark.parametrize("where, template", sorted(set(_marshmallow_field_messages())))
def test_every_default_message_of_marshmallow_has_a_vietnamese(where, template):
    assert vietnamese_message(sample(template, "datetime")) not in (None, sample(template, "datetime"))


def _refusal(validator, value):
    with pytest.raises(ValidationError) as refused:
        validator(value)
    [message] = refused.value.messages
    return message


@pytest.mark.parametrize(
    "validator, value, vietnamese",
    [
        (validate.Length(max=200), "x" * 201, "Dài hơn độ dài tối đa 200."),
        (validate.Length(min=8), "short", "Ngắn hơn độ dài tối thiểu 8."),
        (validate.Length(min=1, max=50), "", "Độ dài phải từ 1 đến 50."),
        (validate.Length(equal=3), "ab", "Độ dài phải bằng 3."),
        (validate.Range(min=1, max=100), 0, "Phải lớn hơn hoặc bằng 1 và nhỏ hơn hoặc bằng 100."),
        (validate.Range(min=1, max=5, min_inclusive=False), 1, "Phải lớn hơn 1 và nhỏ hơn hoặc bằng 5."),
        (validate.Range(min=1, max=5, max_inclusive=False), 5, "Phải lớn hơn hoặc bằng 1 và nhỏ hơn 5."),
        (validate.Range(min=0, max=5, min_inclusive=False, max_inclusive=False), 5, "Phải lớn hơn 0 và nhỏ hơn 5."),
        (validate.Range(min=1), 0, "Phải lớn hơn hoặc bằng 1."),
        (validate.Range(min=1, min_inclusive=False), 1, "Phải lớn hơn 1."),
        (validate.Range(max=9), 10, "Phải nhỏ hơn hoặc bằng 9."),
        (validate.Range(max=9, max_inclusive=False), 9, "Phải nhỏ hơn 9."),
        (validate.OneOf(["admin", "staff"]), "king", "Phải là một trong: admin, staff."),
        (validate.Equal(3), 4, "Phải bằng 3."),
        (validate.Regexp(r"^a$"), "b", "Chuỗi không đúng định dạng."),
        (validate.NoneOf([1]), 1, "Dữ liệu không hợp lệ."),
        (validate.ContainsOnly([1, 2]), [3], "Có lựa chọn không nằm trong: 1, 2."),
        (validate.ContainsNoneOf([1]), [1], "Có lựa chọn thuộc các giá trị không được phép: 1."),
        (validate.Email(), "nope", "Không phải địa chỉ email hợp lệ."),
        (validate.URL(), "nope", "Không phải URL hợp lệ."),
        (validate.Predicate("isdigit"), "a", "Dữ liệu không hợp lệ."),
    ],
)
def test_marshmallow_validators_are_translated_with_their_numbers(validator, value, vietnamese):
    assert vietnamese_message(_refusal(validator, value)) == vietnamese


def test_each_vietnamese_template_takes_the_values_of_its_english():
    for english in MESSAGES:
        translated = vietnamese_message(sample(english))
        assert translated is not None and "{" not in translated, english
        names = [name for _, name, _, _ in string.Formatter().parse(english) if name is not None]
        if names:
            assert "7" in translated, (english, translated)  # the value is kept
        assert translated != sample(english), english


# -- what the catalogue does --------------------------------------------------------------


@pytest.mark.parametrize(
    "english, vietnamese",
    [
        ("Unknown field.", "Trường không xác định."),
        ("Not a valid string.", "Không phải chuỗi ký tự hợp lệ."),
        ("Missing data for required field.", "Thiếu dữ liệu cho trường bắt buộc."),
        ("Not a valid integer.", "Không phải số nguyên hợp lệ."),
        ("Not a valid datetime.", "Không phải ngày giờ hợp lệ."),
        ("Not a valid aware datetime.", "Không phải ngày giờ có múi giờ hợp lệ."),
        ("Not a valid phone number.", "Không phải số điện thoại hợp lệ."),  # not {awareness} {obj_type}
        ("Must be in the years 1900 to 2999.", "Phải nằm trong các năm từ 1900 đến 2999."),
        ("Kho quỹ A holds 5 đồng; this voucher takes 10 đồng.", "Kho quỹ A có 5 đồng; phiếu này cần 10 đồng."),
        (
            "A receipt needs a cash book or a bank account here.",
            "Phiếu thu cần sổ quỹ tiền mặt hoặc tài khoản ngân hàng ở đây.",
        ),
        ("Required for a transfer.", "Bắt buộc với phiếu chuyển tiền."),
        ("Required for a cash to bank.", "Bắt buộc với phiếu nộp tiền vào ngân hàng."),
        ("A cash book has no bank name.", "Sổ quỹ tiền mặt không có tên ngân hàng."),
        ("Choose at least one group to add.", "Hãy chọn ít nhất một nhóm để thêm vào."),
        ("2 to 64 letters, digits, '.', '_' or '-'.", "Từ 2 đến 64 ký tự: chữ cái, chữ số, '.', '_' hoặc '-'."),
        ("Only 2 on hand of SKU-1 in Kho Hà Nội.", "Tồn kho của SKU-1 tại Kho Hà Nội chỉ còn 2."),
        (
            "Cannot transfer a ticket that is done (allowed when: assigned, in_progress, on_hold).",
            "Không thể chuyển ticket đang ở trạng thái hoàn thành (chỉ được khi ticket đã phân công, đang xử lý, tạm dừng).",
        ),
        (
            "None of the selected customers you can see has a phone number.",
            "Không khách hàng nào bạn xem được trong số đã chọn có số điện thoại.",
        ),
        (
            "Too many failed sign-ins; try again in 900 seconds.",
            "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 900 giây.",
        ),
    ],
)
def test_messages_are_translated_with_their_values(english, vietnamese):
    assert vietnamese_message(english) == vietnamese


def test_a_value_that_is_not_one_of_our_words_stays_as_it_is():
    assert vietnamese_message("No such brandname: receipt.") == "Không tìm thấy brandname: receipt."
    assert vietnamese_message("Not a valid foo.") == "Không phải foo hợp lệ."


def test_an_unknown_or_huge_message_is_not_translated():
    assert vietnamese_message("Something nobody wrote.") is None
    assert vietnamese_message("No such user: {}.".format("1" * 5000)) is None
    assert vietnamese_message(None) is None


def test_field_messages_follow_accept_language():
    errors = {"username": ["Missing data for required field."], "x": ["Unknown field."], "y": ["Not catalogued."]}
    assert translate_fields(errors, "vi") == {
        "username": ["Thiếu dữ liệu cho trường bắt buộc."],
        "x": ["Trường không xác định."],
        "y": ["Not catalogued."],
    }
    assert translate_fields(errors, "vi-VN,vi;q=0.9,en;q=0.5") == translate_fields(errors, "vi")
    assert translate_fields(errors, "en") == errors
    assert translate_fields(errors, "en-US,en;q=0.9,vi;q=0.5") == errors
    assert translate_fields(errors, None) == errors


def test_field_messages_of_any_shape_a_service_sends_are_kept():
    odd = {"a": [{"x": ["Unknown field."]}, 5, None, "Unknown field."], "b": "Unknown field.", "c": {"d": 1}}
    assert translate_fields(odd, "vi") == {
        "a": [{"x": ["Unknown field."]}, 5, None, "Trường không xác định."],
        "b": "Trường không xác định.",
        "c": {"d": 1},
    }
    assert translate_fields(["not", "a", "dict"], "vi") == ["not", "a", "dict"]


def test_the_top_level_message_is_its_own_translation_else_its_codes():
    english = "None of the selected customers you can see has an email address."
    assert (
        translate("NO_RECIPIENTS", english, "vi")
        == "Không khách hàng nào bạn xem được trong số đã chọn có địa chỉ email."
    )
    assert translate("VALIDATION_ERROR", "The body is invalid.", "vi") == "Dữ liệu không hợp lệ."
    assert translate("INSUFFICIENT_STOCK", "Not enough stock on hand; nothing was posted. x.", "vi") == (
        "Không đủ hàng tồn kho; chưa có gì được ghi sổ."
    )
    assert translate("NO_SUCH_CODE", "As it is.", "vi") == "As it is."
    assert translate("VALIDATION_ERROR", "The body is invalid.", "en") == "The body is invalid."


def test_the_error_body_carries_the_translated_field_messages():
    error = ApiError(
        "invalid",
        "VALIDATION_ERROR",
        "The body is invalid.",
        {"name": ["Longer than maximum length 200."], "is_root": ["Unknown field."]},
    )
    body = json.loads(error_response(error, "vi").get_data())
    assert body == {
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "Dữ liệu không hợp lệ.",
            "fields": {"name": ["Dài hơn độ dài tối đa 200."], "is_root": ["Trường không xác định."]},
        }
    }
    assert json.loads(error_response(error).get_data())["error"]["fields"] == error.fields
