# ComplyFlow edge function: analyse a policy document with OpenAI. The key is read from
# Secrets Manager (OPENAI_SECRET), never from the code. POST {"text": "..."} → the model's answer.
import json, os, urllib.request
import boto3

def handler(event, context):
    key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["OPENAI_SECRET"])["SecretString"]
    text = json.loads(event.get("body") or "{}").get("text", "")
    request = urllib.request.Request(
        "https://api.openai.com/v1/chat/completions",
        data=json.dumps({"model": os.environ.get("MODEL", "gpt-4o-mini"),
                         "messages": [{"role": "system", "content": "List the compliance gaps in this policy."},
                                      {"role": "user", "content": text}]}).encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=50) as response:
        answer = json.load(response)["choices"][0]["message"]["content"]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"analysis": answer})}
