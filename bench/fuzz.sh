#!/usr/bin/env bash
# Schemathesis against a live gunicorn, as every demo role and anonymous: no 5xx, and every
# documented response matching its schema. Longer and random, unlike the derandomized CI test
# (tests/api/test_fuzz.py).
#
#   bench/fuzz.sh                      # 200 cases per operation and identity
#   FUZZ_EXAMPLES=1000 bench/fuzz.sh   # longer
#   FUZZ_IDENTITIES="clerk leader" bench/fuzz.sh   # some identities only
#   FUZZ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/motcua_fuzz (default; created if missing)
#
# Prints each identity's summary and exits non-zero when any run found a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
EXAMPLES="${FUZZ_EXAMPLES:-200}"
export DATABASE_URL="${FUZZ_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/motcua_fuzz}"
export DEBUG=false SECRET_KEY=fuzz-only ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
# The citizens' look-up throttles would answer 429 to nearly everything after the first minute.
export PUBLIC_LOOKUP_RATE_PER_CLIENT="${PUBLIC_LOOKUP_RATE_PER_CLIENT:-100000/min}"
export PUBLIC_LOOKUP_RATE_PER_DOSSIER="${PUBLIC_LOOKUP_RATE_PER_DOSSIER:-100000/min}"

if [[ "$DATABASE_URL" == postgres* ]]; then
  "$PY" - <<'EOF'
import os
from urllib.parse import urlparse

import psycopg

url = urlparse(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
EOF
fi
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo --dossiers 300 >/dev/null

declare -A TOKENS
while read -r role token; do
  TOKENS[$role]=$token
done < <("$PY" manage.py shell -c "
from rest_framework.authtoken.models import Token
from procedures.models import User
for role in ['clerk', 'specialist', 'approver', 'inspector', 'leader', 'admin']:
    user = User.objects.get(username=role)
    print('TOKEN', role, Token.objects.get_or_create(user=user)[0].key)
" 2>/dev/null | sed -n 's/^TOKEN //p')

LOG=$(mktemp -t motcua-fuzz-gunicorn.XXXXXX.log)
echo "gunicorn's log: $LOG"
PORT=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
.venv/bin/gunicorn config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 4 \
  --worker-class gthread --log-level warning >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/schema/" && break
  sleep 1
done

status=0
for identity in ${FUZZ_IDENTITIES:-anonymous clerk specialist approver inspector leader admin}; do
  echo "=== $identity ==="
  args=()
  if [[ "$identity" != anonymous ]]; then
    args=(-H "Authorization: Token ${TOKENS[$identity]}")
  fi
  .venv/bin/st run "http://127.0.0.1:$PORT/api/schema/?format=json" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$EXAMPLES" --workers 2 --continue-on-failure \
    --suppress-health-check all --warnings off "${args[@]}" || status=1
done
exit $status
