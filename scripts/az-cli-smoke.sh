#!/usr/bin/env bash
# The standard Azure CLI against the local ARM emulator, unchanged.
#
# Installs azure-cli from PyPI into a virtual environment (target/az-cli-venv,
# not committed; AZ_VENV overrides it), starts `azrelo emulator serve` over
# HTTPS and runs, with an isolated AZURE_CONFIG_DIR:
#   az cloud register --endpoint-resource-manager   (reads GET /metadata/endpoints)
#   az login --identity                             (App Service managed identity:
#                                                    IDENTITY_ENDPOINT/IDENTITY_HEADER point
#                                                    at the emulator's /msi/token)
#   az rest (without login, explicit bearer header), az group create, az group list,
#   az deployment group create --template-file, az rest (relative URL, CLI token),
#   az resource list, az storage account create / check-name, az disk create, az snapshot create --incremental,
#   az snapshot create --copy-start (to another region, completionPercent polled),
#   az disk create --source (the copy), az group delete
# Every step prints PASS or FAIL; the exit code is the number of failures.
# It downloads (pip), so it stays outside .ci/run.
#   scripts/az-cli-smoke.sh [LATENCY] [token]
#     LATENCY: off | fast | realistic (default fast)
#     token:   serve with --token (a JWT-shaped token generated here; the CLI
#              decodes its `tid` claim after `az login --identity`) instead of
#              test mode (any bearer token)
set -euo pipefail
cd "$(dirname "$0")/.."
latency="${1:-fast}"
venv="${AZ_VENV:-target/az-cli-venv}"
port="${AZ_SMOKE_PORT:-18643}"
work="$(mktemp -d)"
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$venv/bin/az" ]; then
    echo "installing azure-cli from PyPI into $venv (a few minutes)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q azure-cli
fi
az="$venv/bin/az"
echo "azure-cli $("$az" version --query '"azure-cli"' -o tsv 2>/dev/null)"

identity_header=azrelo-emulator
if [ "${2:-}" = token ]; then
    # header.claims.signature, base64url; the emulator compares it verbatim.
    b64() { python3 -c 'import base64,sys;print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip("="))' "$1"; }
    identity_header="$(b64 '{"alg":"RS256","typ":"JWT"}').$(b64 '{"tid":"72f988bf-0000-0000-0000-00000000e001","oid":"smoke","exp":4102444800}').$(b64 "smoke-$RANDOM$RANDOM")"
    export AZRELO_EMULATOR_TOKEN="$identity_header"
fi
cargo build -q -p azrelo
target/debug/azrelo emulator serve --addr "127.0.0.1:$port" --cert-out "$work/ca.pem" \
    --latency "$latency" 2>"$work/emulator.log" &
pid=$!
unset AZRELO_EMULATOR_TOKEN
for _ in $(seq 1 100); do
    grep -q "listening on" "$work/emulator.log" 2>/dev/null && break
    sleep 0.1
done
cat "$work/emulator.log"

base="https://127.0.0.1:$port"
export AZURE_CONFIG_DIR="$work/az" REQUESTS_CA_BUNDLE="$work/ca.pem"
export AZURE_CORE_COLLECT_TELEMETRY=false AZURE_CORE_NO_COLOR=true AZURE_CORE_ONLY_SHOW_ERRORS=true
# The emulator as an App Service managed-identity endpoint (any header value
# in test mode; with `serve --token T` it must be T).
export IDENTITY_ENDPOINT="$base/msi/token" IDENTITY_HEADER="$identity_header"
sub=00000000-0000-0000-0000-000000000001

failures=0
step() {
    local name="$1"
    shift
    local start=$SECONDS
    if out="$("$@" 2>&1)"; then
        echo "PASS  $name ($((SECONDS - start)) s)"
    else
        echo "FAIL  $name ($((SECONDS - start)) s)"
        printf '%s\n' "$out" | tail -n 8 | sed 's/^/      /'
        failures=$((failures + 1))
    fi
}
expect() { # expect TEXT CMD... : CMD succeeds and prints TEXT
    local want="$1"
    shift
    local got
    got="$("$@")" && grep -q -- "$want" <<<"$got"
}

cat >"$work/template.json" <<'JSON'
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  // Comments are legal in ARM templates; the CLI sends the text verbatim.
  "parameters": { "prefix": { "type": "string", "defaultValue": "smoke" } },
  "resources": [
    {
      "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
      "name": "[concat(parameters('prefix'), '-nsg')]", "location": "[resourceGroup().location]",
      "properties": { "securityRules": [] }
    },
    {
      "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01",
      "name": "[concat(parameters('prefix'), '-vnet')]", "location": "[resourceGroup().location]",
      "dependsOn": [ "[resourceId('Microsoft.Network/networkSecurityGroups', concat(parameters('prefix'), '-nsg'))]" ],
      "properties": {
        "addressSpace": { "addressPrefixes": [ "10.1.0.0/16" ] },
        "subnets": [ { "name": "default", "properties": { "addressPrefix": "10.1.0.0/24",
          "networkSecurityGroup": { "id": "[resourceId('Microsoft.Network/networkSecurityGroups', concat(parameters('prefix'), '-nsg'))]" } } } ]
      }
    }
  ],
  "outputs": { "vnetId": { "type": "string", "value": "[resourceId('Microsoft.Network/virtualNetworks', concat(parameters('prefix'), '-vnet'))]" } }
}
JSON

step "az rest without login (explicit bearer header)" \
    expect "$sub" "$az" rest --skip-authorization-header --headers "Authorization=Bearer $identity_header" \
    --url "$base/subscriptions?api-version=2022-12-01"
if [ "${2:-}" = token ]; then
    step "az rest with another token is refused (401)" \
        bash -c "! \"$az\" rest --skip-authorization-header --headers 'Authorization=Bearer other' --url '$base/subscriptions?api-version=2022-12-01'"
fi
step "az cloud register (from /metadata/endpoints)" \
    "$az" cloud register --name AzreloEmulator --endpoint-resource-manager "$base/"
step "az cloud set" "$az" cloud set --name AzreloEmulator
step "az login --identity (emulated managed identity)" \
    expect "$sub" "$az" login --identity --query "[].id" -o tsv
step "az group create" \
    expect Succeeded "$az" group create -n rg-smoke -l swedencentral --query properties.provisioningState -o tsv
step "az group list" expect rg-smoke "$az" group list --query "[].name" -o tsv
step "az deployment group create --template-file" \
    expect Succeeded "$az" deployment group create -g rg-smoke --template-file "$work/template.json" \
    --parameters prefix=smoke --query properties.provisioningState -o tsv
step "az rest (relative URL, CLI token)" \
    expect 10.1.0.0/24 "$az" rest --method get \
    --url "/subscriptions/$sub/resourceGroups/rg-smoke/providers/Microsoft.Network/virtualNetworks/smoke-vnet?api-version=2023-09-01"
step "az resource list" expect smoke-nsg "$az" resource list -g rg-smoke --query "[].name" -o tsv
# The disk data path of a VM relocation with the CLI's own disk commands.
wait_copy() { # wait until the copied snapshot's completionPercent is 100
    for _ in $(seq 1 120); do
        [ "$("$az" snapshot show -g rg-smoke-target -n os-copy --query completionPercent -o tsv)" = "100.0" ] && return 0
        sleep 1
    done
    return 1
}
step "az storage account create (checkNameAvailability, 202)" \
    expect Succeeded "$az" storage account create -g rg-smoke -n stazrelosmoke01 --sku Standard_LRS \
    --query provisioningState -o tsv
step "az storage account check-name (taken)" \
    expect AlreadyExists "$az" storage account check-name -n stazrelosmoke01 --query reason -o tsv
step "az group create (target region)" "$az" group create -n rg-smoke-target -l northeurope -o none
step "az disk create" expect Unattached "$az" disk create -g rg-smoke -n os --size-gb 16 --query diskState -o tsv
step "az snapshot create --incremental" \
    expect true "$az" snapshot create -g rg-smoke -n os-snap --source os --incremental true --query incremental -o tsv
step "az snapshot create --copy-start (cross-region)" \
    expect Succeeded "$az" snapshot create -g rg-smoke-target -n os-copy -l northeurope --incremental true \
    --copy-start true --source "/subscriptions/$sub/resourceGroups/rg-smoke/providers/Microsoft.Compute/snapshots/os-snap" \
    --query provisioningState -o tsv
step "completionPercent reaches 100" wait_copy
step "az disk create --source (the copy)" \
    expect 16 "$az" disk create -g rg-smoke-target -n os --source os-copy --query diskSizeGB -o tsv
step "az group delete (target)" "$az" group delete -n rg-smoke-target --yes
step "az group delete" "$az" group delete -n rg-smoke --yes
step "az group list (after delete)" bash -c "! \"$az\" group list --query '[].name' -o tsv | grep -q rg-smoke"

echo "$failures failure(s)"
exit "$failures"
