"""A cited CNN article redirected to its section front, as the landing-page tests
(test_moves.py, test_landings.py) judge it."""

from datetime import UTC, datetime

from citecheck.models import CheckResult, Hop, Reason, Status

ARTICLE = "https://edition.cnn.com/2021/05/04/tech/pimeyes-facial-recognition/index.html"
FRONT = "https://edition.cnn.com/business/tech"
CHECKED_AT = datetime(2025, 6, 1, tzinfo=UTC)


def redirected(
    url: str,
    final: str,
    reason: Reason = Reason.REDIRECT_UNVERIFIED,
    status: Status = Status.REDIRECTED,
) -> CheckResult:
    """``url``'s check, permanently redirected to ``final`` (titled as CNN's front)."""
    return CheckResult(
        url=url,
        checked_at=CHECKED_AT,
        status=status,
        reason=reason,
        final_url=final,
        redirects=(Hop(url, 301, final),),
        title="Tech News - CNN",
        detail="permanently redirected",
    )
