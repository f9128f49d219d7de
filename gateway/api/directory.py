from gateway.api import router
from services.core.contracts.common import page_of
from services.core.contracts.directory import Department, DepartmentQuery, User, UserQuery

TAG = "Directory"


@router.route(
    "GET",
    "/api/v1/departments",
    query=DepartmentQuery,
    response=page_of(Department),
    tag=TAG,
    summary="List departments",
)
def list_departments(req):
    return req.rpc("directory", "list_departments", req.query)


@router.route(
    "POST",
    "/api/v1/departments",
    body=Department,
    response=Department,
    status=201,
    tag=TAG,
    summary="Create a department (admin)",
    errors=(400, 403, 404, 409),
)
def create_department(req):
    body = req.rpc("directory", "create_department", req.body)
    req.actors.drop(body["manager_ids"])  # here at once; the other gateways on actor_changed
    return body


@router.route(
    "GET",
    "/api/v1/departments/<int:department_id>",
    response=Department,
    tag=TAG,
    summary="One department",
    errors=(404,),
)
def get_department(req, department_id):
    return req.rpc("directory", "get_department", department_id)


@router.route(
    "PATCH",
    "/api/v1/departments/<int:department_id>",
    body=Department,
    response=Department,
    tag=TAG,
    summary="Edit a department (admin)",
    errors=(400, 403, 404, 409),
)
def update_department(req, department_id):
    before = req.rpc("directory", "get_department", department_id) if "manager_ids" in req.body else None
    body = req.rpc("directory", "update_department", department_id, req.body)
    if before is not None:  # who starts or stops managing it: here at once, the other gateways on actor_changed
        req.actors.drop(set(before["manager_ids"]) | set(body["manager_ids"]))
    return body


@router.route("GET", "/api/v1/users", query=UserQuery, response=page_of(User), tag=TAG, summary="List users")
def list_users(req):
    return req.rpc("directory", "list_users", req.query)


@router.route(
    "POST",
    "/api/v1/users",
    body=User,
    response=User,
    status=201,
    tag=TAG,
    summary="Create a user (admin)",
    errors=(400, 403, 404, 409),
)
def create_user(req):
    return req.rpc("directory", "create_user", req.body)


@router.route("GET", "/api/v1/users/<int:user_id>", response=User, tag=TAG, summary="One user", errors=(404,))
def get_user(req, user_id):
    return req.rpc("directory", "get_user", user_id)


@router.route(
    "PATCH",
    "/api/v1/users/<int:user_id>",
    body=User,
    response=User,
    tag=TAG,
    summary="Edit a user (admin; anyone may edit their own name, email, phone, password)",
    errors=(400, 403, 404, 409),
)
def update_user(req, user_id):
    body = req.rpc("directory", "update_user", user_id, req.body)
    req.actors.drop([user_id])  # here at once (the user's next /me); the others on actor_changed
    return body
