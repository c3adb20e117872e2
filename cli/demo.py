"""Demo data: two centres, a user for every role, ~30 cases at every stage of their pathways.

Cases are made the way real ones are: opened through intake on a virtual clock set to their admission
day, then moved on by completing tasks and firing deadlines up to today. Some cases are left with late
work, so the inbox shows overdue tasks. Loading twice changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from cli.demo_places import demo_sex, furnish
from engine.casework import cases, deadlines, intake_data
from engine.clock import FrozenClock, local_date
from engine.pathways import versions
from engine.pathways.forms import Form
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
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


@dataclass(frozen=True)
class CasePlan:
    centre: str
    display_name: str
    birth_date: date
    legal_basis: str
    target_group: str
    days_ago: int
    lag_days: int  # how long staff take to do a task; a long lag leaves overdue work


def username_for(centre: str, role: str) -> str:
    return f"{centre.split('-')[0]}-{role.replace('_', '-')}"


def load_demo(services: Services, progress: Callable[[int, int], None] = lambda done, total: None) -> str:
    now = services.clock.now()
    with services.uow() as uow:
        ensure_centre(
            uow,
            SYSTEM,
            "kc-demo",
            "Кризисен център „Надежда“ (демо)",
            "crisis_centre",
            12,
            "ул. „Примерна“ 1, Ямбол (поверителен адрес)",
        )
        ensure_centre(
            uow,
            SYSTEM,
            "cop-demo",
            "Център за обществена подкрепа „Детство“ (демо)",
            "community_support",
            60,
            "бул. „Образцов“ 5, Казанлък",
        )
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
    plans = case_plans(random.Random(20261122))
    for done, plan in enumerate(plans, start=1):
        make_case(services, plan, now)
        progress(done, len(plans))
    furnish(services, now)
    return (
        f"loaded {len(plans)} demo cases in kc-demo and cop-demo; "
        f"users <centre>-<role>, password {DEMO_PASSWORD}"
    )


def case_plans(rng: random.Random) -> list[CasePlan]:
    plans = []
    for centre, count in CASES_PER_CENTRE.items():
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
    return plans


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
            sex=demo_sex(plan.target_group, _age(plan, clock.now()) < 18, plan.days_ago),
        )
        case = cases.open_case(uow, _staff(uow, plan.centre, centre.id, "manager"), intake)
        uow.commit()
        case_id = case.id
    work_case(services, clock, plan, case_id, now)
    return case_id


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
