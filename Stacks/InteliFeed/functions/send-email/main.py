# InteliFeed edge function: a transactional e-mail through SendGrid, invoked by the API servers
# (never public). The key is read from Secrets Manager (SENDGRID_SECRET).
# Event {"to": ..., "subject": ..., "text": ...}.
import json, os, urllib.request
import boto3

def handler(event, context):
    key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SENDGRID_SECRET"])["SecretString"]
    mail = event
    request = urllib.request.Request(
        "https://api.sendgrid.com/v3/mail/send",
        data=json.dumps({"personalizations": [{"to": [{"email": mail["to"]}]}], "from": {"email": os.environ["FROM"]},
                         "subject": mail.get("subject", ""), "content": [{"type": "text/plain", "value": mail.get("text", "")}]}).encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=20).read()
    return {"sent": mail["to"]}
