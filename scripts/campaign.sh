#!/bin/sh
# The campaigns of issue 12 at full size, on the release build: 100 kill -9 points across a
# 340-resource create, update and destroy (each followed by one rerun), the fault profiles
# (20%/5% and 45%/10% throttling/server errors, 5% lost answers) in process and over HTTP, and
# two applies at once with and without --lock-timeout, in process and over HTTP. Prints each
# campaign's figures; exits non-zero if any found an orphan, a duplicate, a ghost, a wedged
# rerun or two runs changing the cloud.
#
#   scripts/campaign.sh                      # everything
#   scripts/campaign.sh crash --trials 300   # one campaign, other sizes
#   NETFORM_CAMPAIGN_SEED=42 scripts/campaign.sh crash   # replay the kill instants of a seed
#
# Options: crash|faults|concurrency|all, --trials N, --units U (4 resources each),
# --latency MS (per simulator call), --jobs J (trials at once), --seed S.
set -eu
cd "$(dirname "$0")/.."
exec cargo bench --bench campaign -- "$@"
