"""Radar: agents report in (upstream's protocol) through the function URL; one last-seen record per agent.

Answers 200 with a `radar` object, 401 `{"Auth": "Failed"}` on a wrong token, 400 naming a bad field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from p2p_core.models.function_url import FunctionUrlRequest
from p2p_core.radar.endpoint import RadarAnswer, radar_for
from p2p_core.workflow.runtime import clients_for, current_deployment

logger = Logger()


@event_parser(model=FunctionUrlRequest)
def handler(event: FunctionUrlRequest, context: LambdaContext) -> dict[str, Any]:
    """Answer one report; emit the reports counted per region at most once a minute (EMF)."""
    deployment = current_deployment()
    radar = radar_for(deployment, clients_for(deployment))
    now = datetime.now(UTC)
    answer = radar.answer(event.raw_query, event.source_ip, now) if event.method == "GET" else RadarAnswer(405, {})
    if answer.status == 400:
        logger.warning("report refused", extra=answer.body)
    for region, count in radar.tally.take_due(now).items():
        with single_metric(name="AgentReports", unit=MetricUnit.Count, value=count) as metric:
            metric.add_dimension(name="Region", value=region)
    headers = {"content-type": "application/json"}
    return {"statusCode": answer.status, "headers": headers, "body": json.dumps(answer.body)}
