"""The registry of a state machine's transitions: one table per machine, read by the engine,
the API, the admin (and the desk).

A model's django-fsm methods say what each transition does (source, target, conditions,
permission); its `Machine` says everything else about each action: the label shown, the text it
requires, who is named next, the input serializer of its endpoint. The names, labels and text
fields that consumers need are derived from it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.functional import cached_property
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from core import engine

NOT_PERMITTED = _("You are not allowed to do this.")


@dataclass(frozen=True)
class Action:
    """One action of a machine: a django-fsm method of the same name on the model."""

    name: str
    label: str
    # The text the action requires ("reason", "opinion", "conclusion", "note"), if any.
    text_field: str | None = None
    # The dotted path of the API input serializer of its endpoint.
    input: str = ""
    # The role of the person who may be named to take the object next, if any.
    assignee_role: str | None = None
    # The kind of notice the citizen is sent when it happens, if any.
    notice: str | None = None

    @property
    def input_serializer(self):
        return import_string(self.input)


# Each model's machine, as registered when its registry module is imported.
MACHINES: dict[type, "Machine"] = {}


def available_actions(obj, user) -> list[tuple[str, bool, str | None]]:
    """For the machine of `obj`: (action, allowed, why not) for each action its state allows."""
    return MACHINES[type(obj)].available_actions(obj, user)


def log_row(model, *, keys: dict, action, source, target, actor, at, note, payload):
    """The row of a transition log (`model`) with the usual columns and its `keys` (the
    object's): a `Machine.log` is this with the log model and keys of its machine."""
    return model, {
        **keys,
        "action": action,
        "source_state": source,
        "target_state": target,
        "actor_id": actor.pk,
        "at": at,
        "note": note,
        "payload": payload,
    }


@dataclass(eq=False)
class Machine:
    """A state machine: its model, state field and actions, and how its transitions are saved.

    - `log(entry)` returns the log row to write with the change: (model, column values);
    - `gate(obj, actor, action)` returns an error to raise before the state is even looked at
      (a role that may never do the action, a parent object in the wrong state), or None;
    - `extra_rows(obj, action, at)` returns other rows to write with the change (the citizen's
      notice), and `after_commit(rows)` is called with them once written;
    - `lock(obj)` re-reads the object with a row lock (machines whose conditions read other
      tables); without it the version check alone guards against concurrent changes;
    - `not_allowed` is the message when the state does not allow the action;
    - `note_argument`: the transition methods take the note too (findings);
    - `records`: actions that leave the state as it is but are logged like transitions
      (attaching the result document), name → label; saved by `record`.
    """

    model: type
    field: str
    actions: Iterable[Action]
    log: Callable
    gate: Callable | None = None
    extra_rows: Callable | None = None
    after_commit: Callable | None = None
    lock: Callable | None = None
    check_arguments: Callable | None = None
    not_allowed: str | None = None
    version_field: str | None = None
    touched_field: str | None = "updated_at"
    note_argument: bool = False
    records: dict = field(default_factory=dict)
    by_name: dict = field(init=False)

    def __post_init__(self):
        self.actions = tuple(self.actions)
        self.by_name = {action.name: action for action in self.actions}
        MACHINES[self.model] = self

    # --- derived tables ---------------------------------------------------------------------

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(self.by_name)

    @cached_property
    def labels(self) -> dict:
        return {action.name: action.label for action in self.actions}

    @cached_property
    def log_labels(self) -> dict:
        """The label of every action a log entry of this machine can name."""
        return {**self.records, **self.labels}

    @cached_property
    def text_fields(self) -> dict:
        return {a.name: a.text_field for a in self.actions if a.text_field}

    @cached_property
    def assignee_roles(self) -> dict:
        return {a.name: a.assignee_role for a in self.actions if a.assignee_role}

    @cached_property
    def notices(self) -> dict:
        return {a.name: a.notice for a in self.actions if a.notice}

    def roles(self, name: str) -> frozenset | None:
        """The roles that may do `name` from some state (None: not a matter of role)."""
        return self._roles[name]

    @cached_property
    def _roles(self) -> dict:
        found = {}
        for name in self.names:
            roles = set()
            for rule in engine.declared_rules(self.model, name):
                allowed = getattr(rule.permission, "roles", None)
                if allowed is None:
                    roles = None
                    break
                roles |= allowed
            found[name] = None if roles is None else frozenset(roles)
        return found

    # --- asking -------------------------------------------------------------------------------

    def refusal(self, obj, user, name: str):
        """Why `user` may not do `name` on `obj` now (an ApplicationError), or None."""
        return engine.refusal(self, obj, user, name)

    def available_actions(self, obj, user) -> list[tuple[str, bool, str | None]]:
        """The actions the state of `obj` allows: (name, whether `user` may do it now, and if
        not, why, as a message to show beside a disabled button)."""
        found = []
        for name in sorted(self.names):  # by name, the order django-fsm lists them in
            if engine.rule_for(self, obj, name) is None:
                continue
            error = engine.refusal(self, obj, user, name)
            found.append((name, error is None, None if error is None else str(error.message)))
        return found

    def allowed_actions(self, obj, user) -> list[str]:
        return [name for name, allowed, _reason in self.available_actions(obj, user) if allowed]

    def apply(self, *, obj, actor, action, note="", at=None, **arguments):
        """Apply `action` (see core.engine.apply); returns the object as saved."""
        return engine.apply(
            self, obj=obj, actor=actor, action=action, note=note, at=at, **arguments
        )

    def record(self, *, obj, actor, action, changes, note="", at=None, payload=None):
        """Save and log an action of `records` (see core.engine.record)."""
        return engine.record(
            self,
            obj=obj,
            actor=actor,
            action=action,
            changes=changes,
            note=note,
            at=at,
            payload=payload,
        )
