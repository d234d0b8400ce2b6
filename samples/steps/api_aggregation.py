"""Steps of `api_aggregation.flow`: four simulated REST APIs and the merge of their answers.

Per URL: weather and news answer at once; stocks drops the connection on the first attempt of
each run and answers the retry; traffic never answers in time.
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RESPONSES: dict[str, tuple[float, dict[str, str]]] = {
    "https://api.weather.com/current": (0.01, {"temperature": "18C", "sky": "cloudy"}),
    "https://api.news.com/headlines": (0.02, {"headline": "Parallel flows ship on time"}),
    "https://api.stocks.com/market": (0.015, {"index": "+0.4%"}),
    "https://api.traffic.com/conditions": (1.0, {"congestion": "low"}),
}
DROPS_FIRST_ATTEMPT = {"https://api.stocks.com/market"}

_attempts: dict[str, int] = {}


class InsufficientData(Exception):
    """Fewer APIs answered than the aggregation requires."""


@dataclass(frozen=True)
class ApiResponse:
    url: str
    status: int
    body: dict[str, str]


def reset() -> None:
    """Forget the attempts counted so far."""
    _attempts.clear()


async def fetch_api(url: str, method: str, headers: Mapping[str, str]) -> ApiResponse:
    """One REST call (Kailash's RestClientNode)."""
    if method != "GET":
        raise ValueError(f"unsupported method {method}")
    delay, body = RESPONSES[url]
    await asyncio.sleep(delay)
    if url in DROPS_FIRST_ATTEMPT:
        attempt = _attempts[url] = _attempts.get(url, 0) + 1
        if attempt == 1:
            raise ConnectionError(f"connection reset by {url}")
        _attempts.pop(url)
    if "API-Key" not in headers:
        return ApiResponse(url=url, status=401, body={})
    return ApiResponse(url=url, status=200, body=dict(body))


def _body(response: ApiResponse | None) -> dict[str, str] | None:
    return response.body if response is not None and response.status == 200 else None


def merge_data(
    weather_data: ApiResponse | None,
    news_data: ApiResponse | None,
    stocks_data: ApiResponse | None,
    traffic_data: ApiResponse | None,
) -> dict[str, dict[str, str] | None]:
    """Kailash's MergeNode, "combine_dict": one entry per API, `None` for those that failed."""
    return {
        "weather_data": _body(weather_data),
        "news_data": _body(news_data),
        "stocks_data": _body(stocks_data),
        "traffic_data": _body(traffic_data),
    }


def count_available(responses: Sequence[ApiResponse | None], required: int) -> int:
    """How many APIs answered; raises `InsufficientData` below `required`."""
    available = sum(1 for r in responses if _body(r) is not None)
    if available < required:
        raise InsufficientData(f"{available} of {len(responses)} APIs answered, {required} required")
    return available
