#!/usr/bin/env python3
"""Refresh azrelo's embedded ARM snapshots from the bodies of two ARM APIs.

    python3 crates/arm/data/refresh.py LOCATIONS.json PROVIDERS.json

LOCATIONS.json: body of GET /subscriptions/{id}/locations?api-version=2022-12-01
PROVIDERS.json: body of GET /subscriptions/{id}/providers?api-version=2021-04-01

locations.json is copied as is. providers.json is reduced to what azrelo uses
(namespace, resourceType, locations, apiVersions (newest 5), defaultApiVersion,
zoneMappings) but keeps the shape of the ARM body, so the embedded snapshot and
a live response are read by the same parser (azrelo_arm::availability).
Update SNAPSHOT_DATE in crates/arm/src/availability.rs when refreshing.
"""
import json, sys, os

here = os.path.dirname(os.path.abspath(__file__))
loc_src, prov_src = sys.argv[1], sys.argv[2]
with open(loc_src) as f:
    loc = json.load(f)
with open(os.path.join(here, "locations.json"), "w") as f:
    json.dump(loc, f, indent=1)
    f.write("\n")
with open(prov_src) as f:
    prov = json.load(f)
out = {"value": []}
for p in prov["value"]:
    types = []
    for t in p.get("resourceTypes", []):
        e = {"resourceType": t["resourceType"], "locations": t.get("locations", []),
             "apiVersions": t.get("apiVersions", [])[:5]}
        if t.get("defaultApiVersion"):
            e["defaultApiVersion"] = t["defaultApiVersion"]
        if t.get("zoneMappings"):
            e["zoneMappings"] = t["zoneMappings"]
        types.append(e)
    out["value"].append({"namespace": p["namespace"], "resourceTypes": types})
with open(os.path.join(here, "providers.json"), "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
