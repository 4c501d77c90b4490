#!/usr/bin/env bash
# Downloads one day's BGP RIB dumps (MRT TABLE_DUMP_V2) for `npm run data -- --rib`:
#   RouteViews route-views2 (IPv4) and route-views6 (IPv6), and RIPE RIS rrc00
#   (IPv4 and IPv6), all from 00:00 UTC.
# Usage: scripts/data-refresh/fetch-ribs.sh DIR [YYYYMMDD]
#   DATE defaults to yesterday (UTC): the day's dumps are surely published.
# Prints the downloaded files, one per line. Needs curl and GNU date.
set -euo pipefail

dir=${1:?usage: fetch-ribs.sh DIR [YYYYMMDD]}
day=${2:-$(date -u -d yesterday +%Y%m%d)}
[[ $day =~ ^[0-9]{8}$ ]] || { echo "fetch-ribs: date must be YYYYMMDD, got \"$day\"" >&2; exit 2; }
month="${day:0:4}.${day:4:2}"

urls=(
  "https://archive.routeviews.org/bgpdata/$month/RIBS/rib.$day.0000.bz2"
  "https://archive.routeviews.org/route-views6/bgpdata/$month/RIBS/rib.$day.0000.bz2"
  "https://data.ris.ripe.net/rrc00/$month/bview.$day.0000.gz"
)
names=(
  "routeviews2.rib.$day.0000.bz2"
  "routeviews6.rib.$day.0000.bz2"
  "ris-rrc00.bview.$day.0000.gz"
)

mkdir -p "$dir"
for i in "${!urls[@]}"; do
  out="$dir/${names[$i]}"
  echo "fetch-ribs: ${urls[$i]}" >&2
  curl --fail --silent --show-error --location --retry 3 --retry-delay 10 --output "$out.part" "${urls[$i]}"
  mv "$out.part" "$out"
  echo "$out"
done
