"""What ``move`` / ``add`` / ``remove`` (groups) and ``add`` / ``transfer`` / ``remove`` (shares) mean.

A customer holds a set of keys (group ids, or share targets), each with a value (nothing
for groups, the level for shares).  A mode says whether the keys that were not chosen
stay, and whether the chosen keys are set (with the chosen value) or taken away:

=========  ============  ===========
mode       others stay   chosen are
=========  ============  ===========
move       no            set
transfer   no            set
add        yes           set
remove     yes           removed
=========  ============  ===========

:meth:`Mode.after` states it on plain dicts; the SQL of the bulk actions is built from
the same two flags (:meth:`Mode.removes`, :meth:`Mode.sets_chosen`).
"""

from dataclasses import dataclass

from sqlalchemy import false, not_, or_


@dataclass(frozen=True)
class Mode:
    name: str
    keeps_others: bool
    sets_chosen: bool

    def after(self, current, chosen):
        """The keys (dict key -> value) a customer holds after the change."""
        result = {key: value for key, value in current.items() if key not in chosen} if self.keeps_others else {}
        if self.sets_chosen:
            result.update(chosen)
        return result

    def removes(self, is_chosen):
        """SQL: the rows this mode deletes (``is_chosen``: the row's key is one of the chosen).

        Chosen rows whose value differs are not deleted but updated (see the callers).
        """
        conditions = []
        if not self.keeps_others:
            conditions.append(not_(is_chosen))
        if not self.sets_chosen:
            conditions.append(is_chosen)
        return or_(*conditions) if conditions else false()


GROUP_MODES = {
    mode.name: mode
    for mode in (
        Mode("move", keeps_others=False, sets_chosen=True),
        Mode("add", keeps_others=True, sets_chosen=True),
        Mode("remove", keeps_others=True, sets_chosen=False),
    )
}

SHARE_MODES = {
    mode.name: mode
    for mode in (
        Mode("transfer", keeps_others=False, sets_chosen=True),
        Mode("add", keeps_others=True, sets_chosen=True),
        Mode("remove", keeps_others=True, sets_chosen=False),
    )
}
