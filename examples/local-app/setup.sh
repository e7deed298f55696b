#!/usr/bin/env bash
# Sets up app "shop" in a hosted zone of its own on the local AWS and releases it: the commands of the README's
# "Your own app on the local AWS", in order (the tests run this file). Run it from the repository's root, in a
# shell with the exports `make localaws` prints, and `bluegreen` on PATH (go build -o bin/bluegreen ./cmd/bluegreen).
set -euo pipefail
: "${AWS_ENDPOINT_URL:?first export what make localaws prints}"
: "${BLUEGREEN_APP_SERVER:?first export what make localaws prints}"
cd "$(dirname "$0")"

# 1. The app's hosted zone (its id goes into the stored configuration).
ZONE_ID=$(aws route53 create-hosted-zone --name shop.test --caller-reference "shop-$(date +%s)" --query HostedZone.Id --output text)
ZONE_ID=${ZONE_ID#/hostedzone/}
# 2. The app's template, where the configuration's template.url points.
aws s3 mb s3://templates
aws s3 cp template.yaml s3://templates/shop.yaml
# 3. The app's stored configuration: the example with the zone and the app server filled in, checked as the
#    deployer reads it, then stored where the deployer reads it.
CONFIG=${TMPDIR:-/tmp}/shop.json
sed -e "s|ZONE_ID|$ZONE_ID|" -e "s|APP_SERVER|$BLUEGREEN_APP_SERVER|" shop.json > "$CONFIG"
bluegreen validate-config "$CONFIG"
aws ssm put-parameter --name /bluegreen/apps/shop --type String --overwrite --value "file://$CONFIG"
# 4. The first release, watched live; then where the app stands.
bluegreen deploy shop v1 --artifact s3://artifacts/shop/v1.zip
bluegreen status shop
