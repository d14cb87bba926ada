# InteliFeed edge function: Stripe's webhook. Checks the event's signature with the webhook
# secret (Secrets Manager, STRIPE_SECRET holds {"webhook_secret": ...}) and answers 200 for
# events it knows; the app's database is told through the API (API_URL).
import hashlib, hmac, json, os, time, urllib.request
import boto3

def handler(event, context):
    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["STRIPE_SECRET"])["SecretString"])
    payload = event.get("body") or ""
    header = dict(part.split("=", 1) for part in (event.get("headers") or {}).get("stripe-signature", "").split(",") if "=" in part)
    expected = hmac.new(secret["webhook_secret"].encode(), (header.get("t", "") + "." + payload).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header.get("v1", "")) or abs(time.time() - int(header.get("t", "0"))) > 300:
        return {"statusCode": 400, "body": "bad signature"}
    stripe_event = json.loads(payload)
    request = urllib.request.Request(os.environ["API_URL"] + "/internal/billing", data=json.dumps(stripe_event).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=20).read()
    return {"statusCode": 200, "body": "ok"}
