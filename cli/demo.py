"""Demo data: two centres, a user for every role, ~30 cases at every stage of their pathways.

Cases are made the way real ones are: opened through intake on a virtual clock set to their admission
day, then moved on by completing tasks and firing deadlines up to today. Some cases are left with late
work, so the inbox shows overdue tasks. Loading twice changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from cli.demo_places import build_rooms, demo_sex, furnish
from engine.casework import cases, deadlines, family, intake_data
from engine.clock import FrozenClock, local_date
from engine.pathways import versions
from engine.pathways.forms import Form
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.places import ADULT_AGE
from engine.people.roles import ROLES
from engine.people.users import create_user
from engine.services import Services
from engine.store.models import Case, CaseTask, Deadline, User
from engine.store.uow import UnitOfWork

DEMO_PASSWORD = "casepath-demo"  # noqa: S105 - demo mode only; printed in the README
CASES_PER_CENTRE = {"kc-demo": 18, "cop-demo": 12}
FIRST_NAMES = [
    "Мария",
    "Иван",
    "Елена",
    "Георги",
    "Десислава",
    "Петя",
    "Николай",
    "Радост",
    "Камелия",
    "Стоян",
    "Виктория",
    "Борис",
    "Галина",
    "Калин",
    "Мила",
    "Христо",
    "Анелия",
    "Тодор",
    "Йоана",
    "Васил",
]
LAST_INITIALS = "АБВГДЕЖЗИКЛМНОПРСТУФ"
# The letterhead of the demo centres' documents: a post-office box, never the confidential address.
KC_CONTACT = ("п.к. 120, 8600 Ямбол", "046 000 112", "kc-nadezhda@example.org")
COP_CONTACT = ("бул. „Розова долина“ 2, 6100 Казанлък", "0431 00 000", "cop-detstvo@example.org")
MEN = ["Иван", "Георги", "Николай", "Стоян", "Борис", "Калин", "Христо", "Тодор", "Васил"]


@dataclass(frozen=True)
class CasePlan:
    centre: str
    display_name: str
    birth_date: date
    legal_basis: str
    target_group: str
    days_ago: int
    lag_days: int  # how long staff take to do a task; a long lag leaves overdue work
    sex: str = ""  # "" lets demo_sex choose
    leaves: bool = False  # the plan's goals are met at the first review: the person leaves
    children: tuple[tuple[str, int, str], ...] = ()  # (name, age, sex) admitted with her, a family

    @property
    def cases(self) -> int:
        return 1 + len(self.children)


# The crisis centre's year, told so that it is coherent: 11 residents on its 12 places (a mother with
# her two children in the family room, six women, two men exploited for labour), the last child's place
# in the family room free, two women waiting for a woman's place, and seven people who have left.
# (days ago, adult age or child age, sex, legal basis, target group, lag days, leaves, children)
KC_ROSTER: tuple[tuple[int, int, str, str, str, int, bool, tuple[tuple[str, int, str], ...]], ...] = (
    (
        25,
        34,
        "female",
        "referral",
        "domestic_violence",
        1,
        False,
        (("Ани", 7, "female"), ("Боян", 4, "male")),
    ),
    (1, 29, "female", "urgent", "domestic_violence", 1, False, ()),
    (3, 23, "female", "referral", "trafficking", 1, False, ()),
    (15, 41, "female", "referral", "domestic_violence", 30, False, ()),
    (40, 37, "female", "urgent", "domestic_violence", 30, False, ()),
    (100, 26, "female", "trafficking_referral", "trafficking", 1, False, ()),
    (165, 52, "female", "referral", "domestic_violence", 1, False, ()),
    (9, 44, "male", "urgent", "exploitation", 1, False, ()),
    (70, 31, "male", "referral", "exploitation", 30, False, ()),
    (130, 33, "female", "referral", "domestic_violence", 1, True, ()),
    (155, 48, "female", "urgent", "domestic_violence", 1, True, ()),
    (190, 27, "female", "referral", "trafficking", 1, True, ()),
    (200, 58, "female", "referral", "domestic_violence", 1, False, ()),  # reaches the 6-month cap
    (145, 39, "male", "referral", "exploitation", 1, True, ()),
    (120, 12, "female", "order", "child_at_risk", 1, True, ()),
    (175, 15, "male", "police", "child_at_risk", 1, True, ()),
)


def username_for(centre: str, role: str) -> str:
    return f"{centre.split('-')[0]}-{role.replace('_', '-')}"


def load_demo(services: Services, progress: Callable[[int, int], None] = lambda done, total: None) -> str:
    now = services.clock.now()
    with services.uow() as uow:
        kc = ensure_centre(
            uow,
            SYSTEM,
            "kc-demo",
            "Кризисен център „Надежда“ (демо)",
            "crisis_centre",
            12,
            "ул. „Примерна“ 1, Ямбол (поверителен адрес)",
        )
        cop = ensure_centre(
            uow,
            SYSTEM,
            "cop-demo",
            "Център за обществена подкрепа „Детство“ (демо)",
            "community_support",
            60,
            "бул. „Образцов“ 5, Казанлък",
        )
        for demo_centre, contact in ((kc, KC_CONTACT), (cop, COP_CONTACT)):
            if not demo_centre.correspondence_address:  # outgoing documents carry it, never the address
                demo_centre.correspondence_address, demo_centre.phone, demo_centre.email = contact
        versions.deploy_shipped(uow, services.settings.workflows_dir, services.forms, SYSTEM)
        for centre in CASES_PER_CENTRE:
            for role in ROLES:
                if (
                    uow.session.scalar(
                        select(User.id).where(User.username == username_for(centre, role.code))
                    )
                    is None
                ):
                    create_user(
                        uow,
                        SYSTEM,
                        username_for(centre, role.code),
                        DEMO_PASSWORD,
                        centre,
                        role.code,
                        role.lane_bg,
                    )
        existing = uow.session.scalar(select(func.count()).select_from(Case)) or 0
        uow.commit()
    if existing:
        return f"demo data already loaded ({existing} cases)"
    build_rooms(services)
    plans = case_plans(random.Random(20261122))
    total, done = sum(plan.cases for plan in plans), 0
    for plan in plans:
        make_case(services, plan, now)
        done += plan.cases
        progress(done, total)
    furnish(services, now)
    return (
        f"loaded {total} demo cases in kc-demo and cop-demo; users <centre>-<role>, password {DEMO_PASSWORD}"
    )


def case_plans(rng: random.Random) -> list[CasePlan]:
    plans = [_kc_plan(rng, *row) for row in KC_ROSTER]
    for centre, count in CASES_PER_CENTRE.items():
        if centre == "kc-demo":
            continue
        for index in range(count):
            child = centre == "cop-demo" or index % 3 == 0
            age = rng.randint(3, 16) if child else rng.randint(19, 60)
            days_ago = [1, 3, 9, 15, 25, 40, 70, 100, 130, 155, 175, 200][index % 12] + rng.randint(0, 3)
            plans.append(
                CasePlan(
                    centre=centre,
                    display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_INITIALS)}.",
                    birth_date=date(2026 - age, rng.randint(1, 12), rng.randint(1, 28)),
                    legal_basis=_legal_basis(centre, child, index),
                    target_group=_target_group(centre, index),
                    days_ago=days_ago,
                    lag_days=30 if index % 4 == 1 else 1,
                )
            )
    return sorted(plans, key=lambda plan: (plan.centre, -plan.days_ago))  # numbers follow admissions


def _kc_plan(
    rng: random.Random,
    days_ago: int,
    age: int,
    sex: str,
    legal_basis: str,
    target_group: str,
    lag_days: int,
    leaves: bool,
    children: tuple[tuple[str, int, str], ...],
) -> CasePlan:
    initials = LAST_INITIALS
    name = ""
    if sex == "male":
        name = f"{rng.choice(MEN)} {rng.choice(initials)}."
    elif age >= ADULT_AGE or sex == "female":
        name = f"{rng.choice([n for n in FIRST_NAMES if n not in MEN])} {rng.choice(initials)}."
    family = tuple(
        (f"{child} {name.split()[-1]}", child_age, child_sex) for child, child_age, child_sex in children
    )
    return CasePlan(
        centre="kc-demo",
        display_name=name,
        birth_date=date(2026 - age, rng.randint(1, 10), rng.randint(1, 28)),
        legal_basis=legal_basis,
        target_group=target_group,
        days_ago=days_ago,
        lag_days=lag_days,
        sex=sex,
        leaves=leaves,
        children=family,
    )


def _legal_basis(centre: str, child: bool, index: int) -> str:
    if centre == "cop-demo":
        return ["walk_in", "referral", "municipality_referral", "self_request"][index % 4]
    if child:
        return ["order", "police", "court", "trafficking_referral"][index % 4]
    return ["referral", "urgent", "referral"][index % 3]


def _target_group(centre: str, index: int) -> str:
    if centre == "cop-demo":
        return "child_at_risk"
    return ["domestic_violence", "trafficking", "domestic_violence", "exploitation"][index % 4]


def make_case(services: Services, plan: CasePlan, now: datetime) -> int:
    """Open a case ``plan.days_ago`` before ``now`` and work it up to ``now``; its id."""
    clock = FrozenClock(now - timedelta(days=plan.days_ago))
    with services.uow(clock) as uow:
        centre = cases.get_centre(uow, plan.centre)
        intake = cases.Intake(
            centre_code=plan.centre,
            display_name=plan.display_name,
            legal_basis=plan.legal_basis,
            target_group=plan.target_group,
            birth_date=plan.birth_date,
            referral_number=f"ДСП-{local_date(clock.now()).year}-{1000 + plan.days_ago}",
            referral_date=local_date(clock.now()),
            sex=plan.sex or demo_sex(plan.target_group, _age(plan, clock.now()) < 18, plan.days_ago),
        )
        manager = _staff(uow, plan.centre, centre.id, "manager")
        if plan.children:  # a mother with her children: linked cases in the family room
            children = [
                family.Child(name, date(plan.birth_date.year + (_age(plan, clock.now()) - age), 6, 1), sex)
                for name, age, sex in plan.children
            ]
            case, kids = family.admit_family(uow, manager, replace(intake, admitted_at=clock.now()), children)
        else:
            case, kids = cases.open_case(uow, manager, intake), []
        uow.commit()
        case_ids = [case.id, *(kid.id for kid in kids)]
    start = clock.now()
    for case_id in case_ids:
        work_case(services, FrozenClock(start), plan, case_id, now)
    return case_ids[0]


def work_case(services: Services, clock: FrozenClock, plan: CasePlan, case_id: int, until: datetime) -> None:
    """Work the case like its team would, until today: tasks done after ``lag_days``, deadlines fired."""
    lag = timedelta(days=plan.lag_days)
    for _ in range(400):
        with services.uow(clock) as uow:
            task = uow.session.scalar(
                select(CaseTask)
                .where(CaseTask.case_id == case_id, CaseTask.status == "open")
                .order_by(CaseTask.created_at)
            )
            deadline = uow.session.scalar(
                select(Deadline)
                .where(Deadline.case_id == case_id, Deadline.status == "pending")
                .order_by(Deadline.due_at)
            )
            task_at = task.created_at + lag if task is not None else None
            if (
                deadline is not None
                and deadline.due_at <= until
                and (task_at is None or deadline.due_at <= task_at)
            ):
                clock.set(max(clock.now(), deadline.due_at))
                deadlines.fire_deadline(uow, deadline.id)
            elif task is not None and task_at is not None and task_at <= until:
                clock.set(max(clock.now(), task_at))
                who = _staff(uow, plan.centre, task.centre_id, task.role)
                data = _answers(services.forms.get(task.form_key)) if task.form_key else {}
                if plan.leaves and "goals_met" in data:  # the plan's goals are met: the stay ends
                    data["goals_met"] = True
                cases.complete_task(uow, who, task.public_id, data, services.forms)
            else:
                return
            uow.commit()


def _age(plan: CasePlan, now: datetime) -> int:
    return intake_data.age_on(plan.birth_date, local_date(now)) or 0


def _staff(uow: UnitOfWork, centre: str, centre_id: int, role: str) -> Principal:
    user_id = uow.session.scalar(select(User.id).where(User.username == username_for(centre, role)))
    return Principal(user_id, username_for(centre, role), {centre_id: role})


def _answers(form: Form) -> dict[str, Any]:
    """The form's defaults, and yes to every yes/no a case may require (the child co-signs the plan)."""
    fields = form.schema.get("properties", {})
    signed = {name: True for name in form.required_when() if fields[name].get("type") == "boolean"}
    return {**form.defaults(), **signed}
