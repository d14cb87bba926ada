# ComplyFlow edge function: turn a summary into speech with ElevenLabs and store it in the
# public voice-summaries bucket. The key is read from Secrets Manager (ELEVENLABS_SECRET).
# POST {"id": "...", "text": "..."} → the audio's URL.
import json, os, urllib.request
import boto3

def handler(event, context):
    key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["ELEVENLABS_SECRET"])["SecretString"]
    body = json.loads(event.get("body") or "{}")
    request = urllib.request.Request(
        "https://api.elevenlabs.io/v1/text-to-speech/" + os.environ.get("VOICE", "21m00Tcm4TlvDq8ikWAM"),
        data=json.dumps({"text": body.get("text", "")}).encode(),
        headers={"xi-api-key": key, "Content-Type": "application/json", "Accept": "audio/mpeg"})
    with urllib.request.urlopen(request, timeout=50) as response:
        audio = response.read()
    name = "summaries/%s.mp3" % body.get("id", context.aws_request_id)
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=name, Body=audio, ContentType="audio/mpeg")
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"url": "https://%s.s3.amazonaws.com/%s" % (os.environ["BUCKET"], name)})}
