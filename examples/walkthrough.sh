#!/usr/bin/env bash
# The README's curl walkthrough as one script, with every answer checked.
#
#   npm start                          # in one terminal
#   bash examples/walkthrough.sh       # in another, from the project folder
#
# BASE is the server (default http://127.0.0.1:8787). KEY is an application key; without one, the
# script creates a key in the local store with the key CLI. OTHER_BUSINESS_KEY, if set, is a key of
# another business: the script then checks that it reaches none of this tenant. ADMIN_KEY is a server
# key of KEY's business for step 8; without one, the script creates one with the key CLI. Each run
# registers a new user name.
# It stops at the first answer that is not the expected one and exits with status 1.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-http://127.0.0.1:8787}
PASSWORD='violet tugboat orchard'
NEW_PASSWORD='amber lighthouse pickle'

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# json FIELD: prints a field of the last answer ("data", "data.token", "status", ...), read with node.
json() {
  node -e '
    let value = JSON.parse(process.argv[1]);
    for (const key of process.argv[2].split(".")) value = value?.[key];
    console.log(typeof value === "string" ? value : JSON.stringify(value ?? null));
  ' "$ANSWER" "$1" 2>/dev/null || fail "the answer is not JSON: $ANSWER"
}

# send METHOD PATH [TOKEN] [BODY] [DEVICE_TOKEN]: sets CODE (the HTTP status) and ANSWER (the body).
send() {
  local args=(-s -o "$ANSWER_FILE" -w '%{http_code}' -X "$1" "$BASE$2" -H "X-API-Key: $KEY")
  if [[ -n ${3:-} ]]; then args+=(-H "X-Token: $3"); fi
  if [[ -n ${4:-} ]]; then args+=(-H 'Content-Type: application/json' -d "$4"); fi
  if [[ -n ${5:-} ]]; then args+=(-H "X-Device-Token: $5"); fi
  CODE=$(curl "${args[@]}") || fail "no answer from $BASE$2 (is the server running? start it with npm start)"
  ANSWER=$(cat "$ANSWER_FILE")
}

# check STEP CODE STATUS: checks the last answer's HTTP status and envelope status, and prints the step.
check() {
  local status
  status=$(json status)
  if [[ $CODE != "$2" || $status != "$3" ]]; then
    fail "$1: expected $2 $3, got $CODE $status: $ANSWER"
  fi
  printf '%-48s %s %s\n' "$1" "$CODE" "$status"
}

ANSWER_FILE=$(mktemp)
trap 'rm -f "$ANSWER_FILE"' EXIT

# 1. An application key. The CLI prints the key alone on the last line.
if [[ -z ${KEY:-} ]]; then
  KEY=$(npm run -s api-key -- create --name walkthrough | tail -n 1)
  [[ $KEY == srk_* ]] || fail "could not create an application key"
fi

USER_NAME="walkthrough-$(node -e 'console.log(crypto.randomUUID())')@example.com"
echo "Walkthrough against $BASE as $USER_NAME"

# 2. Register a tenant: 201, data is the tenant id.
send POST /v1/register '' "{\"userName\":\"$USER_NAME\",\"password\":\"$PASSWORD\",\"firstName\":\"Jane\",\"lastName\":\"Doe\"}"
check 'register' 201 SUCCESS
TENANT_ID=$(json data)

# 3. Log in: 200. Keep the token, and the device token for later logins from this client. A second
#    login, presenting the device token, opens a second session and answers the same device token.
LOGIN_BODY="{\"userName\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}"
send POST /v1/login '' "$LOGIN_BODY"
check 'login' 200 SUCCESS
TOKEN=$(json data.token)
DEVICE=$(json data.deviceToken)
send POST /v1/login '' "$LOGIN_BODY" "$DEVICE"
check 'login again as a known device (a second session)' 200 SUCCESS
OTHER_TOKEN=$(json data.token)
[[ $(json data.deviceToken) == "$DEVICE" ]] || fail "login again as a known device: a new device token was issued"

# The same token through a key of another business answers 401: a business sees only its own tenants.
if [[ -n ${OTHER_BUSINESS_KEY:-} ]]; then
  SAVED_KEY=$KEY KEY=$OTHER_BUSINESS_KEY
  send GET /v1/tenant/profile/change-password/request "$TOKEN"
  check "the token with another business's key" 401 UNAUTHORIZED
  send POST /v1/login '' "$LOGIN_BODY"
  check "the same login with another business's key" 401 INVALID_CREDENTIALS
  KEY=$SAVED_KEY
fi

# 4. Request a concurrency stamp: 200, an upper-case GUID. Every session of the tenant gets the same
#    live stamp until a change uses it.
send GET /v1/tenant/profile/change-password/request "$TOKEN"
check 'request a stamp' 200 SUCCESS
STAMP=$(json data)
[[ $STAMP =~ ^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$ ]] ||
  fail "the stamp is not an upper-case GUID: $STAMP"
send GET /v1/tenant/profile/change-password/request "$OTHER_TOKEN"
check 'request a stamp from the second session' 200 SUCCESS
[[ $(json data) == "$STAMP" ]] || fail "the second session got another stamp: $(json data), not $STAMP"

# 5. Change the password: 200, data is the tenant id. The same request again answers 409.
CHANGE_BODY="{\"existingPassword\":\"$PASSWORD\",\"newPassword\":\"$NEW_PASSWORD\",\"concurrencyStamp\":\"$STAMP\"}"
send PUT /v1/tenant/profile/change-password "$TOKEN" "$CHANGE_BODY"
check 'change the password' 200 SUCCESS
[[ $(json data) == "$TENANT_ID" ]] || fail "change the password: data is $(json data), not the tenant id $TENANT_ID"
send PUT /v1/tenant/profile/change-password "$TOKEN" "$CHANGE_BODY"
check 'send the same change again (stamp used up)' 409 CHANGE_PASSWORD_FAILED

# 6. The old password no longer logs in; the new one does.
send POST /v1/login '' "$LOGIN_BODY"
check 'log in with the old password' 401 INVALID_CREDENTIALS
send POST /v1/login '' "{\"userName\":\"$USER_NAME\",\"password\":\"$NEW_PASSWORD\"}" "$DEVICE"
check 'log in with the new password' 200 SUCCESS
NEW_TOKEN=$(json data.token)

# The session that changed the password still works; the other one opened before it was revoked.
send GET /v1/tenant/profile/change-password/request "$TOKEN"
check 'the session that made the change still works' 200 SUCCESS
send GET /v1/tenant/profile/change-password/request "$OTHER_TOKEN"
check 'the second session was revoked by the change' 401 UNAUTHORIZED

# 7. Log out: 200. The token is revoked, so using it again answers 401.
send POST /v1/logout "$NEW_TOKEN"
check 'log out' 200 SUCCESS
send POST /v1/logout "$NEW_TOKEN"
check 'use the logged-out token' 401 UNAUTHORIZED

# 8. The business's back end, with a server key: look the tenant up by user name, issue a password
#    reset, and the tenant sets a new password with it. Every session ends; the token is single use.
if [[ -z ${ADMIN_KEY:-} ]]; then
  ADMIN_KEY=$(npm run -s api-key -- create --name walkthrough-admin --kind server | tail -n 1)
  [[ $ADMIN_KEY == srk_* ]] || fail "could not create a server key"
fi
send GET "/v1/admin/tenants?userName=$USER_NAME"
check 'look the tenant up with the publishable key' 403 KEY_NOT_ALLOWED
SAVED_KEY=$KEY KEY=$ADMIN_KEY
send GET "/v1/admin/tenants?userName=$USER_NAME"
check 'look the tenant up with the server key' 200 SUCCESS
[[ $(json data.id) == "$TENANT_ID" ]] || fail "look the tenant up: data.id is $(json data.id), not $TENANT_ID"
send POST "/v1/admin/tenants/$TENANT_ID/password-reset"
check 'issue a password reset' 201 SUCCESS
RESET_TOKEN=$(json data.resetToken)
KEY=$SAVED_KEY
send POST /v1/login '' "{\"userName\":\"$USER_NAME\",\"password\":\"$NEW_PASSWORD\"}" "$DEVICE"
check 'log in before the reset' 200 SUCCESS
BEFORE_RESET=$(json data.token)
RESET_BODY="{\"resetToken\":\"$RESET_TOKEN\",\"newPassword\":\"copper meadow lantern\"}"
send POST /v1/password-reset '' "$RESET_BODY"
check 'complete the reset' 200 SUCCESS
[[ $(json data) == "$TENANT_ID" ]] || fail "complete the reset: data is $(json data), not the tenant id $TENANT_ID"
send POST /v1/password-reset '' "$RESET_BODY"
check 'use the reset token again' 409 RESET_TOKEN_INVALID
send GET /v1/tenant/profile/change-password/request "$BEFORE_RESET"
check 'a session from before the reset was revoked' 401 UNAUTHORIZED
send POST /v1/login '' "{\"userName\":\"$USER_NAME\",\"password\":\"copper meadow lantern\"}" "$DEVICE"
check 'log in with the password set by the reset' 200 SUCCESS

echo "walkthrough: all steps answered as expected"
