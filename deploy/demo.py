"""Demo data: a small Vietnamese company in a running CRM, through its HTTP API.

    make demo                     # = python deploy/demo.py, against http://127.0.0.1:8000
    CRM_URL=http://host:port python deploy/demo.py

Signs in as the first admin (``CRM_ADMIN_USERNAME`` / ``CRM_ADMIN_PASSWORD``) and creates, if
they are not there yet: departments with managers, staff, customer groups with points, rating
thresholds, a few hundred customers with contacts, activities and shares, ticket types and a
support group with tickets in every state, brandnames and a sent SMS batch; warehouses,
products and stock moves, cash books, bank accounts and vouchers where those services answer.
Running it again adds nothing: everything is looked up by its name (or code) first.
It prints the users it created and their password (``DEMO_PASSWORD``, local use only).

Everything goes through the public API, so the demo also shows how the API is used.
"""

import os
import sys
import time
import zlib

import requests

BASE_URL = os.environ.get("CRM_URL") or "http://127.0.0.1:{}".format(os.environ.get("GATEWAY_PORT", "8000"))
PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-password-2026")
CUSTOMERS_PER_SELLER = int(os.environ.get("DEMO_CUSTOMERS_PER_SELLER", "100"))
CODE_PREFIX = "DEMO"

DEPARTMENTS = ("Phòng Kinh doanh", "Phòng Chăm sóc khách hàng", "Phòng Kế toán", "Phòng Kho vận")
# username, full name, department, roles, manages the department
USERS = (
    ("lan.tran", "Trần Thị Lan", "Phòng Kinh doanh", ["staff"], True),
    ("minh.le", "Lê Văn Minh", "Phòng Kinh doanh", ["staff"], False),
    ("tuan.pham", "Phạm Anh Tuấn", "Phòng Kinh doanh", ["staff"], False),
    ("hoa.nguyen", "Nguyễn Thị Hoa", "Phòng Chăm sóc khách hàng", ["staff"], True),
    ("thu.vo", "Võ Minh Thư", "Phòng Chăm sóc khách hàng", ["staff"], False),
    ("hai.do", "Đỗ Thanh Hải", "Phòng Kế toán", ["accountant"], True),
    ("quang.bui", "Bùi Văn Quang", "Phòng Kho vận", ["staff"], True),
)
SELLERS = ("lan.tran", "minh.le", "tuan.pham")
GROUPS = (("Khách VIP", 50), ("Khách thân thiết", 20), ("Khách mới", 5))
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hạnh", "Khánh", "Linh", "Nam", "Phương", "Quân", "Thảo")
COMPANIES = ("Công ty TNHH Sao Mai", "Công ty CP Thành Đạt", "Cửa hàng Phúc Lộc", "Công ty TNHH Hòa Bình")
CITIES = ("Hà Nội", "TP. Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ")
TICKET_STATES = ("in_progress", "done", "on_hold", "cancelled", "assigned")


def say(message):
    print("[demo] " + message, flush=True)


class DemoError(RuntimeError):
    pass


class Api:
    def __init__(self, base_url, token=None):
        self.base_url = base_url
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = "Bearer " + token

    def call(self, method, path, body=None, params=None, ok=(200, 201, 204)):
        response = self.http.request(method, self.base_url + path, json=body, params=params, timeout=60)
        if response.status_code not in ok:
            raise DemoError("{} {} answered {}: {}".format(method, path, response.status_code, response.text[:500]))
        return response.json() if response.content else None

    def get(self, path, **params):
        return self.call("GET", path, params=params)

    def post(self, path, body=None, ok=(200, 201)):
        return self.call("POST", path, body, ok=ok)

    def answers(self, path):
        """False when the path is not served (a module not there yet: 404 ROUTE_NOT_FOUND)."""
        response = self.http.get(self.base_url + path, timeout=60)
        return response.status_code != 404 or response.json().get("error", {}).get("code") != "ROUTE_NOT_FOUND"

    def all(self, path, **params):
        """Every item of a paginated list."""
        items, page = [], 1
        while True:
            body = self.get(path, page=page, page_size=500, **params)
            items.extend(body["items"])
            if len(items) >= body["total"] or not body["items"]:
                return items
            page += 1

    def login(self, username, password):
        token = self.post("/api/v1/auth/login", {"username": username, "password": password})["access_token"]
        return Api(self.base_url, token)


def by_name(items, key="name"):
    return {item[key]: item for item in items}


def ensure_named(api, path, wanted, body_of):
    """{name: item} of ``path``, creating the ``wanted`` names that are missing."""
    found = by_name(api.all(path))
    for name in wanted:
        if name not in found:
            found[name] = api.post(path, body_of(name))
    return found


def directory(admin):
    departments = ensure_named(admin, "/api/v1/departments", DEPARTMENTS, lambda name: {"name": name})
    users = by_name(admin.all("/api/v1/users"), "username")
    created = []
    for username, full_name, department, roles, _ in USERS:
        if username not in users:
            users[username] = admin.post(
                "/api/v1/users",
                {
                    "username": username,
                    "password": PASSWORD,
                    "full_name": full_name,
                    "email": "{}@saomai.example".format(username),
                    "phone": "+8490{:07d}".format(zlib.crc32(username.encode()) % 10_000_000),
                    "department_id": departments[department]["id"],
                    "roles": roles,
                },
            )
            created.append(username)
    for username, _, department, _, manages in USERS:
        managers = departments[department].get("manager_ids") or []
        if manages and users[username]["id"] not in managers:
            departments[department] = admin.call(
                "PATCH",
                "/api/v1/departments/{}".format(departments[department]["id"]),
                {"manager_ids": sorted(set(managers) | {users[username]["id"]})},
            )
    return departments, users, created


def customers(admin, sessions, users):
    groups = ensure_named(
        admin,
        "/api/v1/customer-groups",
        [name for name, _ in GROUPS],
        lambda name: {"name": name, "points": dict(GROUPS)[name]},
    )
    admin.call("PUT", "/api/v1/settings/potential-rating", {"thresholds": [5, 20, 50, 70, 100]})
    types = ensure_named(
        admin,
        "/api/v1/activity-types",
        ["Gọi điện", "Gặp mặt", "Gửi báo giá"],
        lambda name: {"name": name, "points": {"Gọi điện": 5, "Gặp mặt": 15, "Gửi báo giá": 10}[name]},
    )
    existing = {c["code"] for c in admin.all("/api/v1/customers", q=CODE_PREFIX + "-")}
    group_ids = [group["id"] for group in groups.values()]
    made = 0
    for s, seller in enumerate(SELLERS):
        api = sessions[seller]
        for i in range(CUSTOMERS_PER_SELLER):
            n = s * CUSTOMERS_PER_SELLER + i
            code = "{}-{:04d}".format(CODE_PREFIX, n + 1)
            if code in existing:
                continue
            company = n % 4 == 0
            name = (
                "{} {}".format(COMPANIES[n % len(COMPANIES)], CITIES[n % len(CITIES)])
                if company
                else "{} {}".format(FAMILY[n % len(FAMILY)], GIVEN[n % len(GIVEN)])
            )
            customer = api.post(
                "/api/v1/customers",
                {
                    "code": code,
                    "name": name,
                    "kind": "company" if company else "person",
                    "phone": "+849{:08d}".format(10_000_000 + n),
                    "email": "khach{:04d}@example.vn".format(n + 1),
                    "address": "{} số {}, {}".format("Đường Lê Lợi", n + 1, CITIES[n % len(CITIES)]),
                    "source": ("Website", "Giới thiệu", "Hội chợ")[n % 3],
                    "group_ids": [group_ids[n % len(group_ids)]],
                },
            )
            if company:
                api.post(
                    "/api/v1/customers/{}/contacts".format(customer["id"]),
                    {
                        "name": "Anh {}".format(GIVEN[n % len(GIVEN)]),
                        "phone": "+8491{:07d}".format(n),
                        "position": "Giám đốc",
                    },
                )
            type_name = list(types)[n % len(types)]
            api.post(
                "/api/v1/customers/{}/activities".format(customer["id"]),
                {
                    "type_id": types[type_name]["id"],
                    "title": "{} khách hàng {}".format(type_name, name),
                    "status": ("done", "not_started", "in_progress")[n % 3],
                },
            )
            made += 1
    if made:  # the first seller shares a tenth of their customers with the customer care department
        mine = sessions[SELLERS[0]].all("/api/v1/customers", owner_id=users[SELLERS[0]]["id"])
        sessions[SELLERS[0]].post(
            "/api/v1/customers/bulk/share",
            {
                "customer_ids": [c["id"] for c in mine[::10]],
                "mode": "add",
                "user_ids": [users["hoa.nguyen"]["id"]],
                "level": "view",
            },
        )
    return made


def wait_assigned(api, ticket_id, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ticket = api.get("/api/v1/tickets/{}".format(ticket_id))
        if ticket["status"] != "unassigned":
            return ticket
        time.sleep(0.2)
    raise DemoError("ticket {} was not assigned within {}s".format(ticket_id, timeout))


def tickets(admin, sessions, users):
    types = ensure_named(admin, "/api/v1/ticket-types", ["Khiếu nại", "Yêu cầu hỗ trợ"], lambda name: {"name": name})
    groups = by_name(admin.all("/api/v1/support-groups"))
    name = "Nhóm hỗ trợ khách hàng"
    if name in groups:
        return 0
    members = [("hoa.nguyen", 20), ("thu.vo", 10)]
    group = admin.post(
        "/api/v1/support-groups",
        {
            "name": name,
            "ticket_type_ids": [t["id"] for t in types.values()],
            "members": [{"user_id": users[u]["id"], "priority": p, "capacity": 2} for u, p in members],
        },
    )
    seller = sessions[SELLERS[1]]
    type_id = types["Yêu cầu hỗ trợ"]["id"]
    made = 0
    for state in TICKET_STATES:
        ticket = seller.post(
            "/api/v1/tickets",
            {"title": "Khách hỏi về đơn hàng ({})".format(state), "content": "Demo", "type_id": type_id},
        )
        ticket = wait_assigned(seller, ticket["id"])
        holder = next(api for username, api in sessions.items() if users[username]["id"] == ticket["assignee_id"])
        path = "/api/v1/tickets/{}".format(ticket["id"])
        if state in ("in_progress", "done"):
            holder.post(path + "/start")
        if state == "done":
            holder.post(path + "/complete")
        if state == "on_hold":
            holder.post(path + "/hold")
        if state == "cancelled":
            holder.post(path + "/cancel")
        made += 1
    for username, _ in members:  # both away: the next ticket waits unassigned
        admin.call(
            "PUT",
            "/api/v1/support-groups/{}/members/{}/availability".format(group["id"], users[username]["id"]),
            {"available": False},
        )
    seller.post("/api/v1/tickets", {"title": "Khách cần gọi lại (đang chờ)", "content": "Demo", "type_id": type_id})
    return made + 1


def messages(admin, sessions):
    brandnames = ensure_named(
        admin,
        "/api/v1/brandnames",
        ["SAOMAI", "SAOMAI KM"],
        lambda name: {"name": name, "kind": "care" if name == "SAOMAI" else "advertising"},
    )
    seller = sessions[SELLERS[0]]
    if seller.get("/api/v1/messages", page_size=1)["total"]:
        return 0
    mine = seller.get("/api/v1/customers", page_size=20)["items"]
    batch = seller.post(
        "/api/v1/customers/bulk/sms",
        {"customer_ids": [c["id"] for c in mine], "brandname": "SAOMAI", "content": "Chào {name}, cảm ơn quý khách!"},
        ok=(202,),
    )
    return batch["recipients"] if brandnames else 0


WAREHOUSES = (
    ("KHO-HCM", "Kho Hồ Chí Minh", "12 Nguyễn Huệ, Quận 1"),
    ("KHO-HN", "Kho Hà Nội", "5 Tràng Tiền, Hoàn Kiếm"),
)
PRODUCTS = (("SP-001", "Máy in laser", "cái"), ("SP-002", "Mực in", "hộp"), ("SP-003", "Giấy A4", "ram"))
KEEPER = "quang.bui"  # manages both warehouses
ACCOUNTANT = "hai.do"


def ensure_coded(api, path, key, wanted):
    """{code: item} of ``path``, creating the ``wanted`` bodies whose ``key`` is missing."""
    found = {item[key].upper(): item for item in api.all(path)}
    for body in wanted:
        if body[key].upper() not in found:
            found[body[key].upper()] = api.post(path, body)
    return found


def inventory(admin, sessions, users):
    """Two warehouses the keeper manages, three products, and posted moves (once); returns the moves made."""
    warehouses = ensure_coded(
        admin,
        "/api/v1/warehouses",
        "code",
        [
            {"code": code, "name": name, "address": address, "manager_ids": [users[KEEPER]["id"]]}
            for code, name, address in WAREHOUSES
        ],
    )
    products = ensure_coded(
        admin, "/api/v1/products", "sku", [{"sku": sku, "name": name, "unit": unit} for sku, name, unit in PRODUCTS]
    )
    keeper = sessions[KEEPER]
    main_store, branch = warehouses["KHO-HCM"]["id"], warehouses["KHO-HN"]["id"]
    if keeper.get("/api/v1/stock-moves", warehouse_id=main_store, page_size=1)["total"]:
        return 0
    sku = {code: products[code]["id"] for code, _, _ in PRODUCTS}

    def move(kind, quantities, post=True, **where):
        lines = [{"product_id": sku[code], "quantity": quantity} for code, quantity in quantities]
        made = keeper.post("/api/v1/stock-moves", dict(where, kind=kind, lines=lines))
        if post:
            keeper.post("/api/v1/stock-moves/{}/post".format(made["id"]))

    move("receipt", [("SP-001", 20), ("SP-002", 200), ("SP-003", 500)], warehouse_id=main_store)
    move("transfer", [("SP-002", 40), ("SP-003", 100)], warehouse_id=main_store, to_warehouse_id=branch)
    move("issue", [("SP-001", 3), ("SP-003", 25)], warehouse_id=main_store)
    move("issue", [("SP-002", 5)], post=False, warehouse_id=branch)  # a draft, waiting to be posted
    return 4


def treasury(admin, sessions, users):
    """A cash book and two bank accounts, and vouchers of every kind (once); returns the vouchers made."""
    accountant = sessions[ACCOUNTANT]
    accounts = ensure_named(
        accountant,
        "/api/v1/accounts",
        ["Quỹ tiền mặt", "Vietcombank - TK chính", "Techcombank - TK phụ"],
        lambda name: (
            {"type": "cash", "name": name, "opening_balance": 50_000_000}
            if name == "Quỹ tiền mặt"
            else {
                "type": "bank",
                "name": name,
                "bank_name": name.split(" - ")[0],
                "account_number": "0071000123456" if name.startswith("Vietcombank") else "19034567890123",
                "opening_balance": 200_000_000 if name.startswith("Vietcombank") else 0,
            }
        ),
    )
    cash = accounts["Quỹ tiền mặt"]["id"]
    main_bank = accounts["Vietcombank - TK chính"]["id"]
    other_bank = accounts["Techcombank - TK phụ"]["id"]
    if accountant.get("/api/v1/vouchers", account_id=cash, page_size=1)["total"]:
        return 0
    customer = admin.get("/api/v1/customers", q=CODE_PREFIX, page_size=1)["items"][0]

    def voucher(body, confirm=True):
        made = accountant.post("/api/v1/vouchers", body)
        if confirm:
            accountant.post("/api/v1/vouchers/{}/confirm".format(made["id"]))

    voucher(
        {
            "kind": "receipt",
            "amount": 15_000_000,
            "to_account_id": cash,
            "counterpart_type": "customer",
            "counterpart_id": customer["id"],
            "category": "Bán hàng",
        }
    )
    voucher(
        {
            "kind": "payment",
            "amount": 3_500_000,
            "from_account_id": cash,
            "counterpart_type": "supplier",
            "counterpart_name": "Công ty Văn phòng phẩm Hồng Hà",
            "category": "Văn phòng phẩm",
        }
    )
    in_charge = users[ACCOUNTANT]["id"]
    for kind, amount, source, target in (
        ("cash_to_bank", 20_000_000, cash, main_bank),
        ("internal_transfer", 50_000_000, main_bank, other_bank),
    ):
        voucher(
            {
                "kind": kind,
                "amount": amount,
                "from_account_id": source,
                "to_account_id": target,
                "person_in_charge_id": in_charge,
            }
        )
    voucher(
        {
            "kind": "payment",
            "amount": 2_000_000,
            "from_account_id": cash,
            "counterpart_type": "employee",
            "counterpart_id": users[KEEPER]["id"],
            "category": "Tạm ứng",
        },
        confirm=False,  # a draft, waiting for confirmation
    )
    return 5


def main():
    admin_name = os.environ.get("CRM_ADMIN_USERNAME", "admin")
    admin_password = os.environ.get("CRM_ADMIN_PASSWORD", "admin")
    anonymous = Api(BASE_URL)
    try:
        anonymous.http.get(BASE_URL + "/health", timeout=5)
    except requests.RequestException:
        say("Nothing answers at {}: start the system first (make run).".format(BASE_URL))
        return 1
    try:
        admin = anonymous.login(admin_name, admin_password)
        departments, users, created = directory(admin)
        sessions = {username: anonymous.login(username, PASSWORD) for username, *_ in USERS}
        made = customers(admin, sessions, users)
        made_tickets = tickets(admin, sessions, users)
        sent = messages(admin, sessions)
        moves = inventory(admin, sessions, users)
        vouchers = treasury(admin, sessions, users)
    except DemoError as error:
        say("stopped: {}".format(error))
        return 1
    say(
        "{} departments, {} demo users ({} new), {} new customers, {} new tickets, {} SMS sent, "
        "{} new stock moves, {} new vouchers".format(
            len(departments), len(USERS), len(created), made, made_tickets, sent, moves, vouchers
        )
    )
    say("sign in as any of these with the password {!r} (local demo only):".format(PASSWORD))
    for username, full_name, department, roles, manages in USERS:
        say(
            "  {:<11} {:<22} {}{} ({})".format(
                username, full_name, department, ", manager" if manages else "", ", ".join(roles)
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
