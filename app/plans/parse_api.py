"""JSON API: a plan draft read from the plan's text (nothing is saved)."""
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from app.accounts.deps import ApiUser
from app.core.db import UnitOfWork
from app.core.errors import ApiError, field_error
from app.plans.parser import MAX_TEXT_BYTES, PlanDraft, parse_plan_text

router = APIRouter(prefix="/api/v1/plans", tags=["plans"], route_class=UnitOfWork)


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


def check_text(text: str, path: str = "body.text") -> None:
    if not text.strip():
        raise ApiError(422, "validation_error", "Dữ liệu không hợp lệ.",
                       [field_error(path, "empty", "Chưa có nội dung kế hoạch.")])
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ApiError(422, "validation_error", "Dữ liệu không hợp lệ.",
                       [field_error(path, "too_large", f"Văn bản dài quá {MAX_TEXT_BYTES // 1000} KB.")])


@router.post("/parse", response_model=PlanDraft)
def parse_plan(body: ParseRequest, user: ApiUser) -> PlanDraft:
    """Reads number, title, issuer, dates, period, legal bases, budget by source, forms and the tasks
    named under "TỔ CHỨC THỰC HIỆN" (each with its kind: agency, sub_unit, official, group) or listed
    under "NỘI DUNG, NHIỆM VỤ" (content), with draft targets. `warnings` lists what was not found."""
    check_text(body.text)
    return parse_plan_text(body.text)
