"""docs/: facts the guides state that can be recomputed."""

from __future__ import annotations

import re

from .context import Context
from .examples import provider_id
from .runner import Check

GUIDES = ("operator-guide.md", "sp-author-guide.md", "ci-guide.md")
ID_ROW = re.compile(r"^\| `([a-z0-9-]+)` \| `([0-9a-f-]{36})` \|$")


def checks(ctx: Context) -> list[Check]:
    def guides_exist() -> list[str]:
        return [f"docs/{name} is missing" for name in GUIDES if not (ctx.root / "docs" / name).exists()]

    def registration_ids() -> list[str]:
        text = (ctx.root / "docs" / "operator-guide.md").read_text(encoding="utf-8")
        rows = [ID_ROW.match(line) for line in text.splitlines()]
        found = [(m.group(1), m.group(2)) for m in rows if m]
        problems = [f"operator guide: {name} is listed with {given}, REG-010 gives {provider_id(name)}"
                    for name, given in found if provider_id(name) != given]
        listed = {name for name, _ in found}
        names = {s["env"]: s.get("default") for s in ctx.settings}
        for overlay in ctx.overlays:
            for doc in ctx.render(overlay):
                if doc["kind"] == "ConfigMap":
                    for key in ("PROVIDER_NAME_VM", "PROVIDER_NAME_CLUSTER"):
                        name = doc.get("data", {}).get(key) or names.get(key)
                        if name not in listed:
                            problems.append(f"operator guide: no registration id row for {name} (overlay {overlay.name})")
        return sorted(set(problems))

    def overlays_documented() -> list[str]:
        text = (ctx.root / "docs" / "operator-guide.md").read_text(encoding="utf-8")
        return [f"operator guide does not mention overlays/{o.name}" for o in ctx.overlays
                if f"overlays/{o.name}" not in text]

    return [
        Check("docs: operator, SP-author and CI guides exist", guides_exist),
        Check("docs: registration ids in the operator guide are the REG-010 UUIDv5 of their names", registration_ids),
        Check("docs: the operator guide covers every kustomize overlay", overlays_documented),
    ]
