"""The visibility rule's SQL is built once per actor (services/customers/visibility.py): equal
actors share it, any difference in what the rule depends on gives another."""

from sqlalchemy.dialects import postgresql

from services.core.actor import Actor
from services.customers.visibility import editable, visible


def sql(clause):
    return str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_equal_actors_share_one_rule_and_each_shape_is_its_own():
    first, again = Actor(id=2, department_id=10), Actor(id=2, department_id=10)
    assert visible(first) is visible(again)
    assert visible(first, one=True) is visible(again, one=True)
    assert (
        len({id(visible(first)), id(visible(first, one=True)), id(editable(first)), id(editable(first, one=True))}) == 4
    )


def test_another_actor_gets_the_rule_of_their_own():
    first = Actor(id=2, department_id=10)
    others = [
        Actor(id=3, department_id=10),
        Actor(id=2, department_id=11),
        Actor(id=2, department_id=10, managed_department_ids=(12,)),
        Actor(id=2, department_id=10, roles=("admin",)),
    ]
    rules = [sql(visible(actor)) for actor in [first] + others]
    assert len(set(rules)) == len(rules)
    assert "customers.owner_id = 3" in rules[1] and "target_id = 11" in rules[2] and "12" in rules[3]
