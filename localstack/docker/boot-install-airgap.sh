#!/bin/bash
# LocalStack BOOT init hook (runs inside the container before LocalStack starts):
# installs the airgap extension package mounted at /opt/airgap-ext into LocalStack's venv.
set -euo pipefail
rm -rf /tmp/airgap-ext && mkdir -p /tmp/airgap-ext
cp -r /opt/airgap-ext/pyproject.toml /opt/airgap-ext/airgap_ext /tmp/airgap-ext/
PIP=/opt/code/localstack/.venv/bin/pip
[ -x "$PIP" ] || PIP="$(command -v pip)"
"$PIP" install -q --no-deps /tmp/airgap-ext
# the IAM lint's dependencies (POST /_airgap/iam/lint answers 501 without them)
"$PIP" install -q "policy-sentry==0.15.2" "parliament==1.6.4" \
  || echo "airgap: policy-sentry/parliament not installed; /_airgap/iam/lint is unavailable"
echo "airgap extension installed"
