"""Litestar application factory."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging.config import LoggingConfig
from litestar.middleware.base import DefineMiddleware
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from server import audit
from server.admission import Admission, Lane, admission_middleware, busy_problem
from server.auth import relay
from server.auth.controller import AuthController, DeviceController
from server.auth.middleware import TokenAuthMiddleware
from server.bodies import LeveeRequest
from server.catalog.controller import ChecklistTemplateController, PartController, SlaPolicyController
from server.changes import current_seq
from server.contacts.controller import contact_routes
from server.contracts.controller import ContractController
from server.customers.controller import customer_routes
from server.db.engine import autocommit, make_engine, make_sessionmaker
from server.db.meta import ensure_server_meta
from server.db.migrate import upgrade
from server.deps import provide_db_session, provide_principal
from server.directory.controller import (
    CustomerController,
    EquipmentController,
    SiteController,
    UserController,
)
from server.directory.engineers import EngineerLoadController
from server.errors import Invalid, problem_code
from server.escalation.controller import EscalationController, NotificationController
from server.escalation.scanner import EscalationRunner
from server.inspections.controller import InspectionController, InspectionReportController
from server.inspections.generator import ScheduleRunner
from server.jobs.controller import JobController, PhotoController, ServiceFormController
from server.jobs.decision import ManagerDecisionController
from server.notify import ChangeNotifier, PgListener, install_after_commit_hook
from server.openapi import LeveeOpenAPIConfig
from server.pwa import ROUTES as pwa_routes
from server.replication.queue import ConflictQueueController
from server.reports.controller import ExportController, ReportController
from server.settings import Settings
from server.stock.controller import PartsReportController, StockController
from server.stock.planning_controller import PlanningController
from sync.protocol import PROTOCOL_VERSION, ProtocolMismatch

log = logging.getLogger("levee.server")

PUBLIC_PATHS = ["^/schema", "^/health$", "^/api/auth/login$", "^/app(/|$)"]


@get("/health", exclude_from_auth=True, tags=["ops"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
    body = {
        "status": 409,
        "title": "Conflict",
        "detail": "this conflicts with an existing record",
        **problem_code("record.duplicate"),
    }
    return Response(body, status_code=409, media_type="application/problem+json")


#: PostgreSQL errors caused by a value the client sent, as SQLSTATE -> what the 400 says. Text too long
#: for its column (22001) is caught before the flush (``server/db/limits.py``); this is the backstop for
#: statements written without the ORM. PostgreSQL refuses a NUL character in text (22021) and ``\u0000`` in JSON (22P05), which SQLite stores; a time
#: like 9999-12-31T23:59:59.999999Z reaches it as infinity, and arithmetic on it overflows (22008).
_NUL = ("text may not contain NUL characters (\\u0000)", problem_code("text.nul"))
_OUT_OF_RANGE = ("a time or number is out of range", problem_code("value.out_of_range"))
_CLIENT_VALUE_ERRORS = {
    "22001": ("a text is longer than its field allows", problem_code("value.too_long")),
    "22021": _NUL,
    "22P05": _NUL,
    "22003": _OUT_OF_RANGE,
    "22008": _OUT_OF_RANGE,
}


def _bad_request(
    request: Request[Any, Any, Any], detail: str, code: dict[str, Any]
) -> Response[dict[str, Any]]:
    """A 400 with the refusal's ``code`` and ``params`` (from ``problem_code``) beside its detail."""
    log.warning("refused on %s %s: %s", request.method, request.url.path, detail)
    body = {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail, **code}
    return Response(body, status_code=400, media_type="application/problem+json")


def _server_error() -> Response[dict[str, Any]]:
    """Litestar's own answer to an unhandled exception (which it has logged already)."""
    return Response({"status_code": 500, "detail": "Internal Server Error"}, status_code=500)


#: PostgreSQL's answers when it is out of room for now (too many connections, out of memory or locks).
#: A deadlock (40P01) or a serialization failure (40001) between two writers is transient too: PostgreSQL
#: rolled the transaction back, so nothing was changed and the same request can simply be sent again.
_BUSY_SQLSTATES = frozenset({"53000", "53100", "53200", "53300", "53400", "55P03", "57P03", "40P01", "40001"})


def _busy(request: Request[Any, Any, Any], why: str) -> Response[dict[str, Any]]:
    """The database is overloaded, not broken: nothing was changed, so the client may simply retry."""
    log.warning("busy on %s %s: %s", request.method, request.url.path, why)
    lane = request.app.state.admission.lane_for(request.url.path)
    body, headers = busy_problem(lane.retry_after() if lane is not None else 1)
    return Response(body, status_code=503, media_type="application/problem+json", headers=headers)


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    """A value the database cannot take is the client's 400; a database out of room for now is a 503
    (SQLite still locked after its busy timeout, PostgreSQL out of connections); anything else a 500."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    known = _CLIENT_VALUE_ERRORS.get(sqlstate)
    if known:
        return _bad_request(request, *known)
    if sqlstate in _BUSY_SQLSTATES or "database is locked" in str(exc.orig):
        return _busy(request, f"{type(exc.orig).__name__}: {exc.orig}")
    return _server_error()


def _pool_timeout(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[dict[str, Any]]:
    """No database connection came free in time: overload, answered like a full lane."""
    return _busy(request, str(exc).split("(", 1)[0])


def _out_of_range(
    request: Request[Any, Any, Any], exc: OverflowError | StatementError
) -> Response[dict[str, Any]]:
    """A time or number past what Python or the database can hold (9999-12-31T23:59-14:00) is a 400."""
    if isinstance(exc, StatementError) and not isinstance(exc.orig, OverflowError):
        return _server_error()
    return _bad_request(request, *_OUT_OF_RANGE)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Every HTTP error as RFC 9457 problem details, with field errors under ``errors``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(exc.status_code).phrase,
        "status": exc.status_code,
        "detail": exc.detail,
    }
    if isinstance(exc.extra, dict):
        body.update(exc.extra)
    elif exc.extra:
        body["errors"] = exc.extra
    return Response(
        body, status_code=exc.status_code, media_type="application/problem+json", headers=exc.headers
    )


def _protocol_mismatch(request: Request[Any, Any, Any], exc: ProtocolMismatch) -> Response[dict[str, Any]]:
    """A push or pull naming another sync protocol version: 422, before the rest of the body is judged."""
    return _http_error(
        request,
        Invalid(
            str(exc),
            field="protocol",
            code="sync.protocol_mismatch",
            params={"sent": exc.sent, "speaks": PROTOCOL_VERSION},
        ),
    )


def _admission(settings: Settings) -> Admission:
    sync, office = settings.admission_limits()
    wait = settings.admission_wait_ms / 1000

    def lane(name: str, limit: int) -> Lane:
        return Lane(name, limit, queue=settings.admission_queue or 4 * limit, max_wait=wait)

    return Admission(sync=lane("sync", sync), office=lane("office", office))


def _state(settings: Settings, engine: AsyncEngine, migrate: bool) -> dict[str, Any]:
    """What a running app works on: its settings, database, sessions, change notifier and admission."""
    sessionmaker = make_sessionmaker(engine)
    notifier = ChangeNotifier()
    install_after_commit_hook(notifier, sessionmaker.kw.setdefault("info", {}))
    return {
        "settings": settings,
        "sessionmaker": sessionmaker,
        "engine": engine,
        "autocommit_engine": autocommit(engine),  # the token check's single statements (server/auth)
        "notifier": notifier,
        "migrate": migrate,
        "admission": _admission(settings),
    }


async def _on_startup(app: Litestar) -> None:
    state = app.state
    settings: Settings = state.settings
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if state.migrate:
        await upgrade(state.engine)
    key = audit.use_settings_key(state.engine, settings)  # the audit key, outside the database
    state.relay_key = relay.load_key(settings)  # the console's proof when it names a browser's address
    async with state.sessionmaker() as session:
        where = "LEVEE_AUDIT_KEY" if settings.audit_key else str(audit.key_path(settings.data_dir))
        await audit.check_key(session, key, where)
        state.epoch = await ensure_server_meta(session)
        state.notifier.publish(await current_seq(session), {None})
    if not settings.is_sqlite:
        listener = PgListener(settings.resolved_database_url, state.notifier)
        listener.start()
        state.listener = listener
    runner = ScheduleRunner(
        state.sessionmaker,
        settings.timezone,
        settings.schedule_interval_s,
        grace_s=state.get("schedule_grace_s", 30),  # `levee serve` stops within 2 s (server/serving.py)
    )
    runner.start()
    state.schedule_runner = runner
    escalation = EscalationRunner(
        state.sessionmaker, settings, grace_s=state.get("schedule_grace_s", 30)
    )  # promises due or missed, backup due, major faults: docs/escalation.md
    escalation.start()
    state.escalation_runner = escalation


async def _on_shutdown(app: Litestar) -> None:
    runner = getattr(app.state, "schedule_runner", None)
    if runner is not None:
        await runner.stop()
    escalation = getattr(app.state, "escalation_runner", None)
    if escalation is not None:
        await escalation.stop()
    listener = getattr(app.state, "listener", None)
    if listener is not None:
        await listener.stop()
    await app.state.engine.dispose()


def rebind(app: Litestar, settings: Settings, *, engine: AsyncEngine, migrate: bool = True) -> Litestar:
    """Point an app made by :func:`create_app` (and shut down) at other settings and another database.

    For the test suite: registering some two hundred routes costs Litestar a third of a second, and
    hundreds of tests each want a fresh app over a fresh database. Settings fixed when the app was
    built (the body-size limit) must match.
    """
    if settings.max_body_bytes != app.request_max_body_size:
        raise ValueError("max_body_bytes differs from the built app's: build a new app with create_app")
    for key in ("epoch", "listener", "schedule_runner", "escalation_runner"):
        if key in app.state:
            del app.state[key]
    for key, value in _state(settings, engine, migrate).items():
        app.state[key] = value
    return app


def create_app(
    settings: Settings | None = None, *, engine: AsyncEngine | None = None, migrate: bool = True
) -> Litestar:
    """Build the app; on start-up it migrates the database (unless told not to) and records its epoch."""
    settings = settings or Settings()
    engine = engine or make_engine(settings.resolved_database_url, echo=settings.sql_echo)

    from server.delivery.controller import DeliveryDocumentController
    from server.knowledge.controller import KnowledgeController
    from server.loans.controller import BackupUnitController, LoanController
    from server.paid.controller import PaidRepairsController
    from server.people.controller import PeopleController
    from server.quality.controller import QualityIncidentController
    from server.replication.controller import ConflictController, SyncController
    from server.returns.controller import (
        AppraisalController,
        CompensationController,
        ReturnController,
        SupplierClaimController,
    )
    from server.returns.report import ReturnsReportController
    from server.stations.controller import RegionController, StationController

    return Litestar(
        route_handlers=[
            health,
            AuthController,
            DeviceController,
            UserController,
            CustomerController,
            SiteController,
            EquipmentController,
            SlaPolicyController,
            ContractController,
            ManagerDecisionController,
            ChecklistTemplateController,
            PartController,
            JobController,
            PhotoController,
            ReportController,
            InspectionController,
            InspectionReportController,
            SyncController,
            ConflictController,
            StockController,
            PartsReportController,
            PlanningController,
            EngineerLoadController,
            ConflictQueueController,
            ServiceFormController,
            ExportController,
            customer_routes,
            contact_routes,
            BackupUnitController,
            LoanController,
            PaidRepairsController,
            ReturnController,
            AppraisalController,
            SupplierClaimController,
            CompensationController,
            ReturnsReportController,
            NotificationController,
            EscalationController,
            DeliveryDocumentController,
            QualityIncidentController,
            StationController,
            RegionController,
            PeopleController,
            KnowledgeController,
            *pwa_routes,
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        middleware=[admission_middleware, DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers={
            IntegrityError: _integrity_error,
            DBAPIError: _database_error,
            PoolTimeout: _pool_timeout,
            StatementError: _out_of_range,
            OverflowError: _out_of_range,
            HTTPException: _http_error,
            ProtocolMismatch: _protocol_mismatch,
        },
        openapi_config=LeveeOpenAPIConfig(
            title="Levee API", version="0.1.0", path="/schema", public_paths=PUBLIC_PATHS
        ),
        request_max_body_size=settings.max_body_bytes,
        request_class=LeveeRequest,
        on_startup=[_on_startup],
        on_shutdown=[_on_shutdown],
        state=State(_state(settings, engine, migrate)),
        logging_config=LoggingConfig(
            log_exceptions="always",
            disable_stack_trace={400, 401, 403, 404, 405, 409, 413, 422, ProtocolMismatch},
        ),
        debug=False,
    )
