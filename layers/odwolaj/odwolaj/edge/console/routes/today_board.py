"""Today's board (reception and the manager): the day's visits, and each one's outcome recorded
(attended, or did not come)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from odwolaj.core.errors import InvalidInput, InvalidTransition
from odwolaj.edge.console import http, today
from odwolaj.edge.console.routes.common import ConsoleRouter, logger
from odwolaj.usecases import today_board as today_board_usecase

router = ConsoleRouter()


@router.get("/panel/dzis")
def today_page() -> Response:
    session = router.session()
    return http.html(200, today.board_page(session, today_board_usecase.board(session),
                                           notice=today.NOTICES.get(router.query().get("ok", ""))))


@router.post("/panel/dzis/<appointment_id>")
def record_attendance(appointment_id: str) -> Response:
    session, form = router.posted("today")
    outcome = form.get("outcome", "")
    try:
        today_board_usecase.record_outcome(session, appointment_id, outcome)
    except (InvalidInput, InvalidTransition) as error:
        return http.html(400 if isinstance(error, InvalidInput) else 409, today.board_page(
            session, today_board_usecase.board(session), problem=today.outcome_problem(error)))
    logger.info("attendance recorded", extra={"appointment_id": appointment_id, "outcome": outcome})
    return http.see_other(f"/panel/dzis?ok={'odbyta' if outcome == 'attended' else 'nieobecnosc'}")
