"""Owners of the assets, from the one declaration of who owns what: the dbt groups
(dbt_project/models/_groups.yml). A dbt node's owner is its group's; every other asset's is the
group its Dagster group belongs to (``DAGSTER_GROUP_OWNERS``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

# The dbt group (of _groups.yml) that owns each Dagster group of assets that are not dbt nodes.
DAGSTER_GROUP_OWNERS = {
    "raw": "data_engineering",
    "lake": "data_engineering",
    "disclosure": "data_engineering",
    "published": "data_engineering",
    "reports": "emissions_statistics",
}


def group_owners(manifest: Mapping[str, Any], group: str | None) -> list[str]:
    """Dagster owners of a dbt group: its owner's email where one is given, else
    ``team:<group>``; none for a node in no group."""
    if not group:
        return []
    for node in (manifest.get("groups") or {}).values():
        if node.get("name") == group:
            email = (node.get("owner") or {}).get("email")
            if email:
                return [email] if isinstance(email, str) else list(email)
            return [f"team:{group}"]
    raise ValueError(f"dbt group {group!r} is not declared (dbt_project/models/_groups.yml)")


def with_owners(
    manifest: Mapping[str, Any], assets: Iterable[Any]
) -> Sequence[dg.AssetsDefinition | dg.AssetSpec]:
    """``assets`` with owners on every spec that has none, by its Dagster group."""

    def owned(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.owners:
            return spec
        group = DAGSTER_GROUP_OWNERS.get(spec.group_name or "")
        if group is None:
            raise ValueError(
                f"asset {spec.key.to_user_string()}: its Dagster group {spec.group_name!r} has no "
                "owner (orchestration/owners.py DAGSTER_GROUP_OWNERS)"
            )
        return spec.replace_attributes(owners=group_owners(manifest, group))

    return dg.map_asset_specs(owned, list(assets))
