"""GET /healthz: liveness only. It touches no table, so an outage of a dependency does not make
the load balancer or a monitor recycle healthy functions."""
import json


def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps({"status": "ok"}),
    }
