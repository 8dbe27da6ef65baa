#!/usr/bin/env bash
# The offline walk-through: starts `azcert emulator`, registers a first
# management certificate the way the portal would, then runs
# new -> upload -> list -> upload again -> service certificate -> delete,
# and stops the emulator. Needs only Go; runs in a temporary directory.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
emu_pid=""
cleanup() {
	if [[ -n "$emu_pid" ]]; then kill -TERM "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "$*"; "$@"; }

go build -o "$work/azcert" "$repo/cmd/azcert"
export PATH="$work:$PATH"
cd "$work"
export PW="demo-$(date +%s)-Pa55"   # the .pfx passwords for this demo

run azcert new azcert-mgmt --for management --name mgmt --password env:PW

step "azcert emulator --listen 127.0.0.1:0 --trust mgmt.cer --service contoso-web --operation-delay 1s &"
azcert emulator --listen 127.0.0.1:0 --trust mgmt.cer --service contoso-web --operation-delay 1s >emulator.out 2>emulator.err &
emu_pid=$!
for _ in $(seq 1 100); do
	grep -q '^ca-file: ' emulator.out 2>/dev/null && break
	kill -0 "$emu_pid" 2>/dev/null || { cat emulator.err >&2; exit 1; }
	sleep 0.1
done
cat emulator.out
url="$(sed -n 's/^url: //p' emulator.out)"
sub="$(sed -n 's/^subscription: //p' emulator.out)"
ca="$(sed -n 's/^ca-file: //p' emulator.out)"
[[ -n "$url" && -n "$sub" && -n "$ca" ]] || { echo "the emulator did not start" >&2; exit 1; }

# The connection settings every command below shares, from the environment.
export AZCERT_ENDPOINT="$url" AZCERT_CA_FILE="$ca" AZCERT_SUBSCRIPTION="$sub"
export AZCERT_AUTH_CERT=mgmt.pfx AZCERT_AUTH_PASSWORD="$PW"
step "export AZCERT_ENDPOINT=$url AZCERT_CA_FILE=$ca AZCERT_SUBSCRIPTION=$sub AZCERT_AUTH_CERT=mgmt.pfx AZCERT_AUTH_PASSWORD=\$PW"

run azcert new ci-deploy --for management --password env:PW
run azcert upload ci-deploy.cer
run azcert list
run azcert upload ci-deploy.cer            # a rerun: already registered, still exit 0
run azcert new contoso.net www.contoso.net --password env:PW
run azcert upload contoso.net.pfx --service contoso-web --in-password env:PW
run azcert list --service contoso-web
run azcert delete ci-deploy.cer --yes
run azcert delete ci-deploy.cer --yes      # already gone: says so, exit 0
run azcert list

# API Management, through Azure Resource Manager (served by the same emulator).
token="$(sed -n 's/^arm-token: //p' emulator.out)"
export AZCERT_ARM_ENDPOINT="$url" AZCERT_ACCESS_TOKEN="$token"
step "export AZCERT_ARM_ENDPOINT=$url AZCERT_ACCESS_TOKEN=<the emulator's arm-token>"
run azcert new backend-client.contoso.net --for apim-backend --password env:PW
run azcert apim upload backend-client.contoso.net.pfx --in-password env:PW --resource-group azcert-rg --service azcert-apim
run azcert apim upload backend-client.contoso.net.pfx --in-password env:PW --resource-group azcert-rg --service azcert-apim
run azcert apim list --resource-group azcert-rg --service azcert-apim
run azcert new partner-a --for client --password env:PW
run azcert policy apim --cert partner-a.cer --fragment

# Azure Key Vault (the same emulator and token).
vault="$(sed -n 's/^keyvault-url: //p' emulator.out)"
export AZCERT_VAULT="$vault"
step "export AZCERT_VAULT=$vault"
run azcert keyvault import contoso.net.pfx --in-password env:PW
run azcert keyvault import contoso.net.pfx --in-password env:PW   # the current version already: nothing imported
run azcert keyvault list
run azcert keyvault delete contoso-net --yes
run azcert keyvault recover contoso-net

step "kill -TERM <emulator>"
kill -TERM "$emu_pid"
wait "$emu_pid" || true
emu_pid=""
printf '\nThe walk-through finished.\n'
