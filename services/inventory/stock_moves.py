"""Use cases of stock moves: drafts (created, edited, cancelled) and posting, which changes on-hand.

Only the managers of the warehouses a move touches (both, for a transfer) and admins see, create,
edit, cancel and post it.  An inactive warehouse takes no new moves: creating, editing towards it
and posting are refused (409).

Posting (:func:`post_move`) is one transaction that changes on-hand for every line or for none:

1. the move's warehouses are locked ``FOR SHARE`` (a deactivation or a deletion waits for the
   posting, and a posting waits for them), then the move ``FOR UPDATE``: of two postings of one
   move, the second finds it posted and answers 409;
2. the on-hand rows of every (warehouse, product) the move touches are locked ``FOR UPDATE`` in
   one fixed order, by (warehouse_id, product_id), so two postings never wait on each other in a
   circle; the rows a line may add to are created first if missing (in the same order).  For a
   receipt or an adjustment, whose rows are all such rows, the statement that reads the lines
   creates and locks them too;
3. :func:`services.inventory.move_effects.post_lines` computes every entry, or every shortage:
   one short line refuses the whole move (422 ``INSUFFICIENT_STOCK`` naming each short product
   and what is on hand) and nothing is written;
4. on-hand, the ledger (``change`` and the running ``quantity``) and the move's status are written
   by one statement, and one ``stock_changed`` event per changed (warehouse, product) by one more
   (:func:`services.core.outbox.record_events`).  The database keeps on-hand ≥ 0 as well (a
   CHECK), in case any other code path ever forgets.

Nothing is sent to the database line by line: whatever the number of lines, a posting is the
same handful of statements (the warehouses, the move, the lines with their rows — for an issue
or a transfer one or two more for the rows —, the write, the outbox, the commit) and no ORM
object, so the on-hand rows stay locked only for as long as those few round trips take.
"""

import datetime

from sqlalchemy import func, or_, select, text

from services.core.actor import require_actor
from services.core.business_time import shown
from services.core.contracts.inventory import StockMove as StockMoveSchema
from services.core.contracts.inventory import StockMoveQuery
from services.core.errors import ConcurrentChange
from services.core.schemas import load, paginate
from services.inventory import exceptions, move_effects
from services.inventory.models import Product, StockMove, StockMoveLine, Warehouse, WarehouseManager
from services.inventory.warehouses import require_manager

move_schema = StockMoveSchema()
summary_schema = StockMoveSchema(exclude=("lines",))
EDITABLE = ("kind", "warehouse_id", "to_warehouse_id", "note", "lines")


def dump(move, lines=None):
    data = (move_schema if lines is None else summary_schema).dump(move)
    if lines is None:
        data["line_count"] = len(data["lines"])
    else:
        data["line_count"] = lines
    return data


def get_or_404(session, move_id, lock=False):
    statement = select(StockMove).where(StockMove.id == move_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    move = session.scalar(statement)
    if move is None:
        raise exceptions.StockMoveNotFound()
    return move


def _check_warehouses(session, actor, data):
    """The move's warehouses exist (404), the actor manages them (403), they are active (409)."""
    wanted = {"warehouse_id": data["warehouse_id"]}
    if data.get("to_warehouse_id") is not None:
        wanted["to_warehouse_id"] = data["to_warehouse_id"]
    found = {w.id: w for w in session.scalars(select(Warehouse).where(Warehouse.id.in_(set(wanted.values()))))}
    for field, warehouse_id in wanted.items():
        if warehouse_id not in found:
            raise exceptions.WarehouseNotFound(fields={field: ["No such warehouse: {}.".format(warehouse_id)]})
    require_manager(session, actor, wanted.values())
    for field, warehouse_id in wanted.items():
        if not found[warehouse_id].active:
            raise exceptions.WarehouseInactive(
                "Warehouse {} is inactive: it takes no new stock moves.".format(found[warehouse_id].code),
                fields={field: ["This warehouse is inactive."]},
            )


def _check_products(session, lines):
    """Every line's product exists (404) and is active (422)."""
    product_ids = [line["product_id"] for line in lines]
    found = dict(session.execute(select(Product.id, Product.active).where(Product.id.in_(product_ids))).all())
    missing = [product_id for product_id in product_ids if product_id not in found]
    if missing:
        raise exceptions.ProductNotFound(
            fields={"lines": ["No such product: {}.".format(", ".join(str(i) for i in missing))]}
        )
    inactive = [product_id for product_id in product_ids if not found[product_id]]
    if inactive:
        raise exceptions.ProductInactive(
            fields={"lines": ["Inactive product: {}.".format(", ".join(str(i) for i in inactive))]}
        )


def _lines(data):
    return [
        StockMoveLine(product_id=line["product_id"], quantity=line["quantity"], position=position)
        for position, line in enumerate(data["lines"])
    ]


def create_move(uow, data):
    """A draft: on-hand changes only when it is posted."""
    require_actor(uow.actor)
    data = load(move_schema, data)
    with uow:
        session = uow.session
        _check_warehouses(session, uow.actor, data)
        _check_products(session, data["lines"])
        move = StockMove(
            kind=data["kind"],
            status="draft",
            warehouse_id=data["warehouse_id"],
            to_warehouse_id=data["to_warehouse_id"],
            note=data["note"],
            created_by=uow.actor.id,
            lines=_lines(data),
        )
        session.add(move)
        session.flush()
        session.refresh(move)
        uow.commit()
        return dump(move)


def list_moves(uow, query):
    """Moves from or to the warehouses the caller manages (every move for an admin), newest first;
    ``warehouse_id`` narrows to one warehouse, 403 unless the caller manages it."""
    require_actor(uow.actor)
    query = load(StockMoveQuery(), query)
    line_count = (
        select(func.count()).where(StockMoveLine.move_id == StockMove.id).correlate(StockMove).scalar_subquery()
    )
    statement = select(StockMove, line_count).order_by(StockMove.id.desc())
    for name in ("kind", "status"):
        if name in query:
            statement = statement.where(getattr(StockMove, name) == query[name])
    with uow:
        session = uow.session
        if "warehouse_id" in query:
            if session.get(Warehouse, query["warehouse_id"]) is None:
                raise exceptions.WarehouseNotFound()
            require_manager(session, uow.actor, [query["warehouse_id"]])
            warehouses = [query["warehouse_id"]]
        elif not uow.actor.is_admin:
            warehouses = select(WarehouseManager.warehouse_id).where(WarehouseManager.user_id == uow.actor.id)
        else:
            warehouses = None
        if warehouses is not None:
            statement = statement.where(
                or_(StockMove.warehouse_id.in_(warehouses), StockMove.to_warehouse_id.in_(warehouses))
            )
        return paginate(
            session, statement, query["page"], query["page_size"], lambda row: dump(row[0], row[1]), rows=True
        )


def get_move(uow, move_id):
    require_actor(uow.actor)
    with uow:
        move = get_or_404(uow.session, move_id)
        require_manager(uow.session, uow.actor, move.warehouse_ids)
        return dump(move)


def _draft_for_change(session, actor, move_id):
    move = get_or_404(session, move_id, lock=True)
    require_manager(session, actor, move.warehouse_ids)
    if move.status != "draft":
        raise exceptions.StockMoveNotDraft()
    return move


def update_move(uow, move_id, data):
    """Edit a draft: any of kind, warehouses, note; ``lines`` replaces every line."""
    require_actor(uow.actor)
    changes = load(move_schema, data, partial=True)
    with uow:
        session = uow.session
        move = _draft_for_change(session, uow.actor, move_id)
        merged = {
            "kind": move.kind,
            "warehouse_id": move.warehouse_id,
            "to_warehouse_id": move.to_warehouse_id,
            "note": move.note,
            "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in move.lines],
        }
        if changes.get("kind", "transfer") != "transfer" and "to_warehouse_id" not in changes:
            merged["to_warehouse_id"] = None  # no longer a transfer: no destination
        merged.update({name: changes[name] for name in EDITABLE if name in changes})
        merged = load(move_schema, merged)
        _check_warehouses(session, uow.actor, merged)
        if "lines" in changes:
            _check_products(session, merged["lines"])
            move.lines = []
            session.flush()
            move.lines = _lines(merged)
        for name in ("kind", "warehouse_id", "to_warehouse_id", "note"):
            setattr(move, name, merged[name])
        move.updated_at = func.now()
        session.flush()
        session.refresh(move)
        uow.commit()
        return dump(move)


def cancel_move(uow, move_id):
    """A cancelled draft stays (it is never posted); a posted move cannot be cancelled (409)."""
    require_actor(uow.actor)
    with uow:
        session = uow.session
        move = _draft_for_change(session, uow.actor, move_id)
        move.status = "cancelled"
        move.cancelled_at = move.updated_at = func.now()
        session.flush()
        session.refresh(move)
        uow.commit()
        return dump(move)


# -- posting ------------------------------------------------------------------------

_LOCK_WAREHOUSES = text(
    "SELECT w.id, w.code, w.active FROM warehouses AS w "
    "WHERE w.id IN (SELECT m.warehouse_id FROM stock_moves AS m WHERE m.id = :id "
    "UNION SELECT m.to_warehouse_id FROM stock_moves AS m WHERE m.id = :id) "
    "ORDER BY w.id FOR SHARE OF w"
)
_LOCK_MOVE = text(
    "SELECT kind, status, warehouse_id, to_warehouse_id, note, created_by, created_at "
    "FROM stock_moves WHERE id = :id FOR UPDATE"
)
_LINES = text("SELECT product_id, quantity FROM stock_move_lines WHERE move_id = :id ORDER BY position")
# A receipt's or an adjustment's lines and their on-hand rows (move_effects.receives_every_row):
# the rows created if missing and locked, in (warehouse_id, product_id) order, in the statement that
# reads the lines (after the move's lock: its snapshot sees the move's last edit).
_LINES_AND_LOCK_ROWS = text(
    "WITH l AS (SELECT product_id, quantity, position FROM stock_move_lines WHERE move_id = :id), "
    "held AS (INSERT INTO stock AS s (warehouse_id, product_id, quantity) "
    "SELECT :w, l.product_id, 0 FROM l ORDER BY l.product_id "
    "ON CONFLICT (warehouse_id, product_id) DO UPDATE SET quantity = s.quantity "
    "RETURNING s.product_id, s.quantity) "
    "SELECT l.product_id, l.quantity, held.quantity AS on_hand FROM l JOIN held USING (product_id) "
    "ORDER BY l.position"
)
_CREATE_ROWS = text(
    "INSERT INTO stock (warehouse_id, product_id, quantity) "
    "SELECT k.w, k.p, 0 FROM unnest(CAST(:w AS integer[]), CAST(:p AS integer[])) AS k(w, p) ORDER BY k.w, k.p "
    "ON CONFLICT (warehouse_id, product_id) DO NOTHING"
)
_LOCK_ROWS = text(
    "SELECT s.warehouse_id, s.product_id, s.quantity FROM stock AS s "
    "JOIN unnest(CAST(:w AS integer[]), CAST(:p AS integer[])) AS k(w, p) "
    "ON s.warehouse_id = k.w AND s.product_id = k.p "
    "ORDER BY s.warehouse_id, s.product_id FOR UPDATE OF s"
)
# On-hand, the ledger rows (in entry order) and the move's status in one statement: the rows are
# already locked and every value computed, so this is the posting's only write round trip
# besides the outbox's.  (Data-modifying CTEs always run to completion, read or not.)
_WRITE_POSTING = text(
    "WITH on_hand AS ("
    "UPDATE stock AS s SET quantity = k.q "
    "FROM unnest(CAST(:fw AS integer[]), CAST(:fp AS integer[]), CAST(:fq AS bigint[])) AS k(w, p, q) "
    "WHERE s.warehouse_id = k.w AND s.product_id = k.p), "
    "ledger AS ("
    "INSERT INTO stock_ledger (warehouse_id, product_id, move_id, change, quantity, posted_at) "
    "SELECT k.w, k.p, :id, k.c, k.q, :posted_at "
    "FROM unnest(CAST(:w AS integer[]), CAST(:p AS integer[]), CAST(:c AS bigint[]), CAST(:q AS bigint[])) "
    "WITH ORDINALITY AS k(w, p, c, q, n) ORDER BY k.n) "
    "UPDATE stock_moves SET status = 'posted', posted_at = :posted_at, posted_by = :actor, updated_at = :posted_at "
    "WHERE id = :id"
)


def _columns(keys):
    return {"w": [key[0] for key in keys], "p": [key[1] for key in keys]}


def _shortage_error(session, shortages, warehouses, lines):
    skus = dict(
        session.execute(select(Product.id, Product.sku).where(Product.id.in_([s.product_id for s in shortages]))).all()
    )
    position = {line["product_id"]: index for index, line in enumerate(lines)}
    parts, fields = [], {}
    for shortage in shortages:
        where = warehouses[shortage.warehouse_id].code
        sku = skus.get(shortage.product_id, str(shortage.product_id))
        parts.append(
            "{} (product {}) in {}: {} on hand, {} needed".format(
                sku, shortage.product_id, where, shortage.available, shortage.requested
            )
        )
        fields["lines.{}.quantity".format(position[shortage.product_id])] = [
            "Only {} on hand of {} in {}.".format(shortage.available, sku, where)
        ]
    return exceptions.InsufficientStock(
        "Not enough stock on hand; nothing was posted. " + "; ".join(parts) + ".", fields=fields
    )


def _lines_and_on_hand(session, move_id, kind, source, target):
    """The move's lines, and the on-hand of the rows it touches, locked (those a line adds to
    created first) in one fixed order."""
    if move_effects.receives_every_row(kind):
        rows = session.execute(_LINES_AND_LOCK_ROWS, {"id": move_id, "w": source}).all()
        lines = [{"product_id": row.product_id, "quantity": row.quantity} for row in rows]
        return lines, {(source, row.product_id): row.on_hand for row in rows}
    lines = [dict(row._mapping) for row in session.execute(_LINES, {"id": move_id})]
    receiving = move_effects.receiving_keys(kind, source, target, lines)
    if receiving:
        session.execute(_CREATE_ROWS, _columns(receiving))
    rows = session.execute(_LOCK_ROWS, _columns(move_effects.stock_keys(kind, source, target, lines)))
    return lines, {(row.warehouse_id, row.product_id): row.quantity for row in rows}


def post_move(uow, move_id):
    """Post a draft: every line changes on-hand, or none does (see the module docstring)."""
    require_actor(uow.actor)
    with uow:
        session = uow.session
        warehouses = {row.id: row for row in session.execute(_LOCK_WAREHOUSES, {"id": move_id})}
        move = session.execute(_LOCK_MOVE, {"id": move_id}).one_or_none()
        if move is None:
            raise exceptions.StockMoveNotFound()
        kind, source, target = move.kind, move.warehouse_id, move.to_warehouse_id
        warehouse_ids = sorted({source, target} - {None})
        require_manager(session, uow.actor, warehouse_ids)
        if move.status != "draft":
            raise exceptions.StockMoveNotDraft()
        if sorted(warehouses) != warehouse_ids:
            raise ConcurrentChange()  # edited to other warehouses meanwhile: post again
        for warehouse_id in warehouse_ids:
            if not warehouses[warehouse_id].active:
                raise exceptions.WarehouseInactive(
                    "Warehouse {} is inactive: it takes no new stock moves.".format(warehouses[warehouse_id].code)
                )
        lines, on_hand = _lines_and_on_hand(session, move_id, kind, source, target)
        posting = move_effects.post_lines(kind, source, target, lines, on_hand)
        if not posting.ok:
            raise _shortage_error(session, posting.shortages, warehouses, lines)
        entries = posting.entries
        final = {(entry.warehouse_id, entry.product_id): entry.quantity for entry in entries}
        posted_at = datetime.datetime.now(datetime.UTC)
        session.execute(
            _WRITE_POSTING,
            {
                "id": move_id,
                "posted_at": posted_at,
                "actor": uow.actor.id,
                "fw": [key[0] for key in final],
                "fp": [key[1] for key in final],
                "fq": list(final.values()),
                "w": [e.warehouse_id for e in entries],
                "p": [e.product_id for e in entries],
                "c": [e.change for e in entries],
                "q": [e.quantity for e in entries],
            },
        )
        uow.record_events(
            "stock_changed",
            [
                {
                    "warehouse_id": entry.warehouse_id,
                    "product_id": entry.product_id,
                    "quantity": entry.quantity,
                    "change": entry.change,
                    "move_id": move_id,
                }
                for entry in entries
            ],
        )
        uow.commit()
    return {
        "id": move_id,
        "kind": kind,
        "warehouse_id": source,
        "to_warehouse_id": target,
        "note": move.note,
        "lines": lines,
        "line_count": len(lines),
        "status": "posted",
        "created_by": move.created_by,
        "posted_by": uow.actor.id,
        "created_at": shown(move.created_at),
        "updated_at": shown(posted_at),
        "posted_at": shown(posted_at),
        "cancelled_at": None,
    }
